/**
 * Property-based tests: random inputs at the event node, random server
 * behaviour at the client. Fixed seeds, so a failure replays the same way.
 */
import fc from "fast-check";
import should from "should";
import { SAMPLES } from "../simulator/sample-events";
import { SIMULATOR_API_KEY, type Fault } from "../simulator/server";
import { deploy, settle, useSimulator, waitFor, watchProcess, type TestFlow } from "./support/harness";

const SEED = 20261125;
const KNOWN_CODES = new Set([
  "FLATPEAK_INVALID_INPUT",
  "FLATPEAK_AUTH",
  "FLATPEAK_NOT_FOUND",
  "FLATPEAK_UNPROCESSABLE",
  "FLATPEAK_BAD_REQUEST",
  "FLATPEAK_RATE_LIMITED",
  "FLATPEAK_SERVER_ERROR",
  "FLATPEAK_TIMEOUT",
  "FLATPEAK_NETWORK",
  "FLATPEAK_BAD_RESPONSE",
]);

/** The spec's input rule, written independently of the node's own parser. */
function expectedEventId(input: unknown): string | undefined {
  let candidate: unknown = input;
  if (typeof input === "object" && input !== null && !Array.isArray(input) && !Buffer.isBuffer(input)) {
    const own = Object.getOwnPropertyDescriptor(input, "id");
    candidate = own && "value" in own ? own.value : undefined;
  }
  if (typeof candidate !== "string") return undefined;
  const id = candidate.trim();
  return /^evt_[A-Za-z0-9]{1,64}$/.test(id) ? id : undefined;
}

const pollutionKey = fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty");
const nearlyValidId = fc
  .tuple(
    fc.constantFrom("evt_", "EVT_", "evt", "evt__", "dev_", ""),
    fc.string({ unit: fc.constantFrom(..."abcXYZ0123456789_-/?.#%é 🔋\u0000\n"), maxLength: 70 }),
    fc.constantFrom("", " ", "\t\n", "\u00a0"),
  )
  .map(([prefix, body, space]) => `${space}${prefix}${body}${space}`);
const validId = fc.stringMatching(/^evt_[A-Za-z0-9]{1,64}$/);
const objectWithId = fc.record({ id: fc.oneof(validId, nearlyValidId, fc.anything()) }, { requiredKeys: [] });
// Each of these, merged carelessly into an object, would give every object a `polluted` property.
const pollutedObject = fc.oneof(
  fc.tuple(pollutionKey, fc.anything()).map(([key, value]) => JSON.parse(`{"${key}": ${JSON.stringify(value ?? null) ?? "null"}, "id": 1}`)),
  fc.tuple(fc.constantFrom("__proto__", "constructor"), validId).map(([key, id]) =>
    JSON.parse(key === "__proto__" ? `{"__proto__": {"polluted": "yes"}, "id": "${id}"}` : `{"constructor": {"prototype": {"polluted": "yes"}}, "id": "${id}"}`),
  ),
);
const input = fc.oneof(
  { weight: 3, arbitrary: nearlyValidId },
  { weight: 2, arbitrary: validId },
  { weight: 2, arbitrary: objectWithId },
  { weight: 1, arbitrary: pollutedObject },
  { weight: 2, arbitrary: fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 200_000 }).map((n) => "evt_" + "a".repeat(n)) },
);

/** Sends a batch and waits until every message has ended. */
async function sendAll(flow: TestFlow, payloads: unknown[]): Promise<string[]> {
  const ids = payloads.map((payload) => flow.send({ payload }));
  await waitFor(() => ids.every((id) => flow.ended(id)), 20_000, "every fuzzed message ends");
  await settle(30);
  return ids;
}


describe("fuzz: inputs at the event node", function () {
  this.timeout(120_000);
  const env = useSimulator();

  it("ends every message exactly once, requests only valid IDs, leaks nothing, pollutes nothing", async function () {
    const flow = await deploy(env.sim, { eventOutput: true, cacheSize: 50 });
    const watch = watchProcess();
    let messages = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(input, { minLength: 1, maxLength: 15 }), async (payloads) => {
          env.sim.resetStats();
          const ids = await sendAll(flow, payloads);
          messages += ids.length;
          const expected = payloads.map(expectedEventId);
          ids.forEach((id, i) => {
            flow.endings(id).should.equal(1);
            flow.doneCount(id).should.equal(1);
            const outcome = flow.outcome(id);
            if (expected[i] === undefined) {
              outcome.error!.error.code!.should.equal("FLATPEAK_INVALID_INPUT");
            } else if (outcome.error) {
              outcome.error.error.code!.should.equal("FLATPEAK_NOT_FOUND");
            }
          });
          const requested = new Set(env.sim.stats.requests.filter((r) => r.route === "event").map((r) => decodeURIComponent(r.path.slice(8))));
          const allowed = new Set(expected.filter((id): id is string => id !== undefined));
          for (const id of requested) allowed.has(id).should.be.true(`requested ${id} which was not a valid input`);
        }),
        { seed: SEED, numRuns: 200 },
      );
    } finally {
      watch.stop();
    }
    messages.should.be.above(1000);
    watch.problems.should.be.empty();
    should(({} as Record<string, unknown>).polluted).be.undefined();
    Object.keys(Object.prototype).should.be.empty();
    const everything = [...flow.received.values()].flat().map((m) => JSON.stringify(m, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)));
    for (const text of everything) {
      text.includes(SIMULATOR_API_KEY).should.be.false();
      for (const token of env.sim.issuedTokens) text.includes(token).should.be.false();
    }
    // Still healthy afterwards:
    (await flow.run({ payload: SAMPLES.fullDevice.event.id })).completed.should.be.true();
  });
});

const headerValue = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 ,;=-:/GMT"), maxLength: 40 });
const jsonBody = fc.oneof(
  fc.jsonValue(),
  fc.record({ message: fc.string(), code: fc.oneof(fc.string(), fc.integer()), type: fc.string(), object: fc.constantFrom("error", "event", "list") }, { requiredKeys: [] }),
  fc.constant({ message: `echo ${SIMULATOR_API_KEY}` }),
);
const serverBehaviour: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({
    kind: fc.constant("status" as const),
    status: fc.integer({ min: 200, max: 599 }),
    headers: fc.option(fc.record({ "Retry-After": fc.oneof(headerValue, fc.nat(3).map(String)) }, { requiredKeys: [] }), { nil: undefined }),
    body: fc.oneof(jsonBody, fc.string({ maxLength: 300 })),
    delayMs: fc.option(fc.nat(30), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constantFrom("reset" as const, "truncate" as const, "hang" as const, "drip" as const, "not-json" as const, "not-event" as const, "wrong-event" as const, "slow" as const),
    delayMs: fc.option(fc.nat(50), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant("huge" as const), sizeBytes: fc.integer({ min: 1_000, max: 1_200_000 }) }),
);

describe("fuzz: server behaviour at the client", function () {
  this.timeout(180_000);
  const env = useSimulator();

  it("turns whatever the server does into an event or a clear, catchable error", async function () {
    const flow = await deploy(env.sim, { retries: 1, maxBackoff: 0.02, timeout: 0.25, cacheSize: 0 });
    const watch = watchProcess();
    let cases = 0;
    /** Every status answered so far: a refused login is held for a cool-down, so its error may come from an earlier case. */
    const answeredEver = new Set<number>();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.constantFrom("login", "event", undefined), serverBehaviour, fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 3 }),
          async (faults) => {
            env.sim.clearFaults();
            for (const [route, fault, times] of faults) env.sim.addFault({ ...fault, route: route, times });
            if (faults.some(([route]) => route !== "event")) env.sim.expireTokens();
            const before = env.sim.stats.requests.length;
            const ids = await sendAll(flow, [SAMPLES.fullDevice.event.id, SAMPLES.customer.event.id]);
            const answered = env.sim.stats.requests.slice(before).map((r) => r.status).filter((status) => status !== undefined);
            for (const status of answered) answeredEver.add(status);
            cases += 1;
            for (const id of ids) {
              flow.endings(id).should.equal(1);
              flow.doneCount(id).should.equal(1);
              const { error, completed, outputs } = flow.outcome(id);
              if (completed) {
                should(error).be.undefined();
                continue;
              }
              outputs.every((port) => port.length === 0).should.be.true();
              KNOWN_CODES.has(error!.error.code!).should.be.true(`unknown code ${error!.error.code}`);
              const message = error!.error.message;
              message.should.not.match(/undefined|\[object Object\]|__\w+__/);
              message.includes(SIMULATOR_API_KEY).should.be.false();
              for (const token of env.sim.issuedTokens) message.includes(token).should.be.false();
              // A status on the error must be one the simulator really answered: in this case, or for a login refused in an earlier one.
              if (error!.statusCode !== undefined) {
                const held = error!.error.code === "FLATPEAK_AUTH" && answeredEver.has(error!.statusCode);
                (answered.includes(error!.statusCode) || held).should.be.true(`status ${error!.statusCode} was not answered`);
              }
            }
          },
        ),
        { seed: SEED, numRuns: 300 },
      );
    } finally {
      watch.stop();
      env.sim.clearFaults();
    }
    cases.should.equal(300);
    watch.problems.should.be.empty();
    const after = await flow.run({ payload: SAMPLES.fullDevice.event.id });
    if (!after.completed) {
      // Only a login refused in the last case may still hold (a 30 s cool-down); a redeploy starts without it.
      after.error!.error.code!.should.equal("FLATPEAK_AUTH");
      await flow.redeploy();
      (await flow.run({ payload: SAMPLES.fullDevice.event.id })).completed.should.be.true();
    }
  });
});
