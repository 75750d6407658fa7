import should from "should";
import { SAMPLES } from "../simulator/sample-events";
import { deploy, helper, statusesOf, useSimulator } from "./support/harness";

const FULL = SAMPLES.fullDevice.event;

describe("flatpeak-event: input", function () {
  const env = useSimulator();

  it("accepts an event ID with white space around it", async function () {
    const flow = await deploy(env.sim);
    const outcome = await flow.run({ payload: `  ${FULL.id}\n` });

    outcome.completed.should.be.true();
    outcome.outputs[0].should.have.length(1);
    env.sim.stats.requests.filter((r) => r.route === "event").map((r) => r.path).should.eql([`/events/${FULL.id}`]);
  });

  it("accepts an event object as a webhook delivers it, reading its id", async function () {
    const flow = await deploy(env.sim);
    const outcome = await flow.run({ payload: { id: FULL.id, object: "event", type: "device.update", data: {} } });

    outcome.completed.should.be.true();
    outcome.outputs[0][0].payload!.should.eql((FULL.data as any).properties.battery);
  });

  it("accepts a 32-digit event ID", async function () {
    const flow = await deploy(env.sim, { eventOutput: true });
    const outcome = await flow.run({ payload: SAMPLES.updateFailed.event.id });

    outcome.completed.should.be.true();
    outcome.outputs[3][0].payload!.should.eql(SAMPLES.updateFailed.event);
  });

  it("reads the ID from another message property", async function () {
    const flow = await deploy(env.sim, { property: "req.body.event_id" });
    const outcome = await flow.run({ payload: "ignored", req: { body: { event_id: FULL.id } } });

    outcome.completed.should.be.true();
    outcome.outputs[1].should.have.length(1);
    // The original payload is replaced on the outputs, the rest of the message kept.
    outcome.outputs[1][0].payload!.should.eql((FULL.data as any).properties.pv);
  });

  it("reads the ID from flow context", async function () {
    const flow = await deploy(env.sim, { property: "lastEvent", propertyType: "flow" });
    flow.node().context().flow.set("lastEvent", FULL.id);
    const outcome = await flow.run({ payload: "ignored" });

    outcome.completed.should.be.true();
    outcome.outputs[2].should.have.length(1);
  });

  it("reads the ID from global context", async function () {
    const flow = await deploy(env.sim, { property: "flatpeakEvent", propertyType: "global" });
    flow.node().context().global.set("flatpeakEvent", SAMPLES.batteryOnly.event.id);
    const outcome = await flow.run({});

    outcome.outputs[0].should.have.length(1);
  });

  it("uses a fixed ID", async function () {
    const flow = await deploy(env.sim, { property: SAMPLES.pvOnly.event.id, propertyType: "str" });
    const outcome = await flow.run({ payload: 42 });

    outcome.completed.should.be.true();
    outcome.outputs[1].should.have.length(1);
  });

  it("reads the ID from an environment variable", async function () {
    process.env.FLATPEAK_TEST_EVENT_ID = SAMPLES.evChargerOnly.event.id;
    try {
      const flow = await deploy(env.sim, { property: "FLATPEAK_TEST_EVENT_ID", propertyType: "env" });
      const outcome = await flow.run({});
      outcome.outputs[2].should.have.length(1);
    } finally {
      delete process.env.FLATPEAK_TEST_EVENT_ID;
    }
  });

  const tooLong = `evt_${"a".repeat(65)}`;
  const invalidInputs: Array<[string, Record<string, unknown>, string]> = [
    ["a number", { payload: 42 }, "msg.payload was the number 42"],
    ["an empty string", { payload: "" }, "msg.payload was an empty string"],
    ["blank space", { payload: "   " }, 'msg.payload was the string "   "'],
    ["a bare prefix", { payload: "evt_" }, 'msg.payload was the string "evt_"'],
    ["another object's ID", { payload: "dev_6650a1b2c3d4e5f6a7b8c001" }, 'the string "dev_6650a1b2c3d4e5f6a7b8c001"'],
    ["a path in the ID", { payload: "evt_abc/../../login" }, 'the string "evt_abc/../../login"'],
    ["a query in the ID", { payload: "evt_abc?x=1" }, 'the string "evt_abc?x=1"'],
    ["an upper-case prefix", { payload: "EVT_abc" }, 'the string "EVT_abc"'],
    ["non-ASCII letters", { payload: "evt_abcé" }, 'the string "evt_abcé"'],
    ["65 characters after evt_", { payload: tooLong }, 'the string "evt_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…"'],
    ["null", { payload: null }, "msg.payload was null"],
    ["no payload", {}, "msg.payload was missing (undefined)"],
    ["a boolean", { payload: true }, "msg.payload was the boolean true"],
    ["an array", { payload: [FULL.id] }, "msg.payload was an array of 1 items"],
    ["a Buffer", { payload: Buffer.from(FULL.id) }, "msg.payload was a Buffer of 28 bytes"],
    ["an object without id", { payload: { event: FULL.id } }, "msg.payload was an object without an id"],
    ["an object with a numeric id", { payload: { id: 7 } }, "msg.payload was an object whose id is the number 7"],
    ["an object with a bad id", { payload: { id: "evt_" } }, 'msg.payload was an object whose id is the string "evt_"'],
    ["an inherited id", { payload: Object.create({ id: FULL.id }) }, "msg.payload was an object without an id"],
  ];
  for (const [label, message, expected] of invalidInputs) {
    it(`rejects ${label} with a clear error and makes no request`, async function () {
      const flow = await deploy(env.sim);
      const outcome = await flow.run(message);

      should(outcome.error).not.be.undefined();
      outcome.completed.should.be.false();
      outcome.error!.error.code!.should.equal("FLATPEAK_INVALID_INPUT");
      outcome.error!.error.message.should.startWith("Error: Expected a Flatpeak event ID");
      outcome.error!.error.message.should.containEql(expected);
      outcome.outputs.every((port) => port.length === 0).should.be.true();
      outcome.error!.should.not.have.property("statusCode");
      env.sim.stats.requests.should.have.length(0);
      statusesOf(flow.node()).pop()!.should.eql({ fill: "red", shape: "ring", text: "invalid input" });
    });
  }

  it("names the configured property in the error", async function () {
    const flow = await deploy(env.sim, { property: "lastEvent", propertyType: "flow" });
    const outcome = await flow.run({});

    outcome.error!.error.message.should.containEql("but flow.lastEvent was missing (undefined)");
  });

  it("keeps the input message on the error so that a Catch node can retry it", async function () {
    const flow = await deploy(env.sim);
    const outcome = await flow.run({ payload: 42, room: "garage" });

    (outcome.error as any).payload.should.equal(42);
    (outcome.error as any).room.should.equal("garage");
    (outcome.error as any).error.source.id.should.equal("event1");
  });

  it("keeps working after bad input", async function () {
    const flow = await deploy(env.sim);
    const node = helper.getNode("event1");
    await flow.run({ payload: { nested: { deeply: [1, 2, 3] } } });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.completed.should.be.true();
    outcome.outputs[0].should.have.length(1);
    // The same node instance still runs: bad input did not make it fail or get replaced.
    helper.getNode("event1").should.equal(node);
  });
});

describe("flatpeak-event: unexpected failures", function () {
  const env = useSimulator();

  it("turns a failure to read the input property into a catchable error", async function () {
    const flow = await deploy(env.sim, { property: "payload[", propertyType: "msg" });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.error!.error.code!.should.equal("FLATPEAK_UNEXPECTED");
    outcome.error!.error.message.should.startWith("Error: Unexpected error:");
    env.sim.stats.requests.should.have.length(0);
  });
});
