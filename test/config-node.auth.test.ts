import should from "should";
import { SAMPLES } from "../simulator/sample-events";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, startSimulator, type Simulator } from "../simulator/server";
import { deploy, settle, useSimulator, waitFor } from "./support/harness";

const FULL = SAMPLES.fullDevice.event;

/** Logs in to the simulator directly, as a user would to get a bearer token by hand. */
async function tokenFrom(sim: Simulator): Promise<string> {
  const basic = Buffer.from(`${SIMULATOR_ACCOUNT_ID}:${SIMULATOR_API_KEY}`).toString("base64");
  const response = await fetch(`${sim.url}/auth/tokens`, { method: "POST", headers: { Authorization: `Basic ${basic}` } });
  const body = (await response.json()) as { bearer_token: string };
  sim.resetStats();
  return body.bearer_token;
}

function statusesOfRoute(sim: Simulator, route: string): Array<number | undefined> {
  return sim.stats.requests.filter((r) => r.route === route).map((r) => r.status);
}

describe("flatpeak-config: login and token", function () {
  const env = useSimulator();

  it("logs in with HTTP Basic (account ID, API key) and uses the bearer token", async function () {
    const flow = await deploy(env.sim);
    const outcome = await flow.run({ payload: FULL.id });

    outcome.completed.should.be.true();
    env.sim.stats.requests.map((r) => [r.route, r.auth, r.status]).should.eql([
      ["login", "Basic", 200],
      ["event", "Bearer", 200],
    ]);
  });

  it("logs in once and reuses the token for later messages", async function () {
    const flow = await deploy(env.sim);
    for (let i = 0; i < 5; i += 1) await flow.run({ payload: FULL.id });

    env.sim.stats.logins.should.equal(1);
    env.sim.stats.eventRequests.should.equal(5);
  });

  it("shares one login between many messages that arrive together", async function () {
    const flow = await deploy(env.sim, { eventNodes: 2 });
    env.sim.addFault({ route: "login", kind: "slow", delayMs: 200 });
    const ids: string[] = [];
    for (let i = 0; i < 30; i += 1) ids.push(flow.send({ payload: FULL.id }, i % 2 === 0 ? "event1" : "event2"));
    await waitFor(() => ids.every((id) => flow.ended(id)), 10_000, "all messages end");

    env.sim.stats.logins.should.equal(1);
    ids.every((id) => flow.outcome(id, "event1").completed || flow.outcome(id, "event2").completed).should.be.true();
  });

  it("trims stray white space from pasted credentials", async function () {
    const flow = await deploy(env.sim, { credentials: { accountId: ` ${SIMULATOR_ACCOUNT_ID} `, apiKey: `${SIMULATOR_API_KEY}\n` } });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.completed.should.be.true();
  });

  it("reports a refused login (403) as an authentication error", async function () {
    const flow = await deploy(env.sim, { credentials: { accountId: SIMULATOR_ACCOUNT_ID, apiKey: "sk_test_wrong_key_123456" } });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.error!.error.code!.should.equal("FLATPEAK_AUTH");
    outcome.error!.statusCode!.should.equal(403);
    outcome.error!.error.message.should.equal(
      'Error: Flatpeak refused the login (POST /auth/tokens: HTTP 403; GET /login: HTTP 404): check the account ID and API key in the flatpeak-config node. Flatpeak says: "Bad credentials"',
    );
    env.sim.stats.eventRequests.should.equal(0);
  });

  it("tries the login again for the next message after a refused one", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "login", kind: "status", status: 503, times: 1 });
    const failed = await flow.run({ payload: FULL.id });
    const next = await flow.run({ payload: FULL.id });

    failed.error!.error.code!.should.equal("FLATPEAK_SERVER_ERROR");
    failed.error!.error.message.should.containEql("logging in");
    next.completed.should.be.true();
    env.sim.stats.logins.should.equal(2);
  });

  it("reports a login answer without a token as a bad response", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "login", kind: "not-event" });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.error!.error.code!.should.equal("FLATPEAK_BAD_RESPONSE");
    outcome.error!.error.message.should.equal("Error: Flatpeak's answer to the login at POST /auth/tokens has no token (HTTP 200)");
  });

  it("logs in again once and retries once when the token is rejected (403)", async function () {
    const flow = await deploy(env.sim);
    await flow.run({ payload: FULL.id });
    env.sim.expireTokens();
    const outcome = await flow.run({ payload: FULL.id });

    outcome.completed.should.be.true();
    outcome.outputs[0].should.have.length(1);
    env.sim.stats.logins.should.equal(2);
    statusesOfRoute(env.sim, "event").should.eql([200, 403, 200]);
  });

  it("stops after one new login when Flatpeak keeps rejecting", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "event", kind: "status", status: 403 });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.error!.error.code!.should.equal("FLATPEAK_AUTH");
    outcome.error!.statusCode!.should.equal(403);
    outcome.error!.error.message.should.containEql("Flatpeak rejected the request even after a fresh login (HTTP 403) fetching event");
    env.sim.stats.logins.should.equal(2);
    env.sim.stats.eventRequests.should.equal(2);
  });

  it("makes one new login when many requests find the token rejected at once", async function () {
    const flow = await deploy(env.sim);
    await flow.run({ payload: FULL.id });
    env.sim.expireTokens();
    env.sim.addFault({ route: "login", kind: "slow", delayMs: 100 });
    const ids = Array.from({ length: 20 }, () => flow.send({ payload: FULL.id }));
    await waitFor(() => ids.every((id) => flow.ended(id)), 10_000, "all messages end");

    ids.every((id) => flow.outcome(id).completed).should.be.true();
    env.sim.stats.logins.should.equal(2);
  });

  it("renews the token before expires_in runs out, without a rejected request", async function () {
    const sim = await startSimulator({ tokenLifetimeSeconds: 1 });
    try {
      const flow = await deploy(sim);
      await flow.run({ payload: FULL.id });
      await settle(950);
      const outcome = await flow.run({ payload: FULL.id });

      outcome.completed.should.be.true();
      sim.stats.logins.should.equal(2);
      sim.stats.requests.map((r) => r.status).should.eql([200, 200, 200, 200]);
    } finally {
      await sim.close();
    }
  });

  it("treats 401 like 403", async function () {
    const sim = await startSimulator({ authRejectionStatus: 401 });
    try {
      const flow = await deploy(sim);
      await flow.run({ payload: FULL.id });
      sim.expireTokens();
      const outcome = await flow.run({ payload: FULL.id });

      outcome.completed.should.be.true();
      statusesOfRoute(sim, "event").should.eql([200, 401, 200]);
    } finally {
      await sim.close();
    }
  });

  it("uses a bearer token given directly, without logging in", async function () {
    const token = await tokenFrom(env.sim);
    const flow = await deploy(env.sim, { credentials: { bearerToken: token } });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.completed.should.be.true();
    env.sim.stats.logins.should.equal(0);
    env.sim.stats.requests.map((r) => r.auth).should.eql(["Bearer"]);
  });

  it("reports a rejected bearer token given directly, without a login attempt", async function () {
    const flow = await deploy(env.sim, { credentials: { bearerToken: "not-a-valid-token-123" } });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.error!.error.code!.should.equal("FLATPEAK_AUTH");
    outcome.error!.error.message.should.startWith("Error: Flatpeak rejected the bearer token (HTTP 403) fetching event");
    env.sim.stats.logins.should.equal(0);
  });

  it("falls back to logging in when a given bearer token is rejected and an API key is set", async function () {
    const flow = await deploy(env.sim, {
      credentials: { accountId: SIMULATOR_ACCOUNT_ID, apiKey: SIMULATOR_API_KEY, bearerToken: "expired-token-123" },
    });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.completed.should.be.true();
    env.sim.stats.requests.map((r) => [r.route, r.status]).should.eql([
      ["event", 403],
      ["login", 200],
      ["event", 200],
    ]);
  });

  it("sends Flatpeak-Version on every request when an API version is set", async function () {
    const flow = await deploy(env.sim, { apiVersion: "2026-08-01.busbar" });
    await flow.run({ payload: FULL.id });

    env.sim.stats.requests.map((r) => r.version).should.eql(["2026-08-01.busbar", "2026-08-01.busbar"]);
  });

  it("sends no Flatpeak-Version when the API version is empty", async function () {
    const flow = await deploy(env.sim);
    await flow.run({ payload: FULL.id });

    env.sim.stats.requests.map((r) => r.version).should.eql([undefined, undefined]);
  });

  it("gives every deploy a fresh login (tokens live in memory only)", async function () {
    const flow = await deploy(env.sim);
    await flow.run({ payload: FULL.id });
    await flow.redeploy();
    await flow.run({ payload: FULL.id });

    env.sim.stats.logins.should.equal(2);
    should(flow.node().context().global.keys()).be.empty();
  });
});
