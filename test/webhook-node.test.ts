import { generateKeyPairSync } from "node:crypto";
import should from "should";
import { signWebhook } from "../simulator/signing";
import { useSimulator, waitFor } from "./support/harness";
import { deploySource, httpInMessage, type SourceFlow } from "./support/sources";

const WEBHOOK = { type: "flatpeak-webhook", tolerance: 300, allowUnsigned: false, store: "" };

describe("flatpeak-webhook", function () {
  const env = useSimulator();

  /** Delivers one event (or raw body) signed with the simulator's current key, and waits for the answer. */
  async function deliver(flow: SourceFlow, body: Buffer | string, headers?: Record<string, string>): Promise<{ status?: number; body?: unknown }> {
    const raw = typeof body === "string" ? Buffer.from(body) : body;
    const signed = headers ?? signWebhook(raw, env.sim.signingKey.privateKey, env.sim.signingKey.kid, Date.now() / 1000);
    const { msg, answer } = httpInMessage(raw, signed);
    flow.node("source").receive(msg);
    await waitFor(() => answer.status !== undefined, 5000, "the webhook node answers");
    return answer;
  }

  function newEventBody(): { id: string; raw: string } {
    const event = env.sim.createEvent();
    return { id: event.id, raw: JSON.stringify(event) };
  }

  it("answers 200 to a verified delivery and sends the event with its webhook details, without req or res", async function () {
    const flow = await deploySource(env.sim, WEBHOOK);
    const { id, raw } = newEventBody();
    (await deliver(flow, raw)).status!.should.equal(200);
    await waitFor(() => flow.received("out").length === 1, 2000, "the event is sent");
    const msg = flow.received("out")[0] as any;
    msg.payload.id.should.equal(id);
    msg.topic.should.equal("device.update");
    msg.flatpeak.source.should.equal("webhook");
    msg.flatpeak.event.id.should.equal(id);
    msg.flatpeak.webhook.should.match({ keyId: env.sim.signingKey.kid, signed: true });
    msg.should.not.have.properties("req", "res");
  });

  it("feeds flatpeak event without a request: source → event → battery", async function () {
    const flow = await deploySource(env.sim, WEBHOOK, { withEventNode: true });
    const { raw } = newEventBody();
    env.sim.resetStats();
    (await deliver(flow, raw)).status!.should.equal(200);
    await waitFor(() => flow.received("battery").length === 1, 2000, "battery output");
    (flow.received("battery")[0] as any).flatpeak.source.should.equal("webhook");
    env.sim.stats.eventRequests.should.equal(0, "the delivered event was not fetched again");
  });

  it("answers 200 to a redelivery and does not send it again", async function () {
    const flow = await deploySource(env.sim, WEBHOOK);
    const { raw } = newEventBody();
    (await deliver(flow, raw)).status!.should.equal(200);
    (await deliver(flow, raw)).status!.should.equal(200);
    await waitFor(() => flow.received("out").length >= 1, 2000, "first delivery sent");
    flow.received("out").should.have.length(1);
  });

  it("recognises a redelivery after a redeploy without a configured context store", async function () {
    const flow = await deploySource(env.sim, WEBHOOK);
    const first = newEventBody();
    (await deliver(flow, first.raw)).status!.should.equal(200);
    await flow.redeploy();
    const again = await deliver(flow, first.raw);
    again.should.eql({ status: 200, body: { received: true, duplicate: true } });
    const next = newEventBody();
    (await deliver(flow, next.raw)).status!.should.equal(200);
    await waitFor(() => flow.received("out").length >= 2, 2000, "the next delivery sent");
    flow.received("out").map((m: any) => m.payload.id).should.eql([first.id, next.id]);
  });

  const refusals: Array<[string, number, string, (raw: Buffer) => Record<string, string>]> = [
    ["a tampered body", 401, "FLATPEAK_WEBHOOK_SIGNATURE", (raw) => signWebhook(Buffer.concat([raw, Buffer.from(" ")]), env.sim.signingKey.privateKey, env.sim.signingKey.kid, Date.now() / 1000)],
    ["a key Flatpeak does not list", 401, "FLATPEAK_WEBHOOK_SIGNATURE", (raw) => signWebhook(raw, generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey, "wsk_test_unknown", Date.now() / 1000)],
    ["the listed key ID with another key", 401, "FLATPEAK_WEBHOOK_SIGNATURE", (raw) => signWebhook(raw, generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey, env.sim.signingKey.kid, Date.now() / 1000)],
    ["a stale timestamp", 401, "FLATPEAK_WEBHOOK_TIMESTAMP", (raw) => signWebhook(raw, env.sim.signingKey.privateKey, env.sim.signingKey.kid, Date.now() / 1000 - 301)],
    ["a future timestamp", 401, "FLATPEAK_WEBHOOK_TIMESTAMP", (raw) => signWebhook(raw, env.sim.signingKey.privateKey, env.sim.signingKey.kid, Date.now() / 1000 + 301)],
    ["no signature", 401, "FLATPEAK_WEBHOOK_SIGNATURE", () => ({ "Content-Type": "application/json" })],
    ["Flatpeak-Signature: none", 401, "FLATPEAK_WEBHOOK_UNSIGNED", () => ({ "Flatpeak-Signature": "none" })],
  ];
  for (const [what, status, code, headersFor] of refusals) {
    it(`refuses ${what} with ${status} and a catchable ${code}`, async function () {
      const flow = await deploySource(env.sim, WEBHOOK);
      const raw = Buffer.from(newEventBody().raw);
      (await deliver(flow, raw, headersFor(raw))).status!.should.equal(status);
      await waitFor(() => flow.received("caught").length === 1, 2000, "the Catch node gets the error");
      const caught = flow.received("caught")[0] as any;
      caught.error.code.should.equal(code);
      caught.flatpeak.error.code.should.equal(code);
      caught.statusCode.should.equal(status);
      flow.received("out").should.have.length(0);
    });
  }

  it("accepts an unsigned delivery only when allowUnsigned is set", async function () {
    const flow = await deploySource(env.sim, { ...WEBHOOK, allowUnsigned: true });
    (await deliver(flow, newEventBody().raw, { "Flatpeak-Signature": "none" })).status!.should.equal(200);
    await waitFor(() => flow.received("out").length === 1, 2000, "sent");
    (flow.received("out")[0] as any).flatpeak.webhook.signed.should.be.false();
  });

  it("answers 400 to a verified body that is not an event, 413 to one over 1 MB", async function () {
    const flow = await deploySource(env.sim, WEBHOOK);
    (await deliver(flow, JSON.stringify({ hello: "world" }))).status!.should.equal(400);
    (await deliver(flow, Buffer.alloc(1024 * 1024 + 1, 0x20))).status!.should.equal(413);
    await waitFor(() => flow.received("caught").length === 2, 2000, "both errors caught");
    flow.received("caught").map((m: any) => m.error.code).should.eql(["FLATPEAK_WEBHOOK_NOT_EVENT", "FLATPEAK_WEBHOOK_TOO_LARGE"]);
  });

  it("answers 500 with a clear error when the http in node parsed the body", async function () {
    const flow = await deploySource(env.sim, WEBHOOK);
    const { msg, answer } = httpInMessage({ id: "evt_1" }, {});
    flow.node("source").receive(msg);
    await waitFor(() => flow.received("caught").length === 1, 2000, "caught");
    answer.status!.should.equal(500);
    const caught = flow.received("caught")[0] as any;
    caught.error.code.should.equal("FLATPEAK_WEBHOOK_BODY_PARSED");
    caught.error.message.should.containEql("Do not parse request body");
  });

  it("answers 503 when the signing keys cannot be fetched, then recovers", async function () {
    const flow = await deploySource(env.sim, WEBHOOK);
    env.sim.addFault({ route: "jwks", kind: "status", status: 500, times: 1 });
    (await deliver(flow, newEventBody().raw)).status!.should.equal(503);
    await waitFor(() => flow.received("caught").length === 1, 2000, "caught");
    (flow.received("caught")[0] as any).error.code.should.equal("FLATPEAK_WEBHOOK_KEYS_UNAVAILABLE");
  });

  it("shares one key fetch between 50 concurrent first deliveries", async function () {
    const flow = await deploySource(env.sim, WEBHOOK);
    const bodies = Array.from({ length: 50 }, () => newEventBody().raw);
    const answers = await Promise.all(bodies.map((raw) => deliver(flow, raw)));
    answers.map((a) => a.status).should.eql(Array(50).fill(200));
    env.sim.stats.jwksRequests.should.equal(1);
    await waitFor(() => flow.received("out").length === 50, 5000, "all sent");
    new Set(flow.received("out").map((m: any) => m.payload.id)).size.should.equal(50);
  });

  it("verifies with a rotated key without a redeploy, fetching the keys at most once per 10 s", async function () {
    this.timeout(30_000);
    const flow = await deploySource(env.sim, WEBHOOK);
    (await deliver(flow, newEventBody().raw)).status!.should.equal(200);
    env.sim.rotateSigningKey();
    // Within 10 s of the last fetch an unknown key is refused without a fetch (Flatpeak delivers again later)…
    const early = await Promise.all([deliver(flow, newEventBody().raw), deliver(flow, newEventBody().raw)]);
    early.map((a) => a.status).should.eql([401, 401]);
    env.sim.stats.jwksRequests.should.equal(1);
    // …and once the 10 s have passed (a lower bound: waiting longer is fine), the new key is fetched and works.
    await new Promise((resolve) => setTimeout(resolve, 10_100));
    (await deliver(flow, newEventBody().raw)).status!.should.equal(200);
    env.sim.stats.jwksRequests.should.equal(2);
  });
});

void should;

