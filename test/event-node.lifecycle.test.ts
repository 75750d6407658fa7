import should from "should";
import { SAMPLES } from "../simulator/sample-events";
import { deploy, helper, settle, statusesOf, untimed, useSimulator, waitFor } from "./support/harness";

const FULL = SAMPLES.fullDevice.event;

describe("flatpeak-event: status and lifecycle", function () {
  const env = useSimulator();

  it("shows fetching while a slow request is under way, then the result", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "event", kind: "slow", delayMs: 1500 });
    const id = flow.send({ payload: FULL.id });
    await waitFor(() => statusesOf(flow.node()).length > 0, 2000, "a status");
    statusesOf(flow.node())[0].should.eql({ fill: "blue", shape: "dot", text: "fetching…" });
    await waitFor(() => flow.ended(id), 5000, "the message ends");
    untimed(statusesOf(flow.node()).pop()!).should.eql({ fill: "green", shape: "dot", text: "device.update" });
  });

  it("does not flood the editor with status updates under load", async function () {
    const flow = await deploy(env.sim, { concurrency: 8 });
    const ids = Array.from({ length: 50 }, (_, i) => {
      const id = `evt_status${String(i).padStart(3, "0")}`;
      env.sim.addEvent({ ...FULL, id });
      return flow.send({ payload: id });
    });
    await waitFor(() => ids.every((id) => flow.ended(id)), 10_000, "all end");

    const statuses = statusesOf(flow.node());
    statuses.length.should.be.below(5);
    for (const shown of statuses.slice(0, -1)) shown.text!.should.match(/^(fetching…|device\.update · \d\d:\d\d:\d\d)$/);
    untimed(statuses[statuses.length - 1]).should.eql({ fill: "green", shape: "dot", text: "device.update" });
  });

  it("says nothing of fetching for a quick request: one status per event, not two", async function () {
    const flow = await deploy(env.sim);
    await flow.run({ payload: FULL.id });
    await settle(600); // past the moment "fetching…" would have shown
    statusesOf(flow.node()).map((shown) => untimed(shown)).should.eql([{ fill: "green", shape: "dot", text: "device.update" }]);
  });

  it("cancels a request in flight on redeploy, ends the message, sends nothing after close", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "event", kind: "hang" });
    const id = flow.send({ payload: FULL.id });
    await waitFor(() => env.sim.stats.eventRequests === 1, 2000, "the request reaches the simulator");

    const started = Date.now();
    await flow.redeploy();
    (Date.now() - started).should.be.below(2000);
    await waitFor(() => env.sim.stats.abandoned === 1, 2000, "the simulator sees the request abandoned");
    await settle(100);

    flow.allOutputs().should.have.length(0);
    flow.endings(id).should.equal(0); // ended quietly: no error for a redeploy, no output
    flow.doneCount(id).should.equal(1);
    helper.log().args.some((args: any[]) => args[0]?.level === 20 /* error */).should.be.false();
  });

  it("cancels a request in flight when the flow stops", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "event", kind: "hang" });
    const first = flow.send({ payload: FULL.id });
    const second = flow.send({ payload: SAMPLES.pvOnly.event.id });
    await waitFor(() => env.sim.stats.eventRequests === 2, 2000, "both requests reach the simulator");

    const started = Date.now();
    await helper.clearFlows();
    (Date.now() - started).should.be.below(2000);
    await waitFor(() => env.sim.stats.abandoned === 2, 2000, "both requests abandoned");
    flow.allOutputs().should.have.length(0);
    flow.doneCount(first).should.equal(1);
    flow.doneCount(second).should.equal(1);
  });

  it("cancels a login in flight on close", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "login", kind: "hang" });
    const id = flow.send({ payload: FULL.id });
    await waitFor(() => env.sim.stats.logins === 1, 2000, "the login reaches the simulator");

    await helper.clearFlows();
    await waitFor(() => env.sim.stats.abandoned === 1, 2000, "the login abandoned");
    env.sim.stats.eventRequests.should.equal(0);
    flow.doneCount(id).should.equal(1);
  });

  it("clears its status on close", async function () {
    const flow = await deploy(env.sim);
    await flow.run({ payload: FULL.id });
    const node = flow.node();
    await helper.clearFlows();

    statusesOf(node).pop()!.should.eql({});
  });

  it("works again after a redeploy", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "event", kind: "hang", times: 1 });
    flow.send({ payload: FULL.id });
    await waitFor(() => env.sim.stats.eventRequests === 1, 2000, "the request reaches the simulator");
    await flow.redeploy();
    const outcome = await flow.run({ payload: FULL.id });

    outcome.completed.should.be.true();
    outcome.outputs[0].should.have.length(1);
  });

  it("survives a burst of mixed good and bad messages, each ending exactly once", async function () {
    const flow = await deploy(env.sim, { eventOutput: true });
    env.sim.addFault({ route: "event", eventId: SAMPLES.pvOnly.event.id, kind: "status", status: 503 });
    const inputs: unknown[] = [FULL.id, 42, SAMPLES.pvOnly.event.id, null, SAMPLES.customer.event.id, "evt_000000000000000000000000", { id: FULL.id }];
    const ids: string[] = [];
    for (let round = 0; round < 10; round += 1) for (const payload of inputs) ids.push(flow.send({ payload }));
    await waitFor(() => ids.every((id) => flow.ended(id)), 10_000, "every message ends");
    await settle(100);

    ids.map((id) => flow.endings(id)).should.matchEach(1);
    ids.map((id) => flow.doneCount(id)).should.matchEach(1);
    const errors = ids.map((id) => flow.outcome(id).error?.error.code).filter(Boolean);
    errors.should.have.length(40); // 42, pvOnly (503), null, unknown ID: 4 per round
    should(env.sim.stats.logins).equal(1);
  });
});
