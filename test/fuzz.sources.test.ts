/**
 * Property-based tests for the webhook node: random bodies and headers, some
 * validly signed. Each delivery gets exactly one HTTP answer and ends in
 * exactly one outcome (sent, caught, or a redelivery answered 200), and no
 * event is sent twice. Fixed seed, so a failure replays the same way.
 */
import fc from "fast-check";
import should from "should";
import { signWebhook } from "../simulator/signing";
import { useSimulator, waitFor } from "./support/harness";
import { deploySource, httpInMessage } from "./support/sources";

const SEED = 20261201;
const ANSWERS = new Set([200, 400, 401, 413, 500, 503]);

describe("fuzz: deliveries at the webhook node", function () {
  const env = useSimulator();

  it("answers every delivery once, ends it once, and sends no event twice", async function () {
    this.timeout(120_000);
    const flow = await deploySource(env.sim, { type: "flatpeak-webhook", tolerance: 300, allowUnsigned: false });
    const events = Array.from({ length: 5 }, () => JSON.stringify(env.sim.createEvent()));
    const body = fc.oneof(
      fc.constantFrom(...events),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
      fc.json(),
      fc.constantFrom("", "{}", "[]", "null", '{"id":"evt_1","type":"x","object":"event"}'),
    );
    const headerValue = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom("none", "v1=", "v1=abc", "1700000000", "wsk_test_x"));
    const delivery = fc.record({
      body,
      sign: fc.constantFrom("valid", "valid", "stale", "random"),
      extra: fc.dictionary(fc.constantFrom("flatpeak-signature", "flatpeak-timestamp", "flatpeak-key-id", "content-type"), headerValue),
    });
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(delivery, async ({ body: text, sign, extra }) => {
        const raw = Buffer.from(text, "latin1");
        const now = Date.now() / 1000;
        const headers =
          sign === "random" ? extra : signWebhook(raw, env.sim.signingKey.privateKey, env.sim.signingKey.kid, sign === "stale" ? now - 1000 : now);
        const { msg, answer } = httpInMessage(raw, headers);
        const endsBefore = flow.received("out").length + flow.received("caught").length;
        flow.node("source").receive(msg);
        await waitFor(() => answer.status !== undefined, 5000, "an answer");
        answered += 1;
        ANSWERS.has(answer.status!).should.be.true(`unexpected status ${answer.status}`);
        if (answer.status === 200 && (answer.body as { duplicate?: boolean }).duplicate) return;
        await waitFor(() => flow.received("out").length + flow.received("caught").length === endsBefore + 1, 5000, "one outcome");
      }),
      { seed: SEED, numRuns: 150 },
    );
    answered.should.equal(150);
    const sent = flow.received("out").map((m: any) => m.payload.id as string);
    new Set(sent).size.should.equal(sent.length, "no event sent twice");
    sent.length.should.be.above(0, "some deliveries were valid");
  });
});

void should;
