import should from "should";
import { SAMPLES } from "../simulator/sample-events";
import type { FlatpeakEvent } from "../nodes/lib/types";
import { deploy, statusesOf, untimed, useSimulator, type Outcome } from "./support/harness";

function propertiesOf(event: FlatpeakEvent): any {
  return (event.data as any).properties;
}

/** Ports 1–4 as booleans: which ones received a message. */
function portsUsed(outcome: Outcome): boolean[] {
  return outcome.outputs.map((port) => port.length > 0);
}

describe("flatpeak-event: outputs", function () {
  const env = useSimulator();

  it("sends battery, PV and EV charger of a full device on outputs 1–3", async function () {
    const flow = await deploy(env.sim);
    const sample = SAMPLES.fullDevice.event;
    const outcome = await flow.run({ payload: sample.id });

    should(outcome.error).be.undefined();
    outcome.completed.should.be.true();
    portsUsed(outcome).should.eql([true, true, true, false]);
    const [[battery], [pv], [ev]] = outcome.outputs;
    const properties = propertiesOf(sample);
    battery.payload!.should.eql(properties.battery);
    pv.payload!.should.eql(properties.pv);
    ev.payload!.should.eql(properties.ev_charger);
    battery.topic!.should.equal("flatpeak/dev_6650a1b2c3d4e5f6a7b8c001/battery");
    pv.topic!.should.equal("flatpeak/dev_6650a1b2c3d4e5f6a7b8c001/pv");
    ev.topic!.should.equal("flatpeak/dev_6650a1b2c3d4e5f6a7b8c001/ev_charger");
    untimed(statusesOf(flow.node()).pop()!).should.eql({ fill: "green", shape: "dot", text: "device.update" });
  });

  it("sets msg.flatpeak.event and msg.flatpeak.device on every output", async function () {
    const flow = await deploy(env.sim, { eventOutput: true });
    const sample = SAMPLES.fullDevice.event;
    const outcome = await flow.run({ payload: sample.id });

    const device = { ...(sample.data as any) };
    delete device.properties;
    const properties = propertiesOf(sample);
    const expectedDevice = {
      ...device,
      manufacturer: properties.manufacturer,
      model_code: properties.model_code,
      model_name: properties.model_name,
      install_date: properties.install_date,
    };
    for (const [message] of outcome.outputs) {
      (message as any).flatpeak.event.should.eql({ id: sample.id, type: "device.update", time_created: sample.time_created });
      (message as any).flatpeak.device.should.eql(expectedDevice);
      (message as any).flatpeak.device.should.not.have.property("properties");
    }
  });

  it("keeps the input message's other properties and gives each output its own copy", async function () {
    const flow = await deploy(env.sim, { eventOutput: true });
    const outcome = await flow.run({ payload: SAMPLES.fullDevice.event.id, room: "garage", meta: { source: "test" } });

    const messages = outcome.outputs.map(([message]) => message as any);
    for (const message of messages) {
      message.room.should.equal("garage");
      message.meta.should.eql({ source: "test" });
    }
    const [battery, pv, ev, whole] = messages;
    battery.meta.should.not.equal(pv.meta);
    battery.flatpeak.should.not.equal(pv.flatpeak);
    battery.flatpeak.device.should.not.equal(ev.flatpeak.device);
    battery.flatpeak.device.consents.should.not.equal(whole.flatpeak.device.consents);
    // A downstream node that changes one message must not change another.
    battery.flatpeak.device.timezone = "changed";
    pv.flatpeak.device.timezone.should.equal("Europe/London");
  });

  it("keeps the cache as fetched when a downstream node changes what it received", async function () {
    const flow = await deploy(env.sim, { eventOutput: true, cacheSize: 10 });
    const sample = SAMPLES.fullDevice.event;
    const first = await flow.run({ payload: sample.id });
    // Helpers receive the very objects Node-RED delivered: change every one of them, deeply.
    for (const [message] of first.outputs as any[]) {
      message.payload.changed = true;
      message.flatpeak.device.consents.changed = true;
      message.flatpeak.event.type = "changed";
    }
    first.outputs[3][0].payload!.should.have.property("changed");

    const second = await flow.run({ payload: sample.id });
    env.sim.stats.eventRequests.should.equal(1, "the second message was served from the cache");
    const [[battery], [pv], [ev], [whole]] = second.outputs as any[];
    whole.payload.should.eql(sample);
    battery.payload.should.eql(propertiesOf(sample).battery);
    pv.payload.should.eql(propertiesOf(sample).pv);
    ev.payload.should.eql(propertiesOf(sample).ev_charger);
    battery.flatpeak.device.consents.should.eql((sample.data as any).consents);
    battery.flatpeak.event.type.should.equal("device.update");
  });

  it("sends the whole event on output 4 when enabled", async function () {
    const flow = await deploy(env.sim, { eventOutput: true });
    const sample = SAMPLES.fullDevice.event;
    const outcome = await flow.run({ payload: sample.id });

    portsUsed(outcome).should.eql([true, true, true, true]);
    const [whole] = outcome.outputs[3];
    whole.payload!.should.eql(sample);
    whole.topic!.should.equal("flatpeak/dev_6650a1b2c3d4e5f6a7b8c001/event");
  });

  const partialDevices: Array<[string, FlatpeakEvent, boolean[]]> = [
    ["battery only", SAMPLES.batteryOnly.event, [true, false, false]],
    ["PV and inverter", SAMPLES.pvOnly.event, [false, true, false]],
    ["EV charger only", SAMPLES.evChargerOnly.event, [false, false, true]],
  ];
  for (const [label, sample, expected] of partialDevices) {
    it(`sends only the sections a device has (${label})`, async function () {
      const flow = await deploy(env.sim);
      const outcome = await flow.run({ payload: sample.id });

      outcome.completed.should.be.true();
      portsUsed(outcome).slice(0, 3).should.eql(expected);
      const properties = propertiesOf(sample);
      const sections = ["battery", "pv", "ev_charger"];
      expected.forEach((used, port) => {
        if (used) outcome.outputs[port][0].payload!.should.eql(properties[sections[port]]);
      });
    });
  }

  it("groups busbar flat keys by prefix, and puts storage keys on the battery output (rev A)", async function () {
    const flow = await deploy(env.sim);
    const sample = SAMPLES.busbarFlatA.event;
    const outcome = await flow.run({ payload: sample.id });

    portsUsed(outcome).slice(0, 3).should.eql([true, true, false]);
    outcome.outputs[0][0].payload!.should.eql({ power_rating_import_kwh: 14.2, power_rating_export_kwh: 7, capacity_kwh: 123 });
    outcome.outputs[1][0].payload!.should.eql({ azimuth: 0, tilt: 23, terrain_shading: false, forecasts_enabled: false });
    const device = (outcome.outputs[0][0] as any).flatpeak.device;
    device.manufacturer.should.equal("Example Power");
    device.model_code.should.equal("EP-BAT-14");
    device.install_date.should.equal("2024-03-15T00:00:00Z");
    device.flex_enabled.should.be.true();
  });

  it("reads busbar rev B keys (power_rating_kw)", async function () {
    const flow = await deploy(env.sim);
    const outcome = await flow.run({ payload: SAMPLES.busbarFlatB.event.id });

    outcome.outputs[0][0].payload!.should.eql({ power_rating_kw: 7.2, capacity_kwh: 14.2 });
    outcome.outputs[1][0].payload!.should.have.property("tilt", 23);
    (outcome.outputs[0][0] as any).flatpeak.device.tariffs.should.have.length(1);
  });

  const silentDevices: Array<[string, FlatpeakEvent, string]> = [
    ["a device without properties (zero/anode)", SAMPLES.noProperties.event, "device.create: no sections"],
    ["a device with empty properties", SAMPLES.emptyProperties.event, "device.update: no sections"],
    ["a heat-pump-only device", SAMPLES.heatPumpOnly.event, "device.update: no sections"],
    ["a deleted device", SAMPLES.deletedDevice.event, "device.delete: no sections"],
  ];
  for (const [label, sample, statusText] of silentDevices) {
    it(`sends nothing on outputs 1–3 for ${label}, the event on output 4, and says so`, async function () {
      const flow = await deploy(env.sim, { eventOutput: true });
      const outcome = await flow.run({ payload: sample.id });

      should(outcome.error).be.undefined();
      outcome.completed.should.be.true();
      portsUsed(outcome).should.eql([false, false, false, true]);
      outcome.outputs[3][0].payload!.should.eql(sample);
      (outcome.outputs[3][0] as any).flatpeak.device.id.should.equal((sample.data as any).id);
      untimed(statusesOf(flow.node()).pop()!).should.eql({ fill: "yellow", shape: "ring", text: statusText });
    });
  }

  const otherEvents: FlatpeakEvent[] = [
    SAMPLES.customer.event,
    SAMPLES.location.event,
    SAMPLES.tariff.event,
    SAMPLES.schedule.event,
    SAMPLES.connectSession.event,
  ];
  for (const sample of otherEvents) {
    it(`treats a ${sample.type} event as no device data, not as an error`, async function () {
      const flow = await deploy(env.sim, { eventOutput: true });
      const outcome = await flow.run({ payload: sample.id });

      should(outcome.error).be.undefined();
      outcome.completed.should.be.true();
      portsUsed(outcome).should.eql([false, false, false, true]);
      const [whole] = outcome.outputs[3];
      whole.payload!.should.eql(sample);
      (whole as any).flatpeak.should.not.have.property("device");
      (whole as any).flatpeak.event.type.should.equal(sample.type);
      const subject = (sample.data as any).id ?? sample.id;
      whole.topic!.should.equal(`flatpeak/${subject}/event`);
      untimed(statusesOf(flow.node()).pop()!).should.eql({ fill: "yellow", shape: "ring", text: `${sample.type}: not a device` });
    });
  }

  it("ends a non-device message without output when output 4 is off", async function () {
    const flow = await deploy(env.sim);
    const outcome = await flow.run({ payload: SAMPLES.customer.event.id });

    outcome.completed.should.be.true();
    should(outcome.error).be.undefined();
    portsUsed(outcome).should.eql([false, false, false, false]);
  });

  it("tolerates a missing time_created and keeps a Unix one", async function () {
    const flow = await deploy(env.sim);
    const missing = await flow.run({ payload: SAMPLES.noTimeCreated.event.id });
    const [battery] = missing.outputs[0];
    (battery as any).flatpeak.event.should.eql({ id: SAMPLES.noTimeCreated.event.id, type: "device.update" });

    const unix = await flow.run({ payload: SAMPLES.legacyUnixTime.event.id });
    (unix.outputs[2][0] as any).flatpeak.event.time_created.should.equal(1732090502);
  });

  it("treats an unknown event type as an open string", async function () {
    const flow = await deploy(env.sim, { eventOutput: true });
    const odd: FlatpeakEvent = {
      id: "evt_0dd000000000000000000001",
      object: "event",
      type: "device.teleported",
      data: { id: "dev_0dd", object: "device", properties: { battery: { capacity_kwh: 5 } } },
    };
    env.sim.addEvent(odd);
    const outcome = await flow.run({ payload: odd.id });

    outcome.outputs[0][0].payload!.should.eql({ capacity_kwh: 5 });
    (outcome.outputs[0][0] as any).flatpeak.event.type.should.equal("device.teleported");
  });

  it("serves several event nodes from one config node", async function () {
    const flow = await deploy(env.sim, { eventNodes: 2 });
    const first = await flow.run({ payload: SAMPLES.batteryOnly.event.id }, "event1");
    const second = await flow.run({ payload: SAMPLES.pvOnly.event.id }, "event2");

    first.outputs[0].should.have.length(1);
    second.outputs[1].should.have.length(1);
    env.sim.stats.logins.should.equal(1);
  });
});
