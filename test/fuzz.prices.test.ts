/**
 * Property-based tests for the prices and plans nodes, in real Node-RED
 * (node-red-node-test-helper). Fixed seeds, so a failure replays the same way.
 *
 * flatpeak price, against the simulator over loopback in each API version
 * (zero, anode, busbar): random answers on the prices route (rows with times
 * in every form and none, end before start, overlaps, duplicates, up to tens
 * of thousands of rows, prices and confidences of every type, odd envelopes),
 * random error statuses and bodies (Flatpeak's three "no prices" codes
 * among them), cut, hung, slow and huge answers, and invalid locations. Each
 * message ends once, in prices that SPEC's reading of the answer predicts
 * (test/support/price-answers.ts) or in a Catch with the code SPEC predicts.
 *
 * flatpeak plan, on a clock the test sets (test/support/frozen-clock.ts):
 * random node settings, prices messages (prices and priceData, times in every
 * form, gaps, ties, negative prices, zones valid and not), one-off jobs and
 * restarts, with the clock moved between messages. Each message ends once;
 * one the model (test/support/plan-model.ts) refuses leaves no output and the
 * node's state as it was; every plan is checked against SPEC's rules.
 */
import fc from "fast-check";
import should from "should";
import type { NodeMessage } from "node-red";
import { SIMULATOR_API_KEY, SIMULATOR_LOCATIONS, startSimulator, type Fault, type Simulator, type SimulatorDialect } from "../simulator/server";
import { helper, loggedTexts, useSimulator, waitFor, watchProcess } from "./support/harness";
import { deployPrice, type PriceFlow } from "./support/price-flow";
import { deployPlan, type PlanFlow } from "./support/plan-flow";
import { freezeClock, waitUntil, type FrozenClock } from "./support/frozen-clock";
import { answerSpec, disjoint, MAX_ANSWER_BYTES, renderAnswer, rowCovering, type AnswerSpec, type ExpectedRow, type RenderedAnswer } from "./support/price-answers";
import {
  HOUR,
  jobSpec,
  MAX_HORIZON_MINUTES,
  MINUTE,
  nominalMinutes,
  PriceModel,
  pricesSpec,
  readSettings,
  renderJob,
  renderPrices,
  settingsSpec,
  SYSTEM_ZONE,
  wallTime,
  zoneOf,
  zoneOffsetMinutes,
  type JobSpec,
  type ModelJob,
  type ModelSettings,
  type PricesSpec,
  type SettingsSpec,
} from "./support/plan-model";

/** FLATPEAK_FUZZ_SEED and FLATPEAK_FUZZ_RUNS explore further (the timeouts then grow with the runs). */
const PRICE_SEED = Number(process.env.FLATPEAK_FUZZ_SEED) || 20261210;
const PLAN_SEED = Number(process.env.FLATPEAK_FUZZ_SEED) || 20261211;
const PRICE_RUNS = Number(process.env.FLATPEAK_FUZZ_RUNS) || 40;
const PLAN_RUNS = Number(process.env.FLATPEAK_FUZZ_RUNS) || 100;

const HOME = SIMULATOR_LOCATIONS.home;
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const NO_PRICES_CODES = ["no_tariff_connected", "pending_connect", "no_price_data"];

// =====================================================================================
// flatpeak price

/** What the prices route does for one message. */
type Behaviour =
  | { kind: "answer"; answer: AnswerSpec }
  | { kind: "other200"; body: unknown }
  | { kind: "error"; status: number; body: unknown; retryAfter: string | undefined }
  | { kind: "no-prices"; code: string; message: string }
  | { kind: "auth"; status: 401 | 403 }
  | { kind: "fault"; fault: "hang" | "reset" | "truncate" | "not-json" | "not-list" | "huge" | "bad-rows" | "bad-rows-all"; sizeBytes: number }
  | { kind: "slow"; delayMs: number }
  | { kind: "real" };

/** Which location a message asks for: a new ID of its own, the node's own (by msg.location or without), or a value that is no location ID. */
type LocationChoice = { kind: "fresh"; padded: boolean } | { kind: "own"; explicit: boolean } | { kind: "invalid"; value: unknown };

interface PriceMessageSpec {
  location: LocationChoice;
  behaviour: Behaviour;
}

/** Texts from the server: no letters that could spell `undefined` or `object` by chance. */
const serverText = fc.string({ unit: fc.constantFrom(..."abcXYZ 0123.,:/é🔋-"), maxLength: 80 });
const errorBody: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        object: fc.constant("error"),
        type: fc.constantFrom("invalid_request", "api_error"),
        code: fc.oneof(fc.constantFrom(...NO_PRICES_CODES, "account_disabled", "api_version_not_supported", "No_Price_Data", "no_prices", "rate_limited"), serverText),
        message: serverText,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom({ message: "echo $KEY" }, { message: "your token $TOKEN expired", code: "$TOKEN" }, { code: "$KEY" }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: serverText },
);
const errorStatus = fc.oneof(fc.constantFrom(400, 401, 403, 404, 405, 409, 410, 422, 422, 429, 500, 502, 503, 504, 201, 204, 301, 302, 304), fc.integer({ min: 400, max: 599 }));

const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant("answer" as const), answer: answerSpec }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("other200" as const), body: fc.oneof(fc.jsonValue({ maxDepth: 3 }), serverText) }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("error" as const), status: errorStatus, body: errorBody, retryAfter: fc.option(fc.constantFrom("0", "1", "120", "soon"), { nil: undefined }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("no-prices" as const), code: fc.constantFrom(...NO_PRICES_CODES), message: serverText }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("auth" as const), status: fc.constantFrom(401 as const, 403 as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("fault" as const),
      fault: fc.constantFrom("hang" as const, "reset" as const, "truncate" as const, "not-json" as const, "not-list" as const, "huge" as const, "bad-rows" as const, "bad-rows-all" as const),
      sizeBytes: fc.integer({ min: 1_000, max: 1_200_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("slow" as const), delayMs: fc.integer({ min: 0, max: 1300 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "real" as const }) },
);

const invalidLocation = fc.constantFrom<unknown>("dev_123", "loc_", "loc_a/b", `loc_${"a".repeat(65)}`, "LOC_abc", "loc_ab c", 42, { id: HOME.id }, [HOME.id], true);

const priceMessage: fc.Arbitrary<PriceMessageSpec> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ location: fc.record({ kind: fc.constant("fresh" as const), padded: fc.boolean() }), behaviour }) },
  // The node's own location only where the answer cannot hold it back for 15 minutes.
  {
    weight: 2,
    arbitrary: fc.record({
      location: fc.record({ kind: fc.constant("own" as const), explicit: fc.boolean() }),
      behaviour: fc.oneof(fc.constant({ kind: "real" as const }), fc.record({ kind: fc.constant("slow" as const), delayMs: fc.integer({ min: 0, max: 1300 }) })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ location: fc.record({ kind: fc.constant("invalid" as const), value: invalidLocation }), behaviour: fc.constant({ kind: "real" as const }) }) },
);

/** What SPEC predicts for one message: prices (exactly these rows, or any valid ones), or a Catch with one of these codes. */
type Prediction =
  | { ok: true; exact: RenderedAnswer | undefined; overlapping: RenderedAnswer | undefined; orCodes: string[] }
  | { ok: false; codes: string[]; statusCode?: number; apiCode?: string; allowOk?: boolean };

function predictStatus(status: number, body: unknown): { codes: string[]; apiCode?: string } {
  if (status === 401 || status === 403) return { codes: ["FLATPEAK_AUTH"] };
  if (status === 404) return { codes: ["FLATPEAK_NOT_FOUND"] };
  if (status === 422) {
    const code = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as { code?: unknown }).code : undefined;
    if (typeof code === "string" && NO_PRICES_CODES.includes(code)) return { codes: ["FLATPEAK_NO_PRICES"], apiCode: code };
    return { codes: ["FLATPEAK_UNPROCESSABLE"] };
  }
  if (status === 429) return { codes: ["FLATPEAK_RATE_LIMITED"] };
  if (status >= 500) return { codes: ["FLATPEAK_SERVER_ERROR"] };
  if (status >= 400) return { codes: ["FLATPEAK_BAD_REQUEST"] };
  return { codes: ["FLATPEAK_BAD_RESPONSE"] };
}

/** Replaces the markers `$KEY` and `$TOKEN` in every string of a body: a server that echoes secrets. */
function withSecrets(value: unknown, token: string): unknown {
  if (typeof value === "string") return value.split("$KEY").join(SIMULATOR_API_KEY).split("$TOKEN").join(token);
  if (Array.isArray(value)) return value.map((item) => withSecrets(item, token));
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withSecrets(item, token)]));
  return value;
}

/** The location ID a prices request was for, in any dialect. */
function requestedLocation(request: { path: string; body?: Record<string, unknown> }): string | undefined {
  const inPath = /^\/(?:prices|tariffs\/rates)\/([^/?]+)/.exec(request.path);
  if (inPath) return decodeURIComponent(inPath[1]);
  return typeof request.body?.location_id === "string" ? request.body.location_id : undefined;
}

interface PriceCounters {
  cases: number;
  messages: number;
  exact: number;
  overlapping: number;
  succeeded: number;
  priceNow: number;
  held: number;
  caught: Map<string, number>;
}

/** Checks one output 1 message against SPEC's shape, whatever the answer was. */
function checkPricesShape(msg: any, locationId: string, direction: string): ExpectedRow[] {
  msg.topic.should.equal(`flatpeak/${locationId}/prices`);
  const payload = msg.payload;
  Object.keys(payload).sort().should.eql(["currency", "direction", "location_id", "next_update", "priceData", "prices", "timezone", "updated"]);
  // The location asked for, or the one the answer names (the simulator's bad-rows answer names its home location).
  payload.location_id.should.be.a.String().and.match(/^loc_/);
  payload.direction.should.equal(direction);
  for (const key of ["currency", "timezone"]) if (payload[key] !== null) payload[key].should.be.a.String().and.not.be.empty();
  for (const key of ["updated", "next_update"]) if (payload[key] !== null) payload[key].should.match(ISO_UTC);
  payload.prices.should.be.an.Array().and.not.be.empty();
  const rows: ExpectedRow[] = payload.prices.map((row: any, i: number) => {
    Object.keys(row).should.eql(["start", "end", "price", "confidence"]);
    row.start.should.match(ISO_UTC);
    row.end.should.match(ISO_UTC);
    Number.isFinite(row.price).should.be.true(`row ${i}: price ${row.price} is not a finite number`);
    if (row.confidence !== null) Number.isFinite(row.confidence).should.be.true();
    should(row.confidence).not.equal(0);
    return { start: Date.parse(row.start), end: Date.parse(row.end), price: row.price, confidence: row.confidence };
  });
  rows.forEach((row, i) => {
    (row.end > row.start).should.be.true(`row ${i} ends at or before its start`);
    if (i > 0) (row.start >= rows[i - 1].end).should.be.true(`row ${i} starts before row ${i - 1} ends (unsorted or overlapping)`);
  });
  payload.priceData.should.eql(payload.prices.map((row: any) => ({ start: row.start, value: row.price })));
  return rows;
}

const isoRow = (row: ExpectedRow): Record<string, unknown> => ({ start: new Date(row.start).toISOString(), end: new Date(row.end).toISOString(), price: row.price, confidence: row.confidence });

describe("fuzz: price answers at flatpeak price", function () {
  // The helper's server and the hooks' clean-up; each test starts a simulator of its own version.
  useSimulator();
  let sim: Simulator | undefined;

  afterEach(async () => {
    await helper.unload();
    await sim?.close();
    sim = undefined;
  });

  const versions: Array<{ dialect: SimulatorDialect; direction: "IMPORT" | "EXPORT"; hours: number; refresh: boolean; seed: number }> = [
    { dialect: "zero", direction: "IMPORT", hours: 24, refresh: false, seed: PRICE_SEED },
    { dialect: "anode", direction: "EXPORT", hours: 72, refresh: false, seed: PRICE_SEED + 1 },
    { dialect: "busbar", direction: "IMPORT", hours: 1, refresh: true, seed: PRICE_SEED + 2 },
  ];

  for (const version of versions) {
    it(`${version.dialect}: ends every message once, in the prices SPEC reads from the answer or a clear error, and leaks nothing`, async function () {
      this.timeout(Math.max(90_000, PRICE_RUNS * 2_000));
      sim = await startSimulator({ dialect: version.dialect });
      const server = sim;
      const flow = await deployPrice(server, { location: HOME.id, direction: version.direction, hours: version.hours, refresh: version.refresh }, { timeout: 1, retries: 0 });
      if (version.refresh) await waitFor(() => flow.received("prices").length + flow.received("caught").length > 0, 10_000, "the fetch at deploy");
      const watch = watchProcess();
      const counters: PriceCounters = { cases: 0, messages: 0, exact: 0, overlapping: 0, succeeded: 0, priceNow: 0, held: 0, caught: new Map() };
      let fresh = 0;
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(priceMessage, { minLength: 1, maxLength: 3 }), async (specs) => {
            await runPriceCase(server, flow, version, specs, () => `loc_fz${version.dialect}${++fresh}`, counters);
          }),
          { seed: version.seed, numRuns: PRICE_RUNS, endOnFailure: true },
        );
      } finally {
        watch.stop();
        server.clearFaults();
      }
      watch.problems.should.be.empty();
      // Nothing secret in any message the node sent or reported, nor in the log.
      const everything = [...(["prices", "now", "caught", "completed"] as const).flatMap((id) => flow.received(id)).map((m) => JSON.stringify(m)), ...loggedTexts()];
      for (const text of everything) {
        text.includes(SIMULATOR_API_KEY).should.be.false(`the API key in ${text.slice(0, 200)}`);
        for (const token of server.issuedTokens) text.includes(token).should.be.false(`a token in ${text.slice(0, 200)}`);
      }
      // Output 2 outside any input (row boundaries): the price now, as SPEC shapes it.
      const inputs = new Set([...flow.received("caught"), ...flow.received("completed")].map((m) => m._msgid));
      for (const msg of flow.received("now").filter((m) => !inputs.has(m._msgid)) as any[]) {
        Number.isFinite(msg.payload).should.be.true();
        msg.flatpeak.price.price.should.equal(msg.payload);
        msg.flatpeak.price.start.should.match(ISO_UTC);
      }
      // Not vacuous: every kind of outcome happened.
      if (process.env.FLATPEAK_FUZZ_STATS) console.log(version.dialect, JSON.stringify({ ...counters, caught: Object.fromEntries(counters.caught) }));
      counters.cases.should.equal(PRICE_RUNS);
      counters.exact.should.be.above(5);
      counters.overlapping.should.be.above(0);
      counters.priceNow.should.be.above(0);
      counters.held.should.be.above(0);
      for (const code of ["FLATPEAK_BAD_RESPONSE", "FLATPEAK_NO_PRICES", "FLATPEAK_INVALID_INPUT"]) (counters.caught.get(code) ?? 0).should.be.above(0, code);
      // Still works afterwards: the node's own prices, and the price now.
      const after = await flow.run({ payload: "after" });
      should(after.error).be.undefined();
      after.prices.should.have.length(1);
      after.now.should.have.length(1);
    });
  }
});

async function runPriceCase(
  server: Simulator,
  flow: PriceFlow,
  version: { dialect: SimulatorDialect; direction: string },
  specs: PriceMessageSpec[],
  newLocation: () => string,
  counters: PriceCounters,
): Promise<void> {
  server.clearFaults();
  server.resetStats();
  const anchor = Math.floor(Date.now() / MINUTE) * MINUTE;
  const token = server.issuedTokens[server.issuedTokens.length - 1] ?? "no-token-yet";
  interface Planned {
    msgid: string;
    location: string | undefined;
    prediction: Prediction;
    requests: number;
    sentAt: number;
  }
  const planned: Planned[] = [];
  const ownSlow = specs.some((spec) => spec.location.kind === "own" && spec.behaviour.kind === "slow");
  for (const spec of specs) {
    let location: string | undefined;
    let given: unknown;
    if (spec.location.kind === "fresh") {
      location = newLocation();
      given = spec.location.padded ? ` ${location}\n` : location;
    } else if (spec.location.kind === "own") {
      location = HOME.id;
      given = spec.location.explicit ? HOME.id : undefined;
    } else {
      given = spec.location.value;
    }
    const b = spec.behaviour;
    let prediction: Prediction;
    let requests = 1;
    const fault = (extra: Omit<Fault, "route" | "locationId">): void => server.addFault({ route: "prices", locationId: location, ...extra });
    if (location === undefined) {
      prediction = { ok: false, codes: ["FLATPEAK_INVALID_INPUT"] };
      requests = 0;
    } else {
      switch (b.kind) {
        case "answer": {
          const rendered = renderAnswer(b.answer, version.dialect, anchor, location);
          fault({ kind: "status", status: 200, body: rendered.body, times: 1 });
          if (Buffer.byteLength(rendered.text) > MAX_ANSWER_BYTES || !rendered.isList || rendered.usable.length === 0) prediction = { ok: false, codes: ["FLATPEAK_BAD_RESPONSE"], statusCode: Buffer.byteLength(rendered.text) > MAX_ANSWER_BYTES ? undefined : 200 };
          else if (disjoint(rendered.usable)) prediction = { ok: true, exact: rendered, overlapping: undefined, orCodes: [] };
          else prediction = { ok: true, exact: undefined, overlapping: rendered, orCodes: [] };
          break;
        }
        case "other200": {
          fault({ kind: "status", status: 200, body: b.body, times: 1 });
          const looksLikePrices = typeof b.body === "object" && b.body !== null && Array.isArray((b.body as { data?: unknown }).data);
          prediction = looksLikePrices ? { ok: false, codes: ["FLATPEAK_BAD_RESPONSE"], allowOk: true } : { ok: false, codes: ["FLATPEAK_BAD_RESPONSE"] };
          break;
        }
        case "error": {
          const body = withSecrets(b.body, token);
          // Twice: a refused token is dropped and the request tried once more with a fresh one.
          fault({ kind: "status", status: b.status, body, headers: b.retryAfter === undefined ? undefined : { "Retry-After": b.retryAfter }, times: 2 });
          const predicted = predictStatus(b.status, body);
          prediction = { ok: false, codes: predicted.codes, statusCode: b.status, apiCode: predicted.apiCode };
          if (b.status === 401 || b.status === 403) requests = 2;
          break;
        }
        case "no-prices":
          fault({ kind: "status", status: 422, body: { object: "error", type: "invalid_request", code: b.code, message: b.message }, times: 1 });
          prediction = { ok: false, codes: ["FLATPEAK_NO_PRICES"], statusCode: 422, apiCode: b.code };
          break;
        case "auth":
          fault({ kind: "status", status: b.status, times: 2 });
          prediction = { ok: false, codes: ["FLATPEAK_AUTH"], statusCode: b.status };
          requests = 2;
          break;
        case "fault": {
          const kind = b.fault === "bad-rows-all" ? "bad-rows" : b.fault;
          fault({ kind, times: 1, ...(b.fault === "bad-rows-all" ? { status: 0 } : {}), ...(b.fault === "huge" ? { sizeBytes: b.sizeBytes } : {}) });
          const codes: Record<typeof b.fault, string[]> = {
            hang: ["FLATPEAK_TIMEOUT"],
            reset: ["FLATPEAK_NETWORK"],
            truncate: ["FLATPEAK_NETWORK", "FLATPEAK_BAD_RESPONSE"],
            "not-json": ["FLATPEAK_BAD_RESPONSE"],
            "not-list": ["FLATPEAK_BAD_RESPONSE"],
            huge: ["FLATPEAK_BAD_RESPONSE"],
            "bad-rows": [],
            "bad-rows-all": ["FLATPEAK_BAD_RESPONSE"],
          };
          if (b.fault === "bad-rows") prediction = { ok: true, exact: undefined, overlapping: undefined, orCodes: [] };
          // The simulator's "all unusable" rows hold one in the zero shape, which zero reads (a quirk of the simulator).
          else if (b.fault === "bad-rows-all" && version.dialect === "zero") prediction = { ok: false, codes: codes[b.fault], allowOk: true };
          else prediction = { ok: false, codes: codes[b.fault] };
          break;
        }
        case "slow":
          fault({ kind: "slow", delayMs: b.delayMs, times: 1 });
          prediction = location === HOME.id ? { ok: true, exact: undefined, overlapping: undefined, orCodes: ["FLATPEAK_TIMEOUT"] } : { ok: false, codes: ["FLATPEAK_NOT_FOUND", "FLATPEAK_TIMEOUT"] };
          break;
        case "real":
          // Messages for the node's own location share its faults: a slow answer meant for another may come to this one.
          prediction = location === HOME.id ? { ok: true, exact: undefined, overlapping: undefined, orCodes: ownSlow ? ["FLATPEAK_TIMEOUT"] : [] } : { ok: false, codes: ["FLATPEAK_NOT_FOUND"] };
          break;
      }
    }
    const msgid = `fz-price-${counters.messages + planned.length + 1}`;
    planned.push({ msgid, location, prediction, requests, sentAt: Date.now() });
    const message: Record<string, unknown> = { _msgid: msgid, payload: "fuzz", fuzz: msgid };
    if (given !== undefined) message.location = given;
    flow.node().receive(message);
  }
  const ended = (msgid: string): number => flow.received("caught").filter((m) => m._msgid === msgid).length + flow.received("completed").filter((m) => m._msgid === msgid).length;
  await waitFor(() => planned.every((p) => ended(p.msgid) > 0), 20_000, "every message ends");
  const endedAt = Date.now();
  // Anything a message sends comes before its end; a second ending would come right after.
  await new Promise((resolve) => setTimeout(resolve, 10));
  const explain = (p: Planned, extra = ""): string => `${p.msgid} (${p.location ?? "invalid location"}, ${JSON.stringify(specs[planned.indexOf(p)].behaviour).slice(0, 300)})${extra}`;

  const noPrices: Planned[] = [];
  for (const p of planned) {
    ended(p.msgid).should.equal(1, `ends exactly once: ${explain(p)}`);
    const byId = (m: NodeMessage): boolean => m._msgid === p.msgid;
    const prices = flow.received("prices").filter(byId) as any[];
    const now = flow.received("now").filter(byId) as any[];
    const error = flow.received("caught").find(byId) as any;
    const prediction = p.prediction;
    if (error) {
      prices.should.have.length(0, explain(p));
      now.should.have.length(0, explain(p));
      const code = error.error.code as string;
      counters.caught.set(code, (counters.caught.get(code) ?? 0) + 1);
      const allowed = prediction.ok ? prediction.orCodes : prediction.codes;
      allowed.includes(code).should.be.true(`${code} (${error.error.message}) where SPEC says ${prediction.ok ? "prices" : allowed.join(" or ")}: ${explain(p)}`);
      error.flatpeak.error.code.should.equal(code);
      error.error.message.should.be.a.String().and.not.be.empty();
      error.error.message.should.not.match(/\bundefined\b|\[object Object\]|__\w+__/);
      if (!prediction.ok && prediction.statusCode !== undefined && code !== "FLATPEAK_TIMEOUT") should(error.statusCode).equal(prediction.statusCode, explain(p));
      if (!prediction.ok && prediction.apiCode !== undefined) should(error.flatpeak.error.apiCode).equal(prediction.apiCode, explain(p));
      if (code === "FLATPEAK_NO_PRICES") {
        noPrices.push(p);
        error.error.message.should.containEql(p.location!);
        error.error.message.should.containEql("15 minutes");
      }
      continue;
    }
    (prediction.ok || prediction.allowOk === true).should.be.true(`sent prices where SPEC says ${prediction.ok ? "" : prediction.codes.join(" or ")}: ${explain(p, ` → ${JSON.stringify(prices[0]?.payload?.prices?.slice(0, 3))}`)}`);
    counters.succeeded += 1;
    prices.should.have.length(1, explain(p));
    now.length.should.be.belowOrEqual(1);
    const msg = prices[0];
    msg.fuzz.should.equal(p.msgid);
    const rows = checkPricesShape(msg, p.location!, version.direction);
    if (prediction.ok && prediction.exact) {
      counters.exact += 1;
      const expected = [...prediction.exact.usable].sort((a, b) => a.start - b.start);
      should(msg.payload.prices).eql(expected.map(isoRow), `the usable rows, sorted: ${explain(p)}`);
      const { currency, timezone, updated, next_update, location_id } = prediction.exact.expected;
      msg.payload.location_id.should.equal(location_id);
      should({ currency: msg.payload.currency, timezone: msg.payload.timezone, updated: msg.payload.updated, next_update: msg.payload.next_update }).eql({ currency, timezone, updated, next_update }, explain(p));
    } else if (prediction.ok && prediction.overlapping) {
      // Overlapping usable rows: SPEC keeps usable rows and drops the unusable, so every row sent is one of them,
      // and any usable row left out overlaps one that was sent (no row dropped that fitted).
      counters.overlapping += 1;
      const usable = prediction.overlapping.usable;
      const key = (row: ExpectedRow): string => JSON.stringify(isoRow(row));
      const offered = new Set(usable.map(key));
      for (const row of rows) offered.has(key(row)).should.be.true(`${key(row)} is not a usable row of the answer: ${explain(p)}`);
      const sent = new Set(rows.map(key));
      for (const row of usable) {
        if (sent.has(key(row))) continue;
        rows.some((kept) => kept.start < row.end && row.start < kept.end).should.be.true(`the usable row ${key(row)} was dropped though it overlaps none sent: ${explain(p)}`);
      }
    }
    // Output 2: the row covering the instant the node looked, somewhere between the input and its end.
    const atSend = rowCovering(rows, p.sentAt);
    const atEnd = rowCovering(rows, endedAt);
    if (now.length === 1) {
      counters.priceNow += 1;
      const shown = now[0];
      shown.fuzz.should.equal(p.msgid);
      shown.topic.should.equal(`flatpeak/${p.location}/price`);
      const row = rows.find((r) => new Date(r.start).toISOString() === shown.flatpeak.price.start);
      should(row !== undefined && (row === atSend || row === atEnd)).be.true(`output 2 says ${JSON.stringify(shown.flatpeak.price)}, not the row covering now: ${explain(p)}`);
      shown.payload.should.equal(row!.price);
      shown.flatpeak.price.should.eql({ ...isoRow(row!), currency: msg.payload.currency, direction: version.direction, location_id: msg.payload.location_id });
    } else {
      should(atSend === undefined || atEnd === undefined).be.true(`no output 2 though a row covers now: ${explain(p)}`);
    }
  }
  // Requests: none for an invalid location, one each otherwise (two after a refused token).
  const requests = server.stats.requests.filter((r) => r.route === "prices");
  for (const p of planned) {
    if (p.location === undefined || p.location === HOME.id) continue;
    const made = requests.filter((r) => requestedLocation(r) === p.location).length;
    // A refused token: one fresh login and one more try, unless the token was new and never accepted (then the refusal is final).
    if (p.requests === 2) made.should.be.within(1, 2, `price requests for ${explain(p)}`);
    else made.should.equal(p.requests, `price requests for ${explain(p)}`);
  }
  const own = planned.filter((p) => p.location === HOME.id).length;
  requests.filter((r) => requestedLocation(r) === HOME.id).length.should.equal(own, "price requests for the node's own location");
  // SPEC: after a "no prices" answer, the same error for 15 minutes, without a request.
  for (const p of noPrices) {
    const before = server.stats.requests.length;
    const again = await flow.run({ location: p.location, payload: "again" });
    should(again.error?.error?.code).equal("FLATPEAK_NO_PRICES", explain(p, " (asked again)"));
    should(again.error.flatpeak.error.apiCode).equal((p.prediction as { apiCode?: string }).apiCode);
    server.stats.requests.slice(before).filter((r) => r.route === "prices").should.have.length(0, "no request while held");
    counters.held += 1;
  }
  counters.messages += planned.length;
  counters.cases += 1;
}

// =====================================================================================
// flatpeak plan

const STATE_KEY = "flatpeak-plan-state";
const T_BEGIN = Date.UTC(2027, 0, 1);
/** Instants near clock changes: London, New York, Lord Howe (30 minutes), Chatham (an hour at 02:45). */
const CLOCK_CHANGES = ["2027-03-28T01:00:00Z", "2027-10-31T01:00:00Z", "2027-03-14T07:00:00Z", "2027-11-07T06:00:00Z", "2027-04-03T15:00:00Z", "2027-09-25T14:00:00Z"].map(Date.parse);

type PayloadChoice = { kind: "prices"; spec: PricesSpec } | { kind: "empty"; field: "prices" | "priceData" } | { kind: "none" } | { kind: "garbage"; value: unknown };
type JobChoice = { kind: "job"; spec: JobSpec } | { kind: "garbage"; value: unknown } | undefined;

/** `into a run`: to the next switch when the device is off (a run starts there), else halfway to it (a run in progress). */
type Advance = { u: number; whole: boolean } | "to the next switch" | "into a run" | undefined;
type PlanStep =
  | { kind: "message"; advance: Advance; payload: PayloadChoice; job: JobChoice }
  | { kind: "restart" };

interface PlanScenario {
  settings: SettingsSpec;
  start: number;
  steps: PlanStep[];
}

const garbagePayload = fc.constantFrom<unknown>("hello", 42, null, [], {}, { prices: null }, { price: [1] }, true, { priceData: undefined }, "");
const garbageJob = fc.constantFrom<unknown>("tonight", 42, [], true, "", ["minutes", 60]);

const pricesChoice = fc.record({ kind: fc.constant("prices" as const), spec: pricesSpec });
const jobChoice = fc.record({ kind: fc.constant("job" as const), spec: jobSpec });
/** Time passing before a message: none, some (to a whole minute or not), or up to the instant the node would next switch. */
const advance: fc.Arbitrary<Advance> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.record({ u: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), whole: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant("to the next switch" as const) },
  { weight: 2, arbitrary: fc.constant("into a run" as const) },
);
const message = <P extends PayloadChoice, J extends JobChoice>(payload: fc.Arbitrary<P>, job: fc.Arbitrary<J>): fc.Arbitrary<PlanStep> =>
  fc.record({ kind: fc.constant("message" as const), advance, payload, job });

const planStep: fc.Arbitrary<PlanStep> = fc.oneof(
  { weight: 6, arbitrary: message(pricesChoice, fc.constant(undefined)) },
  { weight: 3, arbitrary: message(pricesChoice, jobChoice) },
  { weight: 4, arbitrary: message(fc.constant({ kind: "none" as const }), jobChoice) },
  { weight: 1, arbitrary: message(fc.record({ kind: fc.constant("empty" as const), field: fc.constantFrom("prices" as const, "priceData" as const) }), fc.constant(undefined)) },
  { weight: 1, arbitrary: message(fc.oneof(fc.constant({ kind: "none" as const }), fc.record({ kind: fc.constant("garbage" as const), value: garbagePayload })), fc.oneof(fc.constant(undefined), jobChoice)) },
  { weight: 1, arbitrary: message(fc.oneof(fc.constant({ kind: "none" as const }), pricesChoice), fc.record({ kind: fc.constant("garbage" as const), value: garbageJob })) },
  { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
);

const planScenario: fc.Arbitrary<PlanScenario> = fc.record({
  settings: settingsSpec,
  start: fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 * 365 * 1440 }), fc.constantFrom(0, 0, 0, 10, 30, 45)).map(([minute, second]) => T_BEGIN + minute * MINUTE + second * 1000) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...CLOCK_CHANGES), fc.integer({ min: -20 * 60, max: 20 * 60 }), fc.constantFrom(0, 0, 20)).map(([at, minute, second]) => at + minute * MINUTE + second * 1000) },
  ),
  steps: fc.array(planStep, { minLength: 1, maxLength: 8 }),
});

/** The node's state as it keeps it in context (times in ms), copied. */
interface StoredState {
  rows: Array<{ start: number; end: number; price: number }>;
  timeZone?: string;
  oneOff?: { job: ModelJob; window: { start: number; end: number } };
  window?: { start: number; end: number };
  ran: Array<{ start: number; end: number }>;
  told: boolean;
  onSince?: number;
  plan?: { key: string; runs: Array<{ start: number; end: number }>; payload: any };
}

function storedState(flow: PlanFlow): StoredState | undefined {
  const node = flow.node();
  const value = node?.context().get(STATE_KEY) as unknown;
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as StoredState);
}

interface PlanModel {
  settings: ModelSettings | undefined;
  prices: PriceModel;
  zone: string;
  oneOff: { job: ModelJob; window: { start: number; end: number } } | undefined;
}

interface PlanCounters {
  scenarios: number;
  messages: number;
  valid: number;
  invalid: number;
  plansChecked: number;
  optimal: number;
  contiguousOptimal: number;
  minRunRuns: number;
  running: number;
  switchedOn: number;
  shortfalls: number;
  unknownMinutes: number;
  restarts: number;
  oneOff: number;
  daily: number;
  invalidSettings: number;
}

const isOnAt = (runs: ReadonlyArray<{ start: number; end: number }>, at: number): boolean => runs.some((run) => run.start <= at && at < run.end);
const ceilMinute = (ms: number): number => Math.ceil(ms / MINUTE) * MINUTE;
const floorMinute = (ms: number): number => Math.floor(ms / MINUTE) * MINUTE;
const near = (a: number | null, b: number | null): boolean => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-7 * Math.max(1, Math.abs(a), Math.abs(b)));

/** The first instant after `at` where the plan switches. */
function nextChange(runs: ReadonlyArray<{ start: number; end: number }>, at: number): number | undefined {
  let best: number | undefined;
  for (const run of runs) for (const edge of [run.start, run.end]) if (edge > at && (best === undefined || edge < best)) best = edge;
  return best;
}

/**
 * Checks a plan (output 2), the switch (output 1) and the chart (output 3)
 * against SPEC, for the state the node had before (`before`, to count the
 * minutes already run) and the model; counts what it could check.
 */
function checkPlan(args: { payload: any; switchOn: boolean; chart: any; now: number; model: PlanModel; before: StoredState | undefined; counters: PlanCounters; label: () => string }): void {
  const { payload, switchOn, chart, now, model, before, counters, label } = args;
  const settings = model.settings!;
  Object.keys(payload).should.eql(["window", "runs", "minutes", "averagePrice", "baselinePrice", "saving", "complete", "timezone"], label());
  payload.window.start.should.match(ISO_UTC);
  payload.window.end.should.match(ISO_UTC);
  const window = { start: Date.parse(payload.window.start), end: Date.parse(payload.window.end) };
  (window.end > window.start).should.be.true(label());
  (window.end > now).should.be.true(`the window has ended: ${label()}`);
  // The zone: the last one a prices message named, else Node-RED's.
  should(zoneOf(payload.timezone)).equal(zoneOf(model.zone), `timezone: ${label()}`);
  // The job in force: a one-off job until its window ends, else the daily one.
  const oneOff = model.oneOff && now < model.oneOff.window.end ? model.oneOff : undefined;
  const job: ModelJob = oneOff ? oneOff.job : settings;
  if (oneOff) {
    counters.oneOff += 1;
    window.should.eql(oneOff.window, `the one-off job's window: ${label()}`);
  } else {
    counters.daily += 1;
    const zone = model.zone;
    // Wall-clock times in the zone, except where a clock change moves them.
    const steady = (at: number): boolean => zoneOffsetMinutes(at - 3 * HOUR, zone) === zoneOffsetMinutes(at + 3 * HOUR, zone);
    if (steady(window.start)) wallTime(window.start, zone).should.equal(settings.from, `window start: ${label()}`);
    if (steady(window.end)) wallTime(window.end, zone).should.equal(settings.until, `window end: ${label()}`);
    const nominal = nominalMinutes(settings.from, settings.until);
    ((window.end - window.start) / MINUTE).should.be.within(nominal - 60, nominal + 60, label());
    (window.start - now).should.be.belowOrEqual(25 * HOUR, `not the window of now or the next: ${label()}`);
  }
  // Runs: sorted, not overlapping, whole minutes, inside the window.
  const runs = (payload.runs as Array<{ start: string; end: string }>).map((run) => {
    run.start.should.match(ISO_UTC);
    run.end.should.match(ISO_UTC);
    return { start: Date.parse(run.start), end: Date.parse(run.end) };
  });
  runs.forEach((run, i) => {
    (run.start % MINUTE === 0 && run.end % MINUTE === 0).should.be.true(`not whole minutes: ${label()}`);
    (run.end > run.start).should.be.true(label());
    (run.start >= window.start && run.end <= window.end).should.be.true(`a run outside the window: ${label()}`);
    if (i > 0) (run.start >= runs[i - 1].end).should.be.true(`runs unsorted or overlapping: ${label()}`);
  });
  // Output 1: on exactly when now is inside a run.
  should(switchOn).equal(isOnAt(runs, now), `output 1 says ${switchOn} at ${new Date(now).toISOString()}: ${label()}`);
  const total = runs.reduce((sum, run) => sum + (run.end - run.start) / MINUTE, 0);
  should(payload.minutes).equal(total, `minutes is not the runs' total: ${label()}`);

  // What the job needs now: SPEC counts minutes already run in this window; a run in progress goes on to minRun.
  const planStart = ceilMinute(Math.max(now, window.start));
  const horizonEnd = Math.min(window.end, planStart + MAX_HORIZON_MINUTES * MINUTE);
  const left = Math.max(0, Math.floor((horizonEnd - planStart) / MINUTE));
  const sameWindow = before?.window !== undefined && before.window.start === window.start && before.window.end === window.end;
  const ranMs = sameWindow ? before.ran.reduce((sum, run) => sum + run.end - run.start, 0) + (before.onSince !== undefined ? now - before.onSince : 0) : 0;
  const done = Math.round(ranMs / MINUTE);
  const running = sameWindow && before.onSince !== undefined && left > 0;
  const needed = Math.max(0, job.minutes - done);
  const keepRunning = running ? Math.min(left, Math.max(0, Math.ceil((job.minRun * MINUTE - (planStart - before.onSince!)) / MINUTE))) : 0;
  const wanted = Math.min(left, Math.max(needed, keepRunning));
  if (running) counters.running += 1;
  // The planned minutes: from planStart on.
  const grid: Array<number | undefined> = [];
  const planned = new Uint8Array(left);
  for (let i = 0; i < left; i += 1) grid.push(model.prices.at(planStart + i * MINUTE));
  for (const run of runs) for (let t = Math.max(run.start, planStart); t < Math.min(run.end, horizonEnd); t += MINUTE) planned[(t - planStart) / MINUTE] = 1;
  const plannedCount = planned.reduce((sum, on) => sum + on, 0);
  should(plannedCount).equal(wanted, `planned ${plannedCount} minutes where the job needs ${wanted} (done ${done}, left ${left}, running ${running}): ${label()}`);
  if (wanted < needed) counters.shortfalls += 1;
  // Summary: over the planned minutes, against a timer started now, known prices only.
  const mean = (take: (i: number) => boolean): number | null => {
    let sum = 0;
    let count = 0;
    grid.forEach((price, i) => {
      if (price !== undefined && take(i)) {
        sum += price;
        count += 1;
      }
    });
    return count === 0 ? null : sum / count;
  };
  const average = mean((i) => planned[i] === 1);
  const baseline = mean((i) => i < plannedCount);
  near(payload.averagePrice, average).should.be.true(`averagePrice ${payload.averagePrice}, expected ${average}: ${label()}`);
  near(payload.baselinePrice, baseline).should.be.true(`baselinePrice ${payload.baselinePrice}, expected ${baseline}: ${label()}`);
  const saving = average !== null && baseline !== null && baseline > 0 ? (job.goal === "highest" ? average / baseline - 1 : 1 - average / baseline) : null;
  near(payload.saving, saving).should.be.true(`saving ${payload.saving}, expected ${saving}: ${label()}`);
  should(payload.complete).equal(grid.every((price) => price !== undefined), `complete: ${label()}`);
  const unknownPlanned = grid.filter((price, i) => price === undefined && planned[i] === 1).length;
  if (unknownPlanned > 0) counters.unknownMinutes += 1;

  // Contiguous: one run from planStart on (which continues a run in progress).
  const future = runs.filter((run) => run.end > planStart);
  if (job.contiguous) {
    future.length.should.be.belowOrEqual(1, `a contiguous job with ${future.length} runs: ${label()}`);
    if (running && wanted > 0) isOnAt(runs, planStart).should.be.true(`a contiguous run in progress was not continued: ${label()}`);
  }
  // Shortest run (split plans): every run at least minRun, but a run cut by the window's end and,
  // with nothing running, a job that needs fewer minutes than minRun (one short run).
  if (!job.contiguous && job.minRun > 1) {
    const bound = running ? job.minRun : Math.min(job.minRun, wanted);
    for (const run of future) {
      if (run.end === horizonEnd) continue;
      counters.minRunRuns += 1;
      ((run.end - run.start) / MINUTE).should.be.aboveOrEqual(bound, `a run shorter than ${bound} minutes (minRun ${job.minRun}): ${label()}`);
    }
  }
  // Optimal (nothing running, no minRun to keep): no other choice of minutes costs less (with highest, earns more).
  const sign = job.goal === "highest" ? -1 : 1;
  const cost = (set: (i: number) => boolean): { unknown: number; known: number } => {
    let unknown = 0;
    let known = 0;
    grid.forEach((price, i) => {
      if (!set(i)) return;
      if (price === undefined) unknown += 1;
      else known += price;
    });
    return { unknown, known };
  };
  const got = cost((i) => planned[i] === 1);
  if (!running && !job.contiguous && job.minRun <= 1) {
    counters.optimal += 1;
    const known = grid.filter((price): price is number => price !== undefined).sort((a, b) => sign * (a - b));
    const unknownNeeded = Math.max(0, wanted - known.length);
    const best = known.slice(0, wanted - unknownNeeded).reduce((sum, price) => sum + price, 0);
    should(got.unknown).equal(unknownNeeded, `minutes without a price used though priced ones were free: ${label()}`);
    near(got.known, best).should.be.true(`planned minutes cost ${got.known}, the cheapest choice ${best}: ${label()}`);
    // Time without a price: latest first.
    const unknownIndices = grid.map((price, i) => (price === undefined ? i : -1)).filter((i) => i >= 0);
    const latest = new Set(unknownIndices.slice(unknownIndices.length - unknownNeeded));
    unknownIndices.forEach((i) => should(planned[i] === 1).equal(latest.has(i), `minutes without a price not latest first: ${label()}`));
  } else if (!running && job.contiguous && wanted > 0 && wanted < left) {
    counters.contiguousOptimal += 1;
    let best: { unknown: number; known: number } | undefined;
    for (let first = 0; first + wanted <= left; first += 1) {
      const c = cost((i) => i >= first && i < first + wanted);
      if (!best || c.unknown < best.unknown || (c.unknown === best.unknown && sign * (c.known - best.known) < -1e-7 * Math.max(1, Math.abs(best.known)))) best = c;
    }
    should(got.unknown).equal(best!.unknown, `a contiguous run with more minutes without a price than needed: ${label()}`);
    near(got.known, best!.known).should.be.true(`the contiguous run costs ${got.known}, the best ${best!.known}: ${label()}`);
  }
  // Output 3: chart points.
  chart.payload.should.be.an.Array();
  for (const point of chart.payload) {
    Object.keys(point).sort().should.eql(["series", "x", "y"]);
    point.series.should.be.a.String();
    Number.isFinite(point.x).should.be.true();
    if (point.y !== null) Number.isFinite(point.y).should.be.true();
  }
  chart.topic.should.equal("flatpeak/plan/chart");
  chart.flatpeak.status.should.be.a.String();
  counters.plansChecked += 1;
}

describe("fuzz: plan inputs at flatpeak plan", function () {
  useSimulator();

  it("ends every message once, refuses what SPEC refuses without touching the plan, and makes only plans that keep SPEC's rules", async function () {
    this.timeout(Math.max(120_000, PLAN_RUNS * 2_000));
    const watch = watchProcess();
    const counters: PlanCounters = { scenarios: 0, messages: 0, valid: 0, invalid: 0, plansChecked: 0, optimal: 0, contiguousOptimal: 0, minRunRuns: 0, running: 0, switchedOn: 0, shortfalls: 0, unknownMinutes: 0, restarts: 0, oneOff: 0, daily: 0, invalidSettings: 0 };
    const clock = freezeClock(T_BEGIN);
    let loaded = false;
    try {
      await fc.assert(
        fc.asyncProperty(planScenario, async (scenario) => {
          if (loaded) await helper.unload();
          loaded = false;
          clock.set(scenario.start);
          const flow = await deployPlan({ ...scenario.settings });
          loaded = true;
          await runPlanScenario(flow, scenario, clock, counters);
        }),
        { seed: PLAN_SEED, numRuns: PLAN_RUNS, endOnFailure: true },
      );
    } finally {
      clock.restore();
      watch.stop();
    }
    watch.problems.should.be.empty();
    if (process.env.FLATPEAK_FUZZ_STATS) console.log(JSON.stringify({ ...counters, problems: Object.fromEntries(problems) }));
    // Not vacuous: each kind of message and plan happened.
    counters.scenarios.should.equal(PLAN_RUNS);
    counters.valid.should.be.above(50);
    counters.invalid.should.be.above(20);
    counters.optimal.should.be.above(10);
    counters.contiguousOptimal.should.be.above(0);
    counters.minRunRuns.should.be.above(0);
    counters.switchedOn.should.be.above(0);
    counters.running.should.be.above(0);
    counters.unknownMinutes.should.be.above(0);
    counters.restarts.should.be.above(0);
    counters.oneOff.should.be.above(0);
    counters.daily.should.be.above(0);
    counters.invalidSettings.should.be.above(0);
  });

  /*
   * Found by the fuzz test above (whose clock moves only to whole minutes while the device runs, to
   * steer around it): a new plan made while a run is in progress, at an instant that is not a whole
   * minute, switches the device off until the next whole minute and then on again. Output 2's runs
   * still show one run covering now (the past part joined to its continuation), output 1 says false.
   * Here: on at 12:00:00 for the cheapest hour 12:00–13:00; a prices message at 12:00:20 answers
   * `false` on output 1 and the plan [12:00, 13:01): the device stops for 40 s, and the run ends a
   * minute later at the dearer price, 61 minutes for a 60-minute job while `minutes` says 60.
   * SPEC: output 1 is the state for now after each new plan, and a run in progress is not cut
   * shorter than minRun by a new plan (here there is no minRun, but the plan itself keeps it on).
   * The cause: the planner plans whole minutes from the next one (planStart = now rounded up), and
   * the node asks isOnAt(plan.runs, now) of those runs only; `done` rounds the 20 s to 0 minutes.
   * A start with the plan unchanged keeps the stored runs and is not affected; by reading of the
   * code, the re-plan of a timer that wakes late (onTime, `late`) is, when it lands mid-minute.
   */
  it("keeps the device on when a new plan comes in the middle of a minute of a run in progress", async function () {
    const M = Date.UTC(2030, 0, 10, 12, 0, 0);
    const clock = freezeClock(M);
    try {
      const flow = await deployPlan({});
      await waitUntil(() => flow.received("plan").length >= 1, 5000, "the plan at start");
      const iso = (ms: number): string => new Date(ms).toISOString();
      const rows = { prices: [{ start: iso(M), end: iso(M + 60 * MINUTE), price: 0.1 }, { start: iso(M + 60 * MINUTE), end: iso(M + 180 * MINUTE), price: 0.5 }] };
      const first = await runPlanMessage(flow, { payload: rows, job: { minutes: 60, until: iso(M + 180 * MINUTE) } });
      first.switch.map((m: any) => m.payload).should.eql([true]);
      clock.set(M + 20_000);
      const second = await runPlanMessage(flow, { payload: rows });

      // The device stays on (output 1 as output 2's runs say), and the job keeps its hour at 0.1: 60 minutes, not 61.
      second.switch.map((m: any) => m.payload).should.eql([true]);
      second.plan[0].payload.runs.should.eql([{ start: iso(M), end: iso(M + 60 * MINUTE) }]);
      second.plan[0].payload.minutes.should.equal(60);
    } finally {
      clock.restore();
    }
  });
});

let planMessageCounter = 0;
/** Why the model refused messages, for FLATPEAK_FUZZ_STATS. */
const problems = new Map<string, number>();

/** Sends a message to the plan node and waits (on real time) until it ends; then its outputs and Catch. */
async function runPlanMessage(flow: PlanFlow, message: Record<string, unknown>): Promise<{ msgid: string; switch: any[]; plan: any[]; chart: any[]; error?: any; endings: number }> {
  const msgid = `fz-plan-${++planMessageCounter}`;
  flow.node().receive({ _msgid: msgid, ...message });
  const byId = (m: NodeMessage): boolean => m._msgid === msgid;
  const endings = (): number => flow.received("caught").filter(byId).length + (flow.received as (id: string) => NodeMessage[])("completed").filter(byId).length;
  await waitUntil(() => endings() > 0, 15_000, `message ${msgid} ends`);
  // The outputs come before the end; a second ending would come right after.
  await new Promise((resolve) => setTimeout(resolve, 3));
  return {
    msgid,
    switch: flow.received("switch").filter(byId),
    plan: flow.received("plan").filter(byId),
    chart: flow.received("chart").filter(byId),
    error: flow.received("caught").find(byId),
    endings: endings(),
  };
}

/** A full redeploy; the helper gives the runtime 300 ms to report the start, which a busy machine may miss: then wait for the new node. */
async function redeployPlan(flow: PlanFlow): Promise<void> {
  const old = flow.node();
  try {
    await flow.redeploy();
  } catch (err) {
    if (!(err instanceof Error) || !/timeout waiting event/.test(err.message)) throw err;
  }
  await waitUntil(() => flow.node() !== undefined && flow.node() !== old, 15_000, "the redeployed plan node");
}

async function runPlanScenario(flow: PlanFlow, scenario: PlanScenario, clock: FrozenClock, counters: PlanCounters): Promise<void> {
  const model: PlanModel = { settings: readSettings(scenario.settings), prices: new PriceModel(), zone: SYSTEM_ZONE, oneOff: undefined };
  const history: string[] = [`settings ${JSON.stringify(scenario.settings)} at ${new Date(clock.now()).toISOString()}`];
  const label = (): string => history.join(" | ").slice(-3000);
  const spontaneous = (): number => ["switch", "plan", "chart"].reduce((sum, id) => sum + flow.received(id as "switch").filter((m) => !String(m._msgid).startsWith("fz-plan-")).length, 0);
  /** Waits for the messages a start sends (state, plan, chart) and checks them. */
  const awaitStart = async (before: StoredState | undefined, seen: number): Promise<void> => {
    if (!model.settings) return;
    const fresh = (id: "switch" | "plan" | "chart"): any => flow.received(id).filter((m) => !String(m._msgid).startsWith("fz-plan-")).at(-1);
    // The node sends, then saves: both done once the stored plan is the one sent.
    const saved = (): boolean => {
      const stored = storedState(flow)?.plan?.payload;
      return stored !== undefined && JSON.stringify(stored) === JSON.stringify(fresh("plan")?.payload);
    };
    await waitUntil(() => spontaneous() >= seen + 3 && saved(), 10_000, "the state, plan and chart after a start, saved");
    const plan = fresh("plan");
    const after = storedState(flow)!;
    if (before?.plan && before.plan.key === after.plan!.key) {
      // SPEC: after a restart the node keeps to its plan.
      should(plan.payload).eql(before.plan.payload, `a restart changed the plan: ${label()}`);
      should(fresh("switch").payload).equal(isOnAt(before.plan.runs, clock.now()), label());
    } else {
      checkPlan({ payload: plan.payload, switchOn: fresh("switch").payload, chart: fresh("chart"), now: clock.now(), model, before, counters, label });
    }
  };
  if (!model.settings) counters.invalidSettings += 1;
  await awaitStart(undefined, 0);
  for (const step of scenario.steps) {
    const before = storedState(flow);
    if (step.kind === "restart") {
      history.push("restart");
      const seen = spontaneous();
      await redeployPlan(flow);
      counters.restarts += 1;
      await awaitStart(before, seen);
      continue;
    }
    // Time passes: at most to the next instant the node would act at (its timer is not waited for).
    if (step.advance) {
      const now = clock.now();
      let limit = now + 6 * HOUR;
      if (before?.plan) limit = Math.min(limit, nextChange(before.plan.runs, now) ?? limit);
      if (before?.window) limit = Math.min(limit, before.window.end);
      let target: number;
      if (step.advance === "to the next switch" || (step.advance === "into a run" && before?.told !== true)) {
        target = limit;
      } else if (step.advance === "into a run") {
        target = floorMinute(now + (limit - now) / 2);
      } else {
        target = now + 1 + Math.floor(step.advance.u * (limit - now));
        if (step.advance.whole) target = floorMinute(target);
        else if (target % MINUTE > 45_000) target = floorMinute(target) + 45_000;
      }
      if (target > now && target <= limit) clock.set(target);
    }
    const now = clock.now();
    if (model.oneOff && now >= model.oneOff.window.end) model.oneOff = undefined;
    // The message, and what the model makes of it.
    const message: Record<string, unknown> = { fuzz: `step ${history.length}` };
    let rows: Array<{ start: number; end: number; price: number }> | undefined;
    let zone: string | undefined;
    let accepted: { job: ModelJob; window: { start: number; end: number } } | undefined;
    let problem: string | undefined = model.settings ? undefined : "settings";
    const p = step.payload;
    if (p.kind === "prices") {
      const rendered = renderPrices(p.spec, now);
      message.payload = rendered.payload;
      rows = rendered.rows;
      zone = rendered.zone;
      problem ??= rendered.problem;
    } else if (p.kind === "empty") {
      message.payload = { [p.field]: [] };
      rows = [];
    } else if (p.kind === "garbage") {
      message.payload = p.value;
    }
    const j = step.job;
    if (j?.kind === "job") {
      const rendered = renderJob(j.spec, model.settings ?? { minutes: 60, contiguous: false, minRun: 0, goal: "lowest" }, now);
      message.job = rendered.job;
      accepted = rendered.accepted;
      problem ??= rendered.problem;
    } else if (j?.kind === "garbage") {
      message.job = j.value;
      problem ??= "job not an object";
    }
    if (p.kind !== "prices" && p.kind !== "empty" && j === undefined) problem ??= "nothing to plan";
    history.push(`${new Date(now).toISOString()} ${JSON.stringify({ ...message, payload: summarise(message.payload) }).slice(0, 400)}${problem ? ` (refused: ${problem})` : ""}`);
    const seen = spontaneous();
    const outcome = await runPlanMessage(flow, message);
    counters.messages += 1;
    outcome.endings.should.equal(1, `ends exactly once: ${label()}`);
    spontaneous().should.equal(seen, `a switch by the node's timer while the test held the clock: ${label()}`);
    const after = storedState(flow);
    if (problem !== undefined) {
      counters.invalid += 1;
      if (process.env.FLATPEAK_FUZZ_STATS) problems.set(problem, (problems.get(problem) ?? 0) + 1);
      should(outcome.error?.error?.code).equal("FLATPEAK_INVALID_INPUT", `SPEC refuses it (${problem}): ${label()} → ${JSON.stringify(outcome.plan[0]?.payload)?.slice(0, 300)}`);
      // It says what was wrong, translated (a missing value is quoted as `undefined`, on purpose: problems.ts).
      outcome.error.error.message.should.not.match(/\[object Object\]|__\w+__/);
      outcome.switch.should.have.length(0);
      outcome.plan.should.have.length(0);
      outcome.chart.should.have.length(0);
      should(after).eql(before, `a refused message changed the node's state: ${label()}`);
      continue;
    }
    counters.valid += 1;
    should(outcome.error).equal(undefined, `SPEC accepts it, the node said ${outcome.error?.error?.message}: ${label()}`);
    outcome.switch.should.have.length(1);
    outcome.plan.should.have.length(1);
    outcome.chart.should.have.length(1);
    if (rows) model.prices.add(rows);
    if (zone) model.zone = zone;
    if (accepted) model.oneOff = accepted;
    const [switchMsg, planMsg] = [outcome.switch[0], outcome.plan[0]];
    switchMsg.topic.should.equal("flatpeak/plan/switch");
    switchMsg.fuzz.should.equal(message.fuzz);
    planMsg.topic.should.equal("flatpeak/plan");
    planMsg.fuzz.should.equal(message.fuzz);
    switchMsg.payload.should.be.a.Boolean();
    if (switchMsg.payload === true) counters.switchedOn += 1;
    should(after!.plan!.payload).eql(planMsg.payload, `the stored plan is the one sent: ${label()}`);
    history.push(`→ ${switchMsg.payload} ${JSON.stringify(planMsg.payload.runs)} ${planMsg.payload.minutes} min`);
    checkPlan({ payload: planMsg.payload, switchOn: switchMsg.payload, chart: outcome.chart[0], now, model, before, counters, label });
  }
  counters.scenarios += 1;
}

/** A payload for the case's history: rows counted, not listed. */
function summarise(payload: unknown): unknown {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return payload;
  return Object.fromEntries(Object.entries(payload).map(([key, value]) => [key, Array.isArray(value) ? `${value.length} rows: ${JSON.stringify(value.slice(0, 3))}` : value]));
}
