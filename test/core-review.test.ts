/**
 * One test per finding of the client-core review (issue 7): each failed before
 * its fix. Real Node-RED through the test helper, the simulator over loopback.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import should from "should";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY } from "../simulator/server";
import { SAMPLE_EVENTS } from "../simulator/sample-events";
import { deploy, helper, loggedTexts, useSimulator, waitFor } from "./support/harness";

const FULL = SAMPLE_EVENTS[0];
const ENDPOINT = "/flatpeak-config/test-connection";

/** A loopback server that records every request it gets and answers 502: a stand-in for a host that should never be asked. */
async function recordingServer(): Promise<{ url: string; requests: Array<{ url: string; authorization?: string }>; close(): Promise<void> }> {
  const requests: Array<{ url: string; authorization?: string }> = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? "", authorization: req.headers.authorization });
    res.writeHead(502).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("client core review: behaviour", function () {
  const env = useSimulator();

  it("1. every message ends through repeated 429 pauses (the account never stalls)", async function () {
    const flow = await deploy(env.sim, { retries: 5, maxBackoff: 2, concurrency: 2 });
    // Three separate pauses, one after another, each asking for one second.
    env.sim.addFault({ route: "event", kind: "status", status: 429, headers: { "Retry-After": "1" }, times: 3 });
    const ids = Array.from({ length: 8 }, () => flow.send({ payload: FULL.id }));
    await waitFor(() => ids.every((id) => flow.ended(id)), 15_000, "every message ends");
    for (const id of ids) {
      flow.endings(id).should.equal(1);
      flow.outcome(id).outputs[0].should.have.length(1, "each message got its battery output after the pauses");
    }
    env.sim.stats.requests.filter((r) => r.status === 429).should.have.length(3);
  });

  it("2a. Test connection uses saved secrets only for a flatpeak-config node", async function () {
    await deploy(env.sim);
    // event1 is a flatpeak-event node: it has no secrets of its own to lend, and must not borrow config1's.
    const answer = (await helper.request().post(ENDPOINT).send({ id: "event1", baseUrl: env.sim.url, accountId: SIMULATOR_ACCOUNT_ID, apiKey: "__PWRD__" }).expect(200)).body;
    answer.should.match({ ok: false, code: "FLATPEAK_CONFIG" });
    answer.message.should.startWith("Enter the API key (or bearer token) again");
    env.sim.stats.requests.should.have.length(0);
  });

  it("2b. Test connection never sends a saved secret to another base URL", async function () {
    const other = await recordingServer();
    try {
      await deploy(env.sim);
      const answer = (await helper.request().post(ENDPOINT).send({ id: "config1", baseUrl: other.url, accountId: SIMULATOR_ACCOUNT_ID, apiKey: "__PWRD__" }).expect(200)).body;
      answer.should.match({ ok: false, code: "FLATPEAK_CONFIG" });
      other.requests.should.have.length(0);
      // The same base URL written differently (a trailing slash) is the saved one.
      const same = (await helper.request().post(ENDPOINT).send({ id: "config1", baseUrl: `${env.sim.url}/`, accountId: SIMULATOR_ACCOUNT_ID, apiKey: "__PWRD__" }).expect(200)).body;
      same.ok.should.be.true();
    } finally {
      await other.close();
    }
  });

  it("3. Test connection answers, and Node-RED keeps running, when a saved credential is not a string", async function () {
    await helper.load([require("../nodes/flatpeak-config")], [{ id: "config1", type: "flatpeak-config", baseUrl: env.sim.url } as never], {
      config1: { accountId: SIMULATOR_ACCOUNT_ID, apiKey: 12345 as unknown as string, bearerToken: { not: "a string" } as unknown as string },
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const response = await helper.request().post(ENDPOINT).send({ id: "config1", baseUrl: env.sim.url, accountId: SIMULATOR_ACCOUNT_ID, apiKey: "__PWRD__", bearerToken: "__PWRD__" });
      response.status.should.be.oneOf(200, 500);
      response.body.ok.should.be.false();
      response.body.message.should.be.a.String();
      unhandled.should.have.length(0);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("4. numbers from a flow file are clamped at run time, with one warning each", async function () {
    // 1e10 s would overflow setTimeout (every request then times out at once); 1e9 retries would never end.
    const flow = await deploy(env.sim, { timeout: 1e10, retries: 1e9, maxBackoff: 0, cacheSize: 1e7 });
    const ok = await flow.run({ payload: FULL.id });
    ok.outputs[0].should.have.length(1, "the request did not time out at once");
    env.sim.addFault({ route: "event", kind: "status", status: 500 });
    const failed = await flow.run({ payload: FULL.id.replace(/.$/, "f") });
    failed.error!.error.message.should.containEql("(tried 11 times)");
    const warnings = loggedTexts().filter((text) => text.includes("is out of range or not a number"));
    warnings.should.have.length(3);
    warnings.join("\n").should.containEql("timeout").and.containEql("using 300");
    warnings.join("\n").should.containEql("retries").and.containEql("using 10");
    warnings.join("\n").should.containEql("cacheSize").and.containEql("using 1000");
  });

  it("5. callers waiting on one shared request count against the queue", async function () {
    const flow = await deploy(env.sim, { concurrency: 1, queueSize: 2 });
    env.sim.addFault({ route: "event", kind: "hang" });
    const ids = Array.from({ length: 10 }, () => flow.send({ payload: FULL.id }));
    await waitFor(() => ids.filter((id) => flow.ended(id)).length === 7 && env.sim.stats.eventRequests === 1, 5000, "seven messages refused, one request");
    const refused = ids.filter((id) => flow.ended(id)).map((id) => flow.outcome(id).error!.error.code);
    refused.should.eql(Array(7).fill("FLATPEAK_QUEUE_FULL"));
    env.sim.stats.eventRequests.should.equal(1);
  });

  it("6. a 403 that belongs to one event does not cost a login per message", async function () {
    const flow = await deploy(env.sim);
    const forbidden = "evt_forbidden00000000000000";
    env.sim.addFault({ route: "event", eventId: forbidden, kind: "status", status: 403 });
    for (let i = 0; i < 5; i += 1) {
      const outcome = await flow.run({ payload: forbidden });
      outcome.error!.error.code!.should.equal("FLATPEAK_AUTH");
    }
    env.sim.stats.logins.should.equal(2, "the first login, and one more to rule out an expired token");
    // Other events still work with the token that was kept.
    (await flow.run({ payload: FULL.id })).outputs[0].should.have.length(1);
    env.sim.stats.logins.should.equal(2);
  });

  it("7. masks the Basic header value that a proxy echoes in an error body", async function () {
    const flow = await deploy(env.sim);
    const basic = Buffer.from(`${SIMULATOR_ACCOUNT_ID}:${SIMULATOR_API_KEY}`).toString("base64");
    env.sim.addFault({ route: "login", kind: "status", status: 400, body: { message: `bad header: Authorization: Basic ${basic.slice(0, 10)}\u0000${basic.slice(10)}` } });
    const outcome = await flow.run({ payload: FULL.id });
    const text = JSON.stringify(outcome.error) + loggedTexts().join("\n");
    text.should.not.containEql(basic);
    text.should.not.containEql(basic.slice(10));
    outcome.error!.error.message.should.containEql("Basic ***");
  });

  it("8. sends nothing to HTTP_PROXY for a loopback base URL", async function () {
    const proxy = await recordingServer();
    const saved = { http: process.env.HTTP_PROXY, lower: process.env.http_proxy };
    process.env.HTTP_PROXY = proxy.url;
    process.env.http_proxy = proxy.url;
    try {
      const flow = await deploy(env.sim);
      (await flow.run({ payload: FULL.id })).outputs[0].should.have.length(1);
      proxy.requests.should.have.length(0);
      env.sim.stats.logins.should.equal(1);
    } finally {
      restoreEnv("HTTP_PROXY", saved.http);
      restoreEnv("http_proxy", saved.lower);
      await proxy.close();
    }
  });

  it("9a. a token with a character HTTP forbids is a configuration error, not retried", async function () {
    const flow = await deploy(env.sim, { retries: 3, credentials: { bearerToken: "tok\u0001en" } });
    const outcome = await flow.run({ payload: FULL.id });
    outcome.error!.error.code!.should.equal("FLATPEAK_CONFIG");
    outcome.error!.error.message.should.not.containEql("tok\u0001en");
    env.sim.stats.requests.should.have.length(0);
  });

  it("9b. a corrupt compressed body is a bad response, not retried as a network error", async function () {
    const flow = await deploy(env.sim, { retries: 3 });
    env.sim.addFault({ route: "event", kind: "status", status: 200, headers: { "Content-Encoding": "gzip" }, body: "this is not gzip" });
    const outcome = await flow.run({ payload: FULL.id });
    outcome.error!.error.code!.should.equal("FLATPEAK_BAD_RESPONSE");
    env.sim.stats.eventRequests.should.equal(1);
  });

  it("9c. a body nested too deeply to copy is refused and never cached", async function () {
    const flow = await deploy(env.sim, { cacheSize: 100 });
    const depth = 100_000;
    const body = `{"id":"${FULL.id}","object":"event","type":"device.update","data":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`;
    env.sim.addFault({ route: "event", kind: "status", status: 200, body, times: 2 });
    for (let i = 0; i < 2; i += 1) {
      const outcome = await flow.run({ payload: FULL.id });
      outcome.error!.error.code!.should.equal("FLATPEAK_BAD_RESPONSE");
    }
    env.sim.stats.eventRequests.should.equal(2, "the refused body was not cached");
    (await flow.run({ payload: FULL.id })).outputs[0].should.have.length(1, "the real event is fetched once the fault is gone");
  });
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

void should;
