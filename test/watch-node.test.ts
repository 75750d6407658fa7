import should from "should";
import { helper, useSimulator, waitFor } from "./support/harness";
import { deploySource } from "./support/sources";

const WATCH = { type: "flatpeak-watch", interval: 3600, eventTypes: "", replay: 0, store: "" };

describe("flatpeak-watch", function () {
  const env = useSimulator();

  async function firstPollDone(): Promise<void> {
    await waitFor(() => env.sim.stats.listRequests >= 1, 5000, "the first poll");
  }

  it("sends nothing at the first start, then each new event once, oldest first", async function () {
    const flow = await deploySource(env.sim, WATCH);
    await firstPollDone();
    await waitFor(() => (flow.node("source").status).callCount >= 2, 5000, "first poll shown");
    flow.received("out").should.have.length(0);
    const created = [env.sim.createEvent(), env.sim.createEvent(), env.sim.createEvent()];
    flow.node("source").receive({ payload: "poll" });
    await waitFor(() => flow.received("out").length === 3, 5000, "three new events");
    flow.received("out").map((m: any) => m.payload.id).should.eql(created.map((e) => e.id));
    const msg = flow.received("out")[0] as any;
    msg.topic.should.equal("device.update");
    msg.flatpeak.should.match({ source: "watch", event: { id: created[0].id, type: "device.update" } });
    // Nothing new: nothing sent again.
    const before = env.sim.stats.listRequests;
    flow.node("source").receive({ payload: "poll" });
    await waitFor(() => env.sim.stats.listRequests > before, 5000, "another poll");
    env.sim.createEvent();
    flow.node("source").receive({ payload: "poll" });
    await waitFor(() => flow.received("out").length === 4, 5000, "one more");
    new Set(flow.received("out").map((m: any) => m.payload.id)).size.should.equal(4);
  });

  it("sends the replay newest events at the very first start", async function () {
    const flow = await deploySource(env.sim, { ...WATCH, replay: 2 });
    await waitFor(() => flow.received("out").length === 2, 5000, "two replayed");
    const ids = flow.received("out").map((m: any) => m.payload.id as string);
    ids.should.have.length(2);
  });

  it("walks more than one page to catch up, oldest first", async function () {
    const flow = await deploySource(env.sim, WATCH);
    await firstPollDone();
    await waitFor(() => (flow.node("source").status).callCount >= 2, 5000, "first poll shown");
    const created = Array.from({ length: 150 }, () => env.sim.createEvent());
    flow.node("source").receive({ payload: "poll" });
    await waitFor(() => flow.received("out").length === 150, 10_000, "150 events");
    flow.received("out").map((m: any) => m.payload.id).should.eql(created.map((e) => e.id));
    env.sim.stats.requests.filter((r) => r.route === "list").length.should.be.aboveOrEqual(3);
  });

  it("asks Flatpeak to filter one type, and filters several itself", async function () {
    const one = await deploySource(env.sim, { ...WATCH, eventTypes: "location.update" });
    await firstPollDone();
    env.sim.stats.requests.filter((r) => r.route === "list").every((r) => r.query.includes("event_type=location.update")).should.be.true();
    await helper.unload();
    env.sim.resetStats();
    const several = await deploySource(env.sim, { ...WATCH, eventTypes: "device.create, location.update" });
    await firstPollDone();
    await waitFor(() => (several.node("source").status).callCount >= 2, 5000, "first poll shown");
    env.sim.createEvent({ type: "device.update" });
    const wanted = env.sim.createEvent({ type: "device.create" });
    several.node("source").receive({ payload: "poll" });
    await waitFor(() => several.received("out").length === 1, 5000, "one wanted event");
    (several.received("out")[0] as any).payload.id.should.equal(wanted.id);
    void one;
  });

  it("resumes after a redeploy without a configured context store (Node-RED deletes node context then)", async function () {
    const flow = await deploySource(env.sim, WATCH);
    await firstPollDone();
    await waitFor(() => (flow.node("source").status).callCount >= 2, 5000, "first poll shown");
    const first = env.sim.createEvent();
    flow.node("source").receive({ payload: "poll" });
    await waitFor(() => flow.received("out").length === 1, 5000, "the first new event");
    // Made between the last poll and the redeploy: the next deployment must still send it, once.
    const betweenPolls = env.sim.createEvent();
    const before = env.sim.stats.listRequests;
    await flow.redeploy();
    await waitFor(() => env.sim.stats.listRequests > before, 5000, "the first poll after the redeploy");
    const later = env.sim.createEvent();
    flow.node("source").receive({ payload: "poll" });
    await waitFor(() => flow.received("out").some((m: any) => m.payload.id === later.id), 5000, "the event after the redeploy");
    flow.received("out").map((m: any) => m.payload.id).should.eql([first.id, betweenPolls.id, later.id]);
  });

  it("shows a failed poll, reports it once, and recovers by itself", async function () {
    this.timeout(30_000);
    const flow = await deploySource(env.sim, { ...WATCH, interval: 5 });
    await firstPollDone();
    await waitFor(() => (flow.node("source").status).callCount >= 2, 5000, "first poll shown");
    env.sim.addFault({ route: "list", kind: "status", status: 500, times: 2 });
    flow.node("source").receive({ payload: "poll" });
    await waitFor(() => flow.received("caught").length === 1, 5000, "the failure is caught");
    (flow.received("caught")[0] as any).flatpeak.error.code.should.equal("FLATPEAK_SERVER_ERROR");
    const event = env.sim.createEvent();
    // No input: the node retries on its own (5 s after the first failure, at most the interval).
    await waitFor(() => flow.received("out").length === 1, 20_000, "recovered by itself");
    (flow.received("out")[0] as any).payload.id.should.equal(event.id);
    flow.received("caught").length.should.equal(1, "the second failure of the same kind was not reported again");
  });

  it("close mid-poll aborts the request and sends nothing after", async function () {
    const flow = await deploySource(env.sim, WATCH);
    await firstPollDone();
    env.sim.addFault({ route: "list", kind: "hang" });
    env.sim.createEvent();
    flow.node("source").receive({ payload: "poll" });
    await waitFor(() => env.sim.stats.listRequests >= 2, 5000, "the hanging poll reached the simulator");
    const out = flow.received("out");
    await helper.unload();
    await waitFor(() => env.sim.stats.abandoned >= 1, 5000, "the request was aborted");
    out.should.have.length(0);
  });
});

void should;
