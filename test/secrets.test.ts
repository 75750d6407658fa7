import { SAMPLES } from "../simulator/sample-events";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY } from "../simulator/server";
import { deploy, loggedTexts, statusesOf, useSimulator, type TestFlow } from "./support/harness";

const FULL = SAMPLES.fullDevice.event;
const GIVEN_TOKEN = "given-bearer-token-0123456789";

/** Everything a user can see: outputs, Catch messages, status texts, log lines. */
function visibleTexts(flow: TestFlow): string[] {
  const messages = [...flow.received.values()].flat().map((m) => JSON.stringify(m));
  const statuses = statusesOf(flow.node()).map((s) => JSON.stringify(s));
  return [...messages, ...statuses, ...loggedTexts()];
}

function assertNoSecret(texts: string[], secrets: string[]): void {
  for (const secret of secrets) {
    const leaks = texts.filter((text) => text.includes(secret));
    if (leaks.length > 0) throw new Error(`secret ${secret.slice(0, 6)}… leaked in: ${leaks[0].slice(0, 300)}`);
  }
}

describe("secrets", function () {
  const env = useSimulator();

  it("never show the API key or a token in outputs, errors, status or logs", async function () {
    const flow = await deploy(env.sim, { eventOutput: true });
    await flow.run({ payload: FULL.id });
    // Flatpeak (or a proxy in front of it) echoing credentials back in error bodies:
    const token = env.sim.issuedTokens[0];
    env.sim.addFault({ route: "event", kind: "status", status: 422, times: 1, body: { code: `bad_${SIMULATOR_API_KEY}`, message: `token ${token} refused for key ${SIMULATOR_API_KEY}` } });
    await flow.run({ payload: FULL.id });
    env.sim.addFault({ route: "event", kind: "status", status: 500, times: 1, body: { message: `Authorization: Bearer ${token}` } });
    await flow.run({ payload: FULL.id });
    env.sim.addFault({ route: "event", kind: "status", status: 200, times: 1, body: { id: token, type: "x" } });
    await flow.run({ payload: FULL.id });
    env.sim.expireTokens();
    await flow.run({ payload: FULL.id });
    env.sim.addFault({ route: "event", kind: "status", status: 403 });
    await flow.run({ payload: FULL.id });

    const texts = visibleTexts(flow);
    texts.join("\n").should.containEql("***"); // the echoed secrets were there, and were masked
    assertNoSecret(texts, [SIMULATOR_API_KEY, ...env.sim.issuedTokens]);
  });

  it("never show a bearer token given directly, even when it is rejected", async function () {
    const flow = await deploy(env.sim, { credentials: { bearerToken: GIVEN_TOKEN } });
    env.sim.addFault({ route: "event", kind: "status", status: 403, body: { message: `Bad credentials: ${GIVEN_TOKEN}` } });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.error!.error.code!.should.equal("FLATPEAK_AUTH");
    assertNoSecret(visibleTexts(flow), [GIVEN_TOKEN]);
  });

  it("never show the API key when the login is refused", async function () {
    const wrongKey = "sk_test_wrong_but_secret_0001";
    const flow = await deploy(env.sim, { credentials: { accountId: SIMULATOR_ACCOUNT_ID, apiKey: wrongKey } });
    env.sim.addFault({ route: "login", kind: "status", status: 403, body: { message: `Bad credentials for ${wrongKey}` } });
    await flow.run({ payload: FULL.id });

    assertNoSecret(visibleTexts(flow), [wrongKey]);
  });

  it("keep tokens out of context", async function () {
    const flow = await deploy(env.sim);
    await flow.run({ payload: FULL.id });
    const node = flow.node();

    node.context().keys().should.be.empty();
    node.context().flow.keys().should.be.empty();
    node.context().global.keys().should.be.empty();
  });
});
