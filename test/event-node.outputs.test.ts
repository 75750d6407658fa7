import should from "should";
import { SAMPLES } from "../simulator/sample-events";
import { deploy, statusesOf, useSimulator } from "./support/harness";

describe("flatpeak-event: outputs", function () {
  const env = useSimulator();

  it("sends battery, PV and EV charger of a full device on outputs 1–3", async function () {
    const flow = await deploy(env.sim);
    const sample = SAMPLES.fullDevice.event;
    const outcome = await flow.run({ payload: sample.id, room: "garage" });

    should(outcome.error).be.undefined();
    outcome.completed.should.be.true();
    const [battery, pv, ev, whole] = outcome.outputs;
    battery.should.have.length(1);
    pv.should.have.length(1);
    ev.should.have.length(1);
    whole.should.have.length(0);
    const properties = (sample.data as any).properties;
    battery[0].payload!.should.eql(properties.battery);
    pv[0].payload!.should.eql(properties.pv);
    ev[0].payload!.should.eql(properties.ev_charger);
    battery[0].topic!.should.equal("flatpeak/dev_6650a1b2c3d4e5f6a7b8c001/battery");
    pv[0].topic!.should.equal("flatpeak/dev_6650a1b2c3d4e5f6a7b8c001/pv");
    ev[0].topic!.should.equal("flatpeak/dev_6650a1b2c3d4e5f6a7b8c001/ev_charger");
    (battery[0] as any).room.should.equal("garage");
    statusesOf(flow.node()).pop()!.should.eql({ fill: "green", shape: "dot", text: "device.update" });
  });
});
