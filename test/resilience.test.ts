import should from "should";
import { SAMPLES } from "../simulator/sample-events";
import { deploy, helper, settle, useSimulator, waitFor } from "./support/harness";

const FULL = SAMPLES.fullDevice.event;
const PV = SAMPLES.pvOnly.event;

/** Times between successive requests to a route, in ms. */
function eventRequestCount(sim: { stats: { requests: Array<{ route: string }> } }): number {
  return sim.stats.requests.filter((r) => r.route === "event").length;
}

describe("resilience: retries", function () {
  const env = useSimulator();

  it("retries a server error and succeeds", async function () {
    const flow = await deploy(env.sim, { retries: 3, maxBackoff: 0.05 });
    env.sim.addFault({ route: "event", kind: "status", status: 503, times: 2 });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.completed.should.be.true();
    env.sim.stats.requests.filter((r) => r.route === "event").map((r) => r.status).should.eql([503, 503, 200]);
  });

  for (const kind of ["reset", "truncate", "not-json"] as const) {
    const retried = kind !== "not-json";
    it(`${retried ? "retries" : "does not retry"} ${kind}`, async function () {
      const flow = await deploy(env.sim, { retries: 2, maxBackoff: 0.05 });
      env.sim.addFault({ route: "event", kind, times: 1 });
      const outcome = await flow.run({ payload: FULL.id });

      outcome.completed.should.equal(retried);
      eventRequestCount(env.sim).should.equal(retried ? 2 : 1);
    });
  }

  it("retries a timeout", async function () {
    const flow = await deploy(env.sim, { retries: 1, maxBackoff: 0.05, timeout: 0.3 });
    env.sim.addFault({ route: "event", kind: "hang", times: 1 });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.completed.should.be.true();
    eventRequestCount(env.sim).should.equal(2);
  });

  it("gives up after the configured retries and says how often it tried", async function () {
    const flow = await deploy(env.sim, { retries: 2, maxBackoff: 0.05 });
    env.sim.addFault({ route: "event", kind: "status", status: 500 });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.error!.error.code!.should.equal("FLATPEAK_SERVER_ERROR");
    outcome.error!.error.message.should.containEql("(tried 3 times)");
    eventRequestCount(env.sim).should.equal(3);
  });

  for (const status of [400, 404, 422]) {
    it(`does not retry ${status}`, async function () {
      const flow = await deploy(env.sim, { retries: 3, maxBackoff: 0.05 });
      env.sim.addFault({ route: "event", kind: "status", status });
      const outcome = await flow.run({ payload: FULL.id });

      should(outcome.error).be.ok();
      outcome.error!.error.message.should.not.containEql("tried");
      eventRequestCount(env.sim).should.equal(1);
    });
  }

  it("waits as long as Retry-After asks before retrying a 429", async function () {
    const flow = await deploy(env.sim, { retries: 2, maxBackoff: 5 });
    env.sim.addFault({ route: "event", kind: "status", status: 429, headers: { "Retry-After": "1" }, times: 1 });
    const started = Date.now();
    const outcome = await flow.run({ payload: FULL.id });

    outcome.completed.should.be.true();
    (Date.now() - started).should.be.within(950, 3000);
    eventRequestCount(env.sim).should.equal(2);
  });

  it("does not wait when Retry-After is longer than the backoff cap, and reports it", async function () {
    const flow = await deploy(env.sim, { retries: 3, maxBackoff: 2 });
    env.sim.addFault({ route: "event", kind: "status", status: 429, headers: { "Retry-After": "60" } });
    const started = Date.now();
    const outcome = await flow.run({ payload: FULL.id });

    outcome.error!.error.code!.should.equal("FLATPEAK_RATE_LIMITED");
    outcome.error!.flatpeak.error.retryAfter.should.equal(60);
    (Date.now() - started).should.be.below(1000);
    eventRequestCount(env.sim).should.equal(1);
  });

  it("holds back other requests while Flatpeak asks to slow down", async function () {
    const flow = await deploy(env.sim, { retries: 1, maxBackoff: 5 });
    env.sim.addFault({ route: "event", eventId: FULL.id, kind: "status", status: 429, headers: { "Retry-After": "1" }, times: 1 });
    const first = flow.send({ payload: FULL.id });
    await waitFor(() => eventRequestCount(env.sim) === 1, 2000, "the first request is answered");
    await settle(50);
    const second = flow.send({ payload: PV.id });
    await settle(500);
    eventRequestCount(env.sim).should.equal(1); // PV waits for the pause to end
    await waitFor(() => flow.ended(first) && flow.ended(second), 5000, "both end");
    flow.outcome(second).completed.should.be.true();
  });

  it("retries a failed login inside the one shared login", async function () {
    const flow = await deploy(env.sim, { retries: 2, maxBackoff: 0.05 });
    env.sim.addFault({ route: "login", kind: "status", status: 503, times: 2 });
    const ids = Array.from({ length: 10 }, () => flow.send({ payload: FULL.id }));
    await waitFor(() => ids.every((id) => flow.ended(id)), 5000, "all end");

    ids.every((id) => flow.outcome(id).completed).should.be.true();
    env.sim.stats.logins.should.equal(3); // one login, tried three times; not one per message
  });

  it("does not log in again for every message after the login was refused", async function () {
    const flow = await deploy(env.sim, { credentials: { accountId: "acc_x", apiKey: "sk_test_wrong" } });
    for (let i = 0; i < 5; i += 1) {
      const outcome = await flow.run({ payload: FULL.id });
      outcome.error!.error.code!.should.equal("FLATPEAK_AUTH");
    }
    // One login: both paths once (POST /auth/tokens refused, GET /login missing), then the cool-down.
    env.sim.stats.requests.map((r) => [r.path, r.status]).should.eql([
      ["/auth/tokens", 403],
      ["/login", 404],
    ]);
  });
});

describe("resilience: limits, cache and close", function () {
  const env = useSimulator();

  it("never has more requests open than the concurrency limit", async function () {
    const flow = await deploy(env.sim, { concurrency: 3, eventOutput: true });
    env.sim.addFault({ route: "event", kind: "slow", delayMs: 30 });
    const ids = Array.from({ length: 40 }, (_, i) => {
      const id = `evt_burst${String(i).padStart(4, "0")}`;
      env.sim.addEvent({ ...FULL, id });
      return flow.send({ payload: id });
    });
    await waitFor(() => ids.every((id) => flow.ended(id)), 10_000, "all end");

    ids.every((id) => flow.outcome(id).completed).should.be.true();
    env.sim.stats.maxConcurrent.should.equal(3);
    env.sim.stats.eventRequests.should.equal(40);
  });

  it("handles a burst of 300 messages without a process warning", async function () {
    const warnings: Error[] = [];
    const record = (warning: Error): void => void warnings.push(warning);
    process.on("warning", record);
    try {
      const flow = await deploy(env.sim, { concurrency: 16, queueSize: 1000 });
      const ids = Array.from({ length: 300 }, (_, i) => {
        const id = `evt_flood${String(i).padStart(4, "0")}`;
        env.sim.addEvent({ ...FULL, id });
        return flow.send({ payload: id });
      });
      await waitFor(() => ids.every((id) => flow.ended(id)), 20_000, "all end");
      ids.every((id) => flow.outcome(id).completed).should.be.true();
    } finally {
      process.off("warning", record);
    }
    warnings.map((w) => w.message).should.eql([]);
  });

  it("refuses messages beyond the queue with a clear error, and loses none silently", async function () {
    const flow = await deploy(env.sim, { concurrency: 1, queueSize: 5 });
    env.sim.addFault({ route: "event", kind: "slow", delayMs: 50 });
    const ids = Array.from({ length: 20 }, (_, i) => {
      const id = `evt_queue${String(i).padStart(4, "0")}`;
      env.sim.addEvent({ ...FULL, id });
      return flow.send({ payload: id });
    });
    await waitFor(() => ids.every((id) => flow.ended(id)), 10_000, "all end");
    await settle(50);

    const outcomes = ids.map((id) => flow.outcome(id));
    const refused = outcomes.filter((o) => o.error?.error.code === "FLATPEAK_QUEUE_FULL");
    const delivered = outcomes.filter((o) => o.completed);
    (refused.length + delivered.length).should.equal(20);
    delivered.length.should.equal(6); // one running, five queued
    refused[0].error!.error.message.should.containEql("the queue of 5 is full");
    ids.map((id) => flow.endings(id)).should.matchEach(1);
  });

  it("serves a repeated event from the cache", async function () {
    const flow = await deploy(env.sim, { cacheSize: 10 });
    const first = await flow.run({ payload: FULL.id });
    const second = await flow.run({ payload: FULL.id });

    second.outputs.map((port) => port.map((m) => m.payload)).should.eql(first.outputs.map((port) => port.map((m) => m.payload)));
    env.sim.stats.eventRequests.should.equal(1);
  });

  it("keeps only the most recently used events", async function () {
    const flow = await deploy(env.sim, { cacheSize: 2 });
    await flow.run({ payload: SAMPLES.batteryOnly.event.id });
    await flow.run({ payload: SAMPLES.pvOnly.event.id });
    await flow.run({ payload: SAMPLES.batteryOnly.event.id }); // now the most recent
    await flow.run({ payload: SAMPLES.evChargerOnly.event.id }); // evicts pvOnly
    env.sim.resetStats();
    await flow.run({ payload: SAMPLES.batteryOnly.event.id });
    await flow.run({ payload: SAMPLES.evChargerOnly.event.id });
    env.sim.stats.eventRequests.should.equal(0);
    await flow.run({ payload: SAMPLES.pvOnly.event.id });
    env.sim.stats.eventRequests.should.equal(1);
  });

  it("fetches every time when the cache is off", async function () {
    const flow = await deploy(env.sim, { cacheSize: 0 });
    for (let i = 0; i < 3; i += 1) await flow.run({ payload: FULL.id });
    env.sim.stats.eventRequests.should.equal(3);
  });

  it("caches by default", async function () {
    const flow = await deploy(env.sim, { cacheSize: null, retries: null });
    for (let i = 0; i < 3; i += 1) await flow.run({ payload: FULL.id });
    env.sim.stats.eventRequests.should.equal(1);
  });

  it("does not cache errors", async function () {
    const flow = await deploy(env.sim, { cacheSize: 10 });
    env.sim.addFault({ route: "event", kind: "status", status: 500, times: 1 });
    (await flow.run({ payload: FULL.id })).error!.should.be.ok();
    (await flow.run({ payload: FULL.id })).completed.should.be.true();
    env.sim.stats.eventRequests.should.equal(2);
  });

  it("shares one request between messages that ask for the same event at once", async function () {
    const flow = await deploy(env.sim, { eventNodes: 2, cacheSize: 0 });
    env.sim.addFault({ route: "event", kind: "slow", delayMs: 100 });
    const ids = Array.from({ length: 12 }, (_, i) => flow.send({ payload: FULL.id }, i % 2 ? "event1" : "event2"));
    await waitFor(() => ids.every((id) => flow.ended(id)), 5000, "all end");

    env.sim.stats.eventRequests.should.equal(1);
    ids.every((id, i) => flow.outcome(id, i % 2 ? "event1" : "event2").outputs[0].length === 1).should.be.true();
  });

  it("cancels sleeping retries and queued requests on close, leaving no request behind", async function () {
    const flow = await deploy(env.sim, { concurrency: 1, retries: 5, maxBackoff: 10 });
    env.sim.addFault({ route: "event", eventId: FULL.id, kind: "status", status: 503, headers: { "Retry-After": "5" } });
    env.sim.addFault({ route: "event", kind: "hang" });
    const sleeping = flow.send({ payload: FULL.id });
    await waitFor(() => env.sim.stats.eventRequests === 1, 2000, "first attempt answered");
    const running = flow.send({ payload: PV.id });
    const queued = flow.send({ payload: SAMPLES.batteryOnly.event.id });
    await waitFor(() => env.sim.stats.eventRequests === 2, 2000, "second request running");

    const started = Date.now();
    await helper.clearFlows();
    (Date.now() - started).should.be.below(1000);
    await settle(300);

    env.sim.stats.eventRequests.should.equal(2);
    for (const id of [sleeping, running, queued]) flow.doneCount(id).should.equal(1);
    flow.allOutputs().should.have.length(0);
  });

  it("lets one event node close without cancelling a request another node shares", async function () {
    const flow = await deploy(env.sim, { eventNodes: 2 });
    env.sim.addFault({ route: "event", kind: "slow", delayMs: 300 });
    const leaving = flow.send({ payload: FULL.id }, "event1");
    const staying = flow.send({ payload: FULL.id }, "event2");
    await waitFor(() => env.sim.stats.eventRequests === 1, 2000, "the shared request is under way");
    // Close only event1, as a "modified nodes" deploy does.
    await (helper.getNode("event1") as any).close(false);
    await waitFor(() => flow.ended(staying), 5000, "event2's message ends");

    flow.outcome(staying, "event2").outputs[0].should.have.length(1);
    flow.doneCount(leaving).should.equal(1);
    flow.outcome(leaving, "event1").outputs[0].should.have.length(0);
  });
});
