/**
 * Random inputs for flatpeak plan (prices rows, one-off jobs, node settings)
 * and a model of what SPEC ("Plans") and the README say the node does with
 * them: which messages it must refuse, which prices hold at each minute, and
 * what every plan on output 2 must satisfy. Times are generated as specs
 * relative to the test's clock, so the model knows the instant each value
 * names without parsing it with the node's reader.
 */
import fc from "fast-check";

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
/** The longest one-off window (SPEC: at most 72 hours) and the planner's horizon. */
export const MAX_JOB_WINDOW_MS = 72 * HOUR;
export const MAX_HORIZON_MINUTES = 4320;

// ---------------------------------------------------------------- values

/** A value given to the node, and what it means to the model. */
export interface Given<T> {
  value: unknown;
  meaning: T | undefined;
}

export type PlanTimeForm = "z" | "ms" | "offset" | "offsetNoColon" | "offsetHour" | "space" | "lower" | "fraction" | "padded" | "epoch" | "date";

export type PlanTimeSpec = { form: PlanTimeForm; offsetMinutes: number; micro: number } | { form: "garbage"; value: unknown };

/**
 * Values that are no time for the plan node: no zone (it would mean different
 * instants in different places), a day the month lacks, epoch seconds (before
 * 2000), after 2199, not finite, not a time at all.
 */
export const PLAN_GARBAGE_TIMES: readonly unknown[] = [
  "tomorrow",
  "2026-12-04T10:00",
  "2026-12-04T10:00:00",
  "2026-02-30T10:00:00Z",
  "2026-13-01T00:00:00Z",
  "2026-01-01T24:00:00Z",
  "2026-01-01T00:00:00+24:00",
  "2026-12-04",
  "",
  "  ",
  1767225600,
  7_300_000_000_000,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  {},
  [],
  "2026-12-04T10:00:00ZZ",
];

const PLAN_OFFSETS = [-600, -300, -240, -60, 0, 60, 120, 330, 345, 540, 765, 840];

export const planTimeForm: fc.Arbitrary<PlanTimeSpec> = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ form: "z" as const, offsetMinutes: 0, micro: 0 }) },
  {
    weight: 6,
    arbitrary: fc.record({
      form: fc.constantFrom<PlanTimeForm>("ms", "offset", "offsetNoColon", "offsetHour", "space", "lower", "fraction", "padded", "epoch", "date"),
      offsetMinutes: fc.constantFrom(...PLAN_OFFSETS),
      micro: fc.integer({ min: 0, max: 999_999 }),
    }),
  },
);

export const planGarbageTime: fc.Arbitrary<PlanTimeSpec> = fc.record({ form: fc.constant("garbage" as const), value: fc.constantFrom(...PLAN_GARBAGE_TIMES) });

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
const wall = (ms: number): string => new Date(ms).toISOString().slice(0, 19);

function offsetText(minutes: number, form: "offset" | "offsetNoColon" | "offsetHour"): string {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  if (form === "offsetHour") return `${sign}${pad(Math.floor(abs / 60))}`;
  return `${sign}${pad(Math.floor(abs / 60))}${form === "offset" ? ":" : ""}${pad(abs % 60)}`;
}

/** The value for `spec` naming the whole-second instant `at`, and the instant the node must read from it. */
export function renderPlanTime(spec: PlanTimeSpec, at: number): Given<number> {
  switch (spec.form) {
    case "garbage":
      return { value: spec.value, meaning: undefined };
    case "z":
      return { value: `${wall(at)}Z`, meaning: at };
    case "ms":
      return { value: new Date(at).toISOString(), meaning: at };
    case "offset":
    case "offsetNoColon":
    case "offsetHour": {
      // An hour-only offset names whole hours only.
      const offset = spec.form === "offsetHour" ? Math.trunc(spec.offsetMinutes / 60) * 60 : spec.offsetMinutes;
      return { value: `${wall(at + offset * MINUTE)}${offsetText(offset, spec.form)}`, meaning: at };
    }
    case "space":
      return { value: `${wall(at).replace("T", " ")}Z`, meaning: at };
    case "lower":
      return { value: `${wall(at).replace("T", "t")}z`, meaning: at };
    case "fraction":
      // Finer than milliseconds is cut off.
      return { value: `${wall(at)}.${pad(spec.micro, 6)}Z`, meaning: at + Math.floor(spec.micro / 1000) };
    case "padded":
      return { value: ` ${wall(at)}Z\t`, meaning: at };
    case "epoch":
      return { value: at, meaning: at };
    case "date":
      return { value: new Date(at), meaning: at };
  }
}

/** A price as a number or as text: valid are finite numbers and plain decimal numbers in text. */
export const planPrice: fc.Arbitrary<Given<number>> = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: -20, max: 60 }).map((n) => ({ value: n / 100, meaning: n / 100 })) },
  { weight: 2, arbitrary: fc.constantFrom<Given<number>>({ value: "0.25", meaning: 0.25 }, { value: " 0.1 ", meaning: 0.1 }, { value: "-1.5e-2", meaning: -0.015 }, { value: "+3", meaning: 3 }, { value: ".5", meaning: 0.5 }, { value: "5.", meaning: 5 }, { value: "0", meaning: 0 }) },
);

export const badPlanPrice: fc.Arbitrary<Given<number>> = fc.constantFrom<Given<number>>(
  { value: "abc", meaning: undefined },
  { value: "", meaning: undefined },
  { value: "0x10", meaning: undefined },
  { value: "1,5", meaning: undefined },
  { value: "NaN", meaning: undefined },
  { value: "1e999", meaning: undefined },
  { value: null, meaning: undefined },
  { value: undefined, meaning: undefined },
  { value: Number.NaN, meaning: undefined },
  { value: Number.POSITIVE_INFINITY, meaning: undefined },
  { value: true, meaning: undefined },
  { value: {}, meaning: undefined },
);

// ---------------------------------------------------------------- time zones

export const VALID_ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC", "europe/london", "Etc/GMT+5", "Pacific/Chatham"];
export const INVALID_ZONES: unknown[] = ["Mars/Olympus", "GMT+1", "+01:00", "Europe/Londn", 42, {}, ["UTC"], "", "  "];

/** A zone this runtime knows (SPEC: IANA), in its canonical spelling; undefined for anything else. */
export function zoneOf(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "" || value.length > 64) return undefined;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

export const SYSTEM_ZONE = new Intl.DateTimeFormat().resolvedOptions().timeZone;

/** `HH:MM` on the zone's clocks. */
export function wallTime(instant: number, zone: string): string {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(instant);
  const get = (type: string): string => parts.find((part) => part.type === type)!.value;
  return `${get("hour")}:${get("minute")}`;
}

/** Wall-clock time minus UTC at `instant`, in minutes. */
export function zoneOffsetMinutes(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric" }).formatToParts(instant);
  const get = (type: string): number => Number(parts.find((part) => part.type === type)!.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
  return Math.round((asUtc - Math.floor(instant / MINUTE) * MINUTE) / MINUTE);
}

// ---------------------------------------------------------------- prices messages

export interface PlanRowSpec {
  length: number;
  gapAfter: number;
  price: Given<number>;
  start: PlanTimeSpec;
  end: PlanTimeSpec;
  /** priceData only: the row says its end. */
  giveEnd: boolean;
}

export type RowsDefect =
  | { kind: "badStart" | "badEnd"; at: number; time: PlanTimeSpec }
  | { kind: "badPrice"; at: number; price: Given<number> }
  | { kind: "endNotAfterStart"; at: number; back: number }
  | { kind: "overlap"; at: number; into: number }
  | { kind: "notObject"; at: number; value: unknown }
  | { kind: "notAList"; value: unknown }
  | { kind: "tooMany" }
  | { kind: "single" };

export interface PricesSpec {
  field: "prices" | "priceData" | "both";
  /** Minutes from now where the first row starts. */
  first: number;
  /** Seconds added to every row time: 0 keeps rows on whole minutes. */
  seconds: number;
  rows: PlanRowSpec[] | { bulk: number; length: number };
  shuffle: boolean;
  timezone: { value: unknown } | undefined;
  defect: RowsDefect | undefined;
}

const planRowSpec: fc.Arbitrary<PlanRowSpec> = fc.record({
  length: fc.constantFrom(1, 2, 5, 15, 15, 30, 30, 60, 60, 120, 240),
  gapAfter: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 180 }) }),
  price: planPrice,
  start: planTimeForm,
  end: planTimeForm,
  giveEnd: fc.boolean(),
});

const rowsDefect: fc.Arbitrary<RowsDefect> = fc.oneof(
  fc.record({ kind: fc.constantFrom("badStart" as const, "badEnd" as const), at: fc.nat(), time: planGarbageTime }),
  fc.record({ kind: fc.constant("badPrice" as const), at: fc.nat(), price: badPlanPrice }),
  fc.record({ kind: fc.constant("endNotAfterStart" as const), at: fc.nat(), back: fc.integer({ min: 0, max: 30 }) }),
  fc.record({ kind: fc.constant("overlap" as const), at: fc.nat(), into: fc.integer({ min: 0, max: 59 }) }),
  fc.record({ kind: fc.constant("overlap" as const), at: fc.nat(), into: fc.integer({ min: 0, max: 59 }) }),
  fc.record({ kind: fc.constant("notObject" as const), at: fc.nat(), value: fc.constantFrom(null, 42, "row", [], true) }),
  fc.record({ kind: fc.constant("notAList" as const), value: fc.constantFrom("none", {}, 42, true) }),
  fc.constant({ kind: "single" as const }),
  fc.constantFrom({ kind: "tooMany" as const }, { kind: "single" as const }),
);

export const pricesSpec: fc.Arbitrary<PricesSpec> = fc.record({
  field: fc.constantFrom<PricesSpec["field"]>("prices", "prices", "priceData", "priceData", "both"),
  first: fc.oneof(fc.integer({ min: -180, max: 120 }), fc.integer({ min: -60, max: 1440 })),
  seconds: fc.constantFrom(0, 0, 0, 0, 20),
  rows: fc.oneof({ weight: 10, arbitrary: fc.array(planRowSpec, { maxLength: 30 }) }, { weight: 1, arbitrary: fc.record({ bulk: fc.integer({ min: 100, max: 2000 }), length: fc.constantFrom(1, 15, 60) }) }),
  shuffle: fc.boolean(),
  timezone: fc.option(fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...VALID_ZONES) }, { weight: 1, arbitrary: fc.constantFrom(...INVALID_ZONES) }, { weight: 1, arbitrary: fc.constant(null) }).map((value) => ({ value })), { nil: undefined }),
  defect: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: rowsDefect }),
});

/** A prices row as the model reads it: undefined parts are not usable. */
interface ModelRow {
  index: number;
  start: number | undefined;
  /** null: no end given (priceData). */
  end: number | undefined | null;
  price: number | undefined;
  object: boolean;
}

export interface RenderedPrices {
  payload: Record<string, unknown>;
  /** The rows the node must take, sorted; undefined when the model says the message must be refused. */
  rows: Array<{ start: number; end: number; price: number }> | undefined;
  /** The zone the message names (canonical), if any. */
  zone: string | undefined;
  /** Why the model refuses it (for messages). */
  problem: string | undefined;
}

/** The payload for `spec` at `now`, and the rows SPEC makes of it. */
export function renderPrices(spec: PricesSpec, now: number): RenderedPrices {
  const base = Math.floor(now / MINUTE) * MINUTE + spec.first * MINUTE + spec.seconds * 1000;
  const field = spec.field === "both" ? "prices" : spec.field;
  const list: unknown[] = [];
  const model: ModelRow[] = [];
  if (!Array.isArray(spec.rows)) {
    for (let i = 0; i < spec.rows.bulk; i += 1) {
      const start = base + i * spec.rows.length * MINUTE;
      const end = start + spec.rows.length * MINUTE;
      const price = ((i * 29) % 37) / 100 - 0.04;
      list.push(field === "prices" ? { start: `${wall(start)}Z`, end: `${wall(end)}Z`, price } : { start: `${wall(start)}Z`, value: price });
      model.push({ index: i, start, end: field === "prices" ? end : null, price, object: true });
    }
  } else {
    let cursor = base;
    spec.rows.forEach((row, index) => {
      const startAt = cursor;
      const endAt = startAt + row.length * MINUTE;
      cursor = endAt + row.gapAfter * MINUTE;
      const start = renderPlanTime(row.start, startAt);
      const end = renderPlanTime(row.end, endAt);
      const withEnd = field === "prices" || row.giveEnd || index === spec.rows.length - 1;
      const sent: Record<string, unknown> = { start: start.value };
      if (withEnd) sent.end = end.value;
      sent[field === "prices" ? "price" : "value"] = row.price.value;
      list.push(sent);
      model.push({ index, start: start.meaning, end: withEnd ? end.meaning : null, price: row.price.meaning, object: true });
    });
  }
  let listValue: unknown = list;
  const defect = spec.defect;
  if (defect && list.length > 0) {
    const at = "at" in defect ? defect.at % list.length : 0;
    const sent = list[at] as Record<string, unknown>;
    const row = model[at];
    switch (defect.kind) {
      case "badStart":
      case "badEnd": {
        const time = renderPlanTime(defect.time, 0);
        if (defect.kind === "badStart") {
          sent.start = time.value;
          row.start = undefined;
        } else {
          sent.end = time.value;
          // priceData: an end that is not there (null) is no end, not a bad one.
          row.end = field === "priceData" && (time.value === null || time.value === undefined) ? null : undefined;
        }
        break;
      }
      case "badPrice":
        sent[field === "prices" ? "price" : "value"] = defect.price.value;
        row.price = undefined;
        break;
      case "endNotAfterStart":
        if (row.start !== undefined) {
          const endAt = row.start - defect.back * MINUTE;
          sent.end = `${wall(endAt)}Z`;
          row.end = endAt;
        }
        break;
      case "overlap":
        if (at > 0 && model[at - 1].start !== undefined && row.start !== undefined) {
          // Starts inside the row before (priceData: at its very start, a duplicate).
          const previous = model[at - 1];
          const previousEnd = typeof previous.end === "number" ? previous.end : row.start;
          const startAt = field === "priceData" ? previous.start! : Math.min(previous.start! + defect.into * MINUTE, previousEnd - MINUTE);
          const length = (typeof row.end === "number" ? row.end : row.start + MINUTE) - row.start;
          sent.start = `${wall(startAt)}Z`;
          row.start = startAt;
          if (typeof row.end === "number") {
            sent.end = `${wall(startAt + length)}Z`;
            row.end = startAt + length;
          }
        }
        break;
      case "notObject":
        list[at] = defect.value;
        row.object = false;
        break;
      case "notAList":
        listValue = defect.value;
        break;
      case "tooMany":
        listValue = new Array(20_001).fill({});
        break;
      case "single":
        if (field === "priceData") {
          listValue = [{ start: sent.start, value: sent.value }];
          model.splice(1);
          model[0].end = null;
        }
        break;
    }
  }
  if (spec.shuffle && Array.isArray(listValue) && listValue === list) {
    // Reversed: the order sent must not matter (SPEC sorts by start).
    listValue = [...list].reverse();
  }
  const payload: Record<string, unknown> = { [field]: listValue };
  if (spec.field === "both") payload.priceData = [{ start: "not a time", value: "not a price" }];
  if (spec.timezone) payload.timezone = spec.timezone.value;
  // A blank zone is no zone, as a blank field is not given anywhere else.
  const zoneGiven = spec.timezone !== undefined && !blank(spec.timezone.value);
  const zone = zoneGiven ? zoneOf(spec.timezone!.value) : undefined;
  const refuse = (problem: string): RenderedPrices => ({ payload, rows: undefined, zone, problem });
  if (zoneGiven && zone === undefined) return refuse("time zone");
  if (!Array.isArray(listValue)) return refuse("not a list");
  if (listValue.length > 20_000) return refuse("too many rows");
  const read = model;
  if (read.some((row) => !row.object)) return refuse("row not an object");
  if (read.some((row) => row.start === undefined || row.end === undefined || row.price === undefined)) return refuse("row not a time and a number");
  const sorted = [...read].sort((a, b) => a.start! - b.start! || a.index - b.index);
  if (field === "priceData") {
    for (let i = 1; i < sorted.length; i += 1) if (sorted[i].start === sorted[i - 1].start) return refuse("two rows at one start");
    for (let i = 0; i < sorted.length; i += 1) {
      if (sorted[i].end !== null) continue;
      // SPEC: a row ends where the next starts; the last at its end, else as long as the row before it.
      if (i + 1 < sorted.length) sorted[i].end = sorted[i + 1].start;
      else if (i > 0) sorted[i].end = sorted[i].start! + ((sorted[i - 1].end as number) - sorted[i - 1].start!);
      else return refuse("a single row without an end");
    }
  }
  for (let i = 0; i < sorted.length; i += 1) {
    if ((sorted[i].end as number) <= sorted[i].start!) return refuse("end not after start");
    if (i > 0 && sorted[i].start! < (sorted[i - 1].end as number)) return refuse("overlap");
  }
  return { payload, rows: sorted.map((row) => ({ start: row.start!, end: row.end as number, price: row.price! })), zone, problem: undefined };
}

// ---------------------------------------------------------------- jobs

export interface JobSpec {
  minutes: { fit: number } | { value: unknown };
  until: { ahead: number; time: PlanTimeSpec } | { value: unknown };
  from: { ahead: number; time: PlanTimeSpec } | undefined;
  contiguous: unknown;
  minRun: unknown;
  goal: unknown;
}

export const jobSpec: fc.Arbitrary<JobSpec> = fc.record({
  minutes: fc.oneof(
    { weight: 4, arbitrary: fc.record({ fit: fc.constantFrom(0, 0, -1, -30, -200, 1) }) },
    { weight: 6, arbitrary: fc.record({ value: fc.oneof(fc.integer({ min: 1, max: 240 }), fc.constantFrom(1, 60, 600, "60", " 30 ")) }) },
    { weight: 1, arbitrary: fc.record({ value: fc.constantFrom(0, -1, 1.5, "abc", 4321, "", null, undefined, Number.NaN, "1e2", true) }) },
  ),
  until: fc.oneof(
    { weight: 12, arbitrary: fc.record({ ahead: fc.oneof(fc.integer({ min: 2, max: 600 }), fc.integer({ min: -60, max: 4400 })), time: planTimeForm }) },
    { weight: 1, arbitrary: fc.record({ ahead: fc.integer({ min: 60, max: 600 }), time: planGarbageTime }) },
    { weight: 1, arbitrary: fc.record({ value: fc.constantFrom(undefined, null, "") }) },
  ),
  from: fc.option(fc.record({ ahead: fc.integer({ min: -300, max: 300 }), time: fc.oneof({ weight: 10, arbitrary: planTimeForm }, { weight: 1, arbitrary: planGarbageTime }) }), { nil: undefined }),
  contiguous: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(undefined, undefined, true, false, "true", "false", null) }, { weight: 1, arbitrary: fc.constantFrom("yes", 1) }),
  minRun: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(undefined, undefined, 0, 15, 30, 60, "20") }, { weight: 3, arbitrary: fc.integer({ min: 0, max: 180 }) }, { weight: 1, arbitrary: fc.constantFrom(-5, 1.5, "x", 5000, Number.NaN) }),
  goal: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(undefined, undefined, "lowest", "highest", null) }, { weight: 1, arbitrary: fc.constantFrom("cheapest", 1) }),
});

/** What the node plans for: whole minutes, the time it must be done in, and how. */
export interface ModelJob {
  minutes: number;
  contiguous: boolean;
  minRun: number;
  goal: "lowest" | "highest";
}

export interface ModelSettings extends ModelJob {
  from: string;
  until: string;
}

export interface RenderedJob {
  job: unknown;
  /** The job and its window when the model accepts it. */
  accepted: { job: ModelJob; window: { start: number; end: number } } | undefined;
  problem: string | undefined;
}

const ceilMinute = (ms: number): number => Math.ceil(ms / MINUTE) * MINUTE;
const floorMinute = (ms: number): number => Math.floor(ms / MINUTE) * MINUTE;

/** Blank: not there, null, or only white space. */
function blank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && value.trim() === "");
}

/** A whole number in [min, max] (a number, or digits in text); `fallback` when blank; undefined when wrong. */
function whole(value: unknown, min: number, max: number, fallback: number): number | undefined {
  if (blank(value)) return fallback;
  const number = typeof value === "number" ? value : typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  return Number.isInteger(number) && number >= min && number <= max ? number : undefined;
}

function flag(value: unknown, fallback: boolean): boolean | undefined {
  if (blank(value)) return fallback;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return undefined;
}

function goalOf(value: unknown, fallback: "lowest" | "highest"): "lowest" | "highest" | undefined {
  if (blank(value)) return fallback;
  return value === "lowest" || value === "highest" ? value : undefined;
}

/** `msg.job` for `spec` at `now`, and whether SPEC's rules accept it (with the node's settings as defaults). */
export function renderJob(spec: JobSpec, settings: ModelJob, now: number): RenderedJob {
  const wholeSecond = Math.floor(now / 1000) * 1000;
  const until = "value" in spec.until ? { value: spec.until.value, meaning: undefined } : renderPlanTime(spec.until.time, wholeSecond + spec.until.ahead * MINUTE);
  const fromGiven = spec.from ? renderPlanTime(spec.from.time, wholeSecond + spec.from.ahead * MINUTE) : undefined;
  // SPEC: `from` defaults to now; a blank one (empty text) is not given, as for the other fields.
  const from = fromGiven && !blank(fromGiven.value) ? fromGiven : undefined;
  const job: Record<string, unknown> = {};
  if (!("value" in spec.until) || spec.until.value !== undefined) job.until = until.value;
  if (fromGiven) job.from = fromGiven.value;
  for (const key of ["contiguous", "minRun", "goal"] as const) if (spec[key] !== undefined) job[key] = spec[key];
  // The window as SPEC reads it, to fit the minutes to it.
  const fromAt = from ? from.meaning : now;
  const windowOf = (): { start: number; end: number } | undefined =>
    until.meaning !== undefined && fromAt !== undefined ? { start: ceilMinute(fromAt), end: floorMinute(until.meaning) } : undefined;
  const available = (window: { start: number; end: number }): number => Math.max(0, Math.floor((window.end - ceilMinute(Math.max(now, window.start))) / MINUTE));
  if ("fit" in spec.minutes) {
    const window = windowOf();
    job.minutes = window ? Math.max(1, Math.min(4320, available(window) + spec.minutes.fit)) : 30;
  } else if (spec.minutes.value !== undefined) {
    job.minutes = spec.minutes.value;
  }
  const refuse = (problem: string): RenderedJob => ({ job, accepted: undefined, problem });
  if (blank(job.minutes)) return refuse("no minutes");
  const minutes = whole(job.minutes, 1, 4320, 0);
  if (minutes === undefined) return refuse("minutes");
  if (blank(job.until)) return refuse("no until");
  if (until.meaning === undefined) return refuse("until not a time");
  if (from && from.meaning === undefined) return refuse("from not a time");
  const minRun = whole(job.minRun, 0, 4320, settings.minRun);
  if (minRun === undefined) return refuse("minRun");
  const contiguous = flag(job.contiguous, settings.contiguous);
  if (contiguous === undefined) return refuse("contiguous");
  const goal = goalOf(job.goal, settings.goal);
  if (goal === undefined) return refuse("goal");
  if (until.meaning <= fromAt!) return refuse("until not after from");
  if (until.meaning <= now) return refuse("until passed");
  if (until.meaning - fromAt! > MAX_JOB_WINDOW_MS) return refuse("window over 72 h");
  const window = windowOf()!;
  if (minutes > available(window)) return refuse("more minutes than the window holds");
  return { job, accepted: { job: { minutes, contiguous, minRun, goal }, window }, problem: undefined };
}

// ---------------------------------------------------------------- settings

export interface SettingsSpec {
  minutes: unknown;
  from: unknown;
  until: unknown;
  contiguous: unknown;
  minRun: unknown;
  goal: unknown;
}

const wallTimeText = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 0, 0, 30, 15, 59)).map(([h, m]) => `${pad(h)}:${pad(m)}`);
const wallTimeSetting = fc.oneof(fc.constantFrom("00:00", "00:00", "22:00", "07:00", "06:30", "23:59", "12:00", ""), wallTimeText);

/** Settings the node can use: minutes that fit the daily window, numbers sometimes as text (the editor gives text). */
const validSettings: fc.Arbitrary<SettingsSpec> = fc
  .record({
    from: wallTimeSetting,
    until: wallTimeSetting,
    share: fc.double({ min: 0, max: 1, noNaN: true }),
    asText: fc.boolean(),
    contiguous: fc.constantFrom(true, false, false, "true", "false", undefined),
    minRun: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 0, 0, 15, 30, 60, "45", "") }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 120 }) }),
    goal: fc.constantFrom("lowest", "lowest", "highest", "", undefined),
  })
  .map(({ from, until, share, asText, ...rest }) => {
    const window = nominalMinutes(from === "" ? "00:00" : from, until === "" ? "00:00" : until);
    const minutes = Math.max(1, Math.round(share * share * Math.min(window, 600)));
    return { ...rest, from, until, minutes: asText ? String(minutes) : minutes };
  });

/** One setting the node cannot use (SPEC: minutes 1–4320 and within the window, HH:MM, true or false, lowest or highest). */
const CORRUPTIONS: ReadonlyArray<[keyof SettingsSpec, unknown]> = [
  ["minutes", 0],
  ["minutes", 4321],
  ["minutes", 1.5],
  ["minutes", "abc"],
  ["minutes", -3],
  ["minutes", "beyond the window"],
  ["from", "7:00"],
  ["from", "24:00"],
  ["from", 7],
  ["until", "25:00"],
  ["until", "noon"],
  ["contiguous", "yes"],
  ["contiguous", 1],
  ["minRun", -1],
  ["minRun", "x"],
  ["minRun", 4321],
  ["goal", "cheapest"],
  ["goal", 0],
];

export const settingsSpec: fc.Arbitrary<SettingsSpec> = fc.oneof(
  { weight: 10, arbitrary: validSettings },
  {
    weight: 1,
    arbitrary: fc.tuple(validSettings, fc.constantFrom(...CORRUPTIONS)).map(([settings, [key, value]]) => {
      if (value !== "beyond the window") return { ...settings, [key]: value };
      const from = settings.from === "" ? "00:00" : String(settings.from);
      const until = settings.until === "" ? "00:00" : String(settings.until);
      return { ...settings, minutes: nominalMinutes(from, until) + 1 };
    }),
  },
);

const WALL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

function minuteOfDay(text: string): number {
  const match = WALL_TIME.exec(text)!;
  return Number(match[1]) * 60 + Number(match[2]);
}

/** The length of the daily window on a day without a clock change, in minutes (SPEC: an until at or before from ends the next day). */
export function nominalMinutes(from: string, until: string): number {
  const length = minuteOfDay(until) - minuteOfDay(from);
  return length > 0 ? length : length + 1440;
}

/** The node's settings as SPEC reads them (blank: the default), or undefined when they cannot be used. */
export function readSettings(spec: SettingsSpec): ModelSettings | undefined {
  const minutes = whole(spec.minutes, 1, 4320, 60);
  const minRun = whole(spec.minRun, 0, 4320, 0);
  const contiguous = flag(spec.contiguous, false);
  const goal = goalOf(spec.goal, "lowest");
  const from = blank(spec.from) ? "00:00" : spec.from;
  const until = blank(spec.until) ? "00:00" : spec.until;
  if (minutes === undefined || minRun === undefined || contiguous === undefined || goal === undefined) return undefined;
  if (typeof from !== "string" || !WALL_TIME.test(from) || typeof until !== "string" || !WALL_TIME.test(until)) return undefined;
  if (minutes > nominalMinutes(from, until)) return undefined;
  return { minutes, minRun, contiguous, goal, from, until };
}

// ---------------------------------------------------------------- prices over time

/**
 * The prices the node knows, as SPEC says: each prices message replaces
 * known rows for the times it covers and keeps the others.
 */
export class PriceModel {
  private readonly layers: Array<Array<{ start: number; end: number; price: number }>> = [];

  add(rows: Array<{ start: number; end: number; price: number }>): void {
    this.layers.push(rows);
  }

  get size(): number {
    return this.layers.reduce((sum, layer) => sum + layer.length, 0);
  }

  /** The price at `instant`: from the newest message with a row covering it. */
  at(instant: number): number | undefined {
    for (let i = this.layers.length - 1; i >= 0; i -= 1) {
      const rows = this.layers[i];
      let low = 0;
      let high = rows.length - 1;
      while (low <= high) {
        const middle = (low + high) >> 1;
        if (instant < rows[middle].start) high = middle - 1;
        else if (instant >= rows[middle].end) low = middle + 1;
        else return rows[middle].price;
      }
    }
    return undefined;
  }
}
