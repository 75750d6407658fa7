/**
 * Random prices answers for the fuzz tests of flatpeak price, and what SPEC
 * ("Prices") says the node makes of each. Every time is generated as a spec
 * (an instant relative to the minute the case runs in, and how the server
 * writes it), so the oracle knows which instant a text names without parsing
 * it: it is written from SPEC, never from the node's reader.
 */
import fc from "fast-check";
import type { SimulatorDialect } from "../../simulator/server";

export const MINUTE = 60_000;
/** The client's limit on an answer's body (nodes/lib/client/http.ts); a bigger answer is refused. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

// ---------------------------------------------------------------- times

/** How the server writes an instant; every form but `garbage` names one instant. */
export type TimeForm = "z" | "zms" | "zshort" | "offset" | "offsetNoColon" | "offsetHour" | "nozone" | "fraction" | "lower" | "space" | "padded";

export type TimeSpec = { form: TimeForm; offsetMinutes: number; micro: number } | { form: "garbage"; value: unknown };

/**
 * Texts and values that name no instant: days and hours a clock does not
 * have, offsets beyond a day, a date alone, a time alone, numbers (Flatpeak
 * writes ISO 8601 text), and no text at all.
 */
export const GARBAGE_TIMES: readonly unknown[] = [
  "yesterday",
  "",
  "2026-13-01T00:00:00Z",
  "2026-00-10T00:00:00Z",
  "2026-01-32T00:00:00Z",
  "2026-02-30T10:00:00Z",
  "2026-04-31T00:00:00Z",
  "2026-01-01T24:00:00Z",
  "2026-01-01T25:00:00Z",
  "2026-01-01T00:60:00Z",
  "2026-01-01T00:00:60Z",
  "2026-01-01T00:00:00+25:00",
  "2026-01-01T00:00:00.Z",
  "2026-01-01",
  "12:00",
  "2026-01-01T00:00:00ZZ",
  "now",
  null,
  true,
  {},
  [],
  1767225600000,
  1767225600,
];

const OFFSETS = [-720, -600, -480, -300, -240, -60, 0, 60, 120, 180, 330, 345, 540, 630, 780, 840];

export const timeForm: fc.Arbitrary<TimeSpec> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ form: "z" as const, offsetMinutes: 0, micro: 0 }) },
  {
    weight: 6,
    arbitrary: fc.record({
      form: fc.constantFrom<TimeForm>("zms", "zshort", "offset", "offsetNoColon", "offsetHour", "nozone", "fraction", "lower", "space", "padded"),
      offsetMinutes: fc.constantFrom(...OFFSETS),
      micro: fc.integer({ min: 0, max: 999_999 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ form: fc.constant("garbage" as const), value: fc.constantFrom(...GARBAGE_TIMES) }) },
);

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** `YYYY-MM-DDTHH:MM:SS` of an instant, as UTC wall time. */
function wall(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function offsetText(minutes: number, form: "offset" | "offsetNoColon" | "offsetHour"): string {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  if (form === "offsetHour") return `${sign}${pad(Math.floor(abs / 60))}`;
  return `${sign}${pad(Math.floor(abs / 60))}${form === "offset" ? ":" : ""}${pad(abs % 60)}`;
}

/** The value the server sends for `spec` at the whole-second instant `at`, and the instant it names (undefined: none). */
export function renderTime(spec: TimeSpec, at: number): { value: unknown; ms: number | undefined } {
  switch (spec.form) {
    case "garbage":
      return { value: spec.value, ms: undefined };
    case "z":
      return { value: `${wall(at)}Z`, ms: at };
    case "zms":
      return { value: new Date(at).toISOString(), ms: at };
    case "zshort": {
      const minute = Math.floor(at / MINUTE) * MINUTE;
      return { value: `${wall(minute).slice(0, 16)}Z`, ms: minute };
    }
    case "offset":
    case "offsetNoColon":
    case "offsetHour": {
      // An hour-only offset (ISO 8601 allows `+01`) names whole hours only.
      const offset = spec.form === "offsetHour" ? Math.trunc(spec.offsetMinutes / 60) * 60 : spec.offsetMinutes;
      return { value: `${wall(at + offset * MINUTE)}${offsetText(offset, spec.form)}`, ms: at };
    }
    case "nozone":
      // SPEC: times are UTC; a time without a zone is read as UTC, never as the machine's local time.
      return { value: wall(at), ms: at };
    case "fraction":
      return { value: `${wall(at)}.${pad(spec.micro, 6)}Z`, ms: at + Math.floor(spec.micro / 1000) };
    case "lower":
      return { value: `${wall(at).replace("T", "t")}z`, ms: at };
    case "space":
      return { value: `${wall(at).replace("T", " ")}Z`, ms: at };
    case "padded":
      return { value: ` ${wall(at)}Z\n`, ms: at };
  }
}

// ---------------------------------------------------------------- rows

/** What a row's price is; only a finite number is one (SPEC: "times and a number"). */
export const priceValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: -500, max: 6000 }).map((n) => n / 10_000) },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1e308, -1e-300, 5e-324) },
  { weight: 2, arbitrary: fc.constantFrom("0.25", "NaN", "Infinity", "-", "", null, true, false, {}, [0.2], undefined) },
);

export const confidenceValue: fc.Arbitrary<unknown> = fc.constantFrom(undefined, 1, 1, 1, 0.8, 0.5, 0, null, "1", 1.5, -1);

export interface RowSpec {
  /** Where the row starts: right after the previous row, after a gap, back over it (an overlap), or at the same start. */
  place: "next" | "gap" | "back" | "same";
  shift: number;
  /** Minutes; 0 and below: an end at or before the start. */
  length: number;
  start: TimeSpec;
  end: TimeSpec;
  value: unknown;
  confidence: unknown;
  /** `dialect`: the shape of the version answering; `other`: the other shape; `bare`: price not in an object; `notObject`: no object at all. */
  shape: "dialect" | "other" | "bare" | "notObject";
  notObject: unknown;
}

export const rowSpec: fc.Arbitrary<RowSpec> = fc.record({
  place: fc.constantFrom<RowSpec["place"]>("next", "next", "next", "next", "next", "gap", "back", "same"),
  shift: fc.integer({ min: 1, max: 180 }),
  length: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(1, 5, 15, 15, 30, 30, 60, 90, 240) }, { weight: 1, arbitrary: fc.constantFrom(0, -15) }),
  start: timeForm,
  end: timeForm,
  value: priceValue,
  confidence: confidenceValue,
  shape: fc.constantFrom<RowSpec["shape"]>("dialect", "dialect", "dialect", "dialect", "dialect", "dialect", "dialect", "dialect", "dialect", "other", "bare", "notObject"),
  notObject: fc.constantFrom(null, 42, "row", [], true),
});

/** Many regular rows, as a long answer of 1-minute or 15-minute prices. */
export interface BulkSpec {
  count: number;
  length: number;
  first: number;
}

export const bulkSpec: fc.Arbitrary<BulkSpec> = fc.record({
  count: fc.oneof(fc.integer({ min: 500, max: 6000 }), fc.integer({ min: 6000, max: 30_000 })),
  length: fc.constantFrom(1, 15),
  first: fc.integer({ min: -120, max: 0 }),
});

// ---------------------------------------------------------------- envelope

/** An envelope field: left out, or a value (odd ones included). */
const absent = fc.constant(undefined);
const safeText = fc.string({ unit: fc.constantFrom(..."abcXYZ/_+-0123 é"), maxLength: 20 });

export interface EnvelopeSpec {
  timezone: unknown;
  currency: unknown;
  updated: TimeSpec | undefined;
  nextUpdate: TimeSpec | undefined;
  updatedAt: number;
  nextUpdateAt: number;
  /** The location ID in the answer: left out or the one asked for. */
  locationId: boolean;
  direction: unknown;
}

export const envelopeSpec: fc.Arbitrary<EnvelopeSpec> = fc.record({
  timezone: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("Europe/London", "America/New_York", "Australia/Lord_Howe") }, { weight: 1, arbitrary: absent }, { weight: 2, arbitrary: fc.constantFrom("", 42, null, "Not/AZone", {}, ["Europe/London"]) }, { weight: 1, arbitrary: safeText }),
  currency: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("GBP", "EUR", "USD") }, { weight: 1, arbitrary: absent }, { weight: 2, arbitrary: fc.constantFrom("", 7, null, false) }, { weight: 1, arbitrary: safeText }),
  updated: fc.option(timeForm, { nil: undefined }),
  nextUpdate: fc.option(timeForm, { nil: undefined }),
  updatedAt: fc.integer({ min: -120, max: 0 }),
  nextUpdateAt: fc.integer({ min: -60, max: 24 * 60 }),
  locationId: fc.boolean(),
  direction: fc.constantFrom(undefined, "IMPORT", "EXPORT", "SIDEWAYS", 3),
});

export interface AnswerSpec {
  envelope: EnvelopeSpec;
  /** Sub-minute part of every time in the answer (seconds), so that rows `next` to each other touch. */
  seconds: number;
  first: number;
  rows: RowSpec[] | BulkSpec;
  /** The rows in another order than written. */
  shuffle: number[] | undefined;
  /** `data` is not a list: this value instead. */
  notList: { value: unknown } | undefined;
}

export const answerSpec: fc.Arbitrary<AnswerSpec> = fc.record({
  envelope: envelopeSpec,
  seconds: fc.constantFrom(0, 0, 0, 0, 17, 30),
  first: fc.integer({ min: -300, max: 120 }),
  rows: fc.oneof({ weight: 12, arbitrary: fc.array(rowSpec, { maxLength: 40 }) }, { weight: 1, arbitrary: bulkSpec }),
  shuffle: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 40, maxLength: 40 }) }),
  notList: fc.oneof({ weight: 19, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.record({ value: fc.constantFrom({}, "rows", null, 42, { "0": {} }) }) }),
});

/** A usable row as SPEC's output 1 gives it (instants in ms). */
export interface ExpectedRow {
  start: number;
  end: number;
  price: number;
  confidence: number | null;
}

export interface RenderedAnswer {
  body: Record<string, unknown>;
  /** The body as the server sends it. */
  text: string;
  /** Every row the oracle finds usable, in the order sent. */
  usable: ExpectedRow[];
  /** Envelope fields as output 1 must give them. */
  expected: { currency: string | null; timezone: string | null; updated: string | null; next_update: string | null; location_id: string };
  /** `data` is a list. */
  isList: boolean;
}

/** The answer's body for `dialect` at `anchor` (a whole second), and what SPEC makes of it. */
export function renderAnswer(spec: AnswerSpec, dialect: SimulatorDialect, anchor: number, askedLocation: string): RenderedAnswer {
  const base = anchor + spec.seconds * 1000;
  const usable: ExpectedRow[] = [];
  let data: unknown[];
  if (!Array.isArray(spec.rows)) {
    const { count, length, first } = spec.rows;
    data = [];
    for (let i = 0; i < count; i += 1) {
      const start = base + (first + i * length) * MINUTE;
      const end = start + length * MINUTE;
      const price = ((i * 37) % 41) / 100 - 0.05;
      data.push(rowIn(dialect, "dialect", `${wall(start)}Z`, `${wall(end)}Z`, price, 1));
      usable.push({ start, end, price, confidence: 1 });
    }
  } else {
    data = [];
    let cursor = spec.first;
    let previousStart = spec.first;
    for (const row of spec.rows) {
      const startMinute = row.place === "next" ? cursor : row.place === "gap" ? cursor + row.shift : row.place === "back" ? cursor - row.shift : previousStart;
      const endMinute = startMinute + row.length;
      previousStart = startMinute;
      cursor = Math.max(startMinute, endMinute);
      const start = renderTime(row.start, base + startMinute * MINUTE);
      const end = renderTime(row.end, base + endMinute * MINUTE);
      if (row.shape === "notObject") {
        data.push(row.notObject);
        continue;
      }
      const sent = rowIn(dialect, row.shape, start.value, end.value, row.value, row.confidence);
      data.push(sent);
      if (row.shape !== "dialect") continue;
      // The oracle reads the row after a JSON round trip, as the node gets it.
      const { value, confidence } = JSON.parse(JSON.stringify({ value: row.value ?? null, confidence: row.confidence ?? null })) as { value: unknown; confidence: unknown };
      const hasValue = row.value !== undefined;
      if (start.ms === undefined || end.ms === undefined || end.ms <= start.ms) continue;
      if (!hasValue || typeof value !== "number" || !Number.isFinite(value)) continue;
      // Confidence 0 is Flatpeak's placeholder for a price not yet published.
      if (confidence === 0) continue;
      usable.push({ start: start.ms, end: end.ms, price: value, confidence: typeof confidence === "number" && row.confidence !== undefined ? confidence : null });
    }
    if (spec.shuffle) {
      const keys = spec.shuffle;
      const order = data.map((_, i) => i).sort((a, b) => keys[a % keys.length] - keys[b % keys.length] || a - b);
      data = order.map((i) => data[i]);
    }
  }
  const envelope = spec.envelope;
  const updated = envelope.updated ? renderTime(envelope.updated, anchor + envelope.updatedAt * MINUTE) : undefined;
  const nextUpdate = envelope.nextUpdate ? renderTime(envelope.nextUpdate, anchor + envelope.nextUpdateAt * MINUTE) : undefined;
  const body: Record<string, unknown> = {
    id: dialect === "zero" ? "rts_fuzz" : "prc_fuzz",
    object: dialect === "zero" ? "tariff_rate" : "price",
    live_mode: false,
  };
  const put = (key: string, value: unknown): void => {
    if (value !== undefined) body[key] = value;
  };
  put("location_id", envelope.locationId ? askedLocation : undefined);
  put("location_timezone", envelope.timezone);
  put("currency_code", envelope.currency);
  put("last_updated", updated?.value);
  put("next_update", nextUpdate?.value);
  put(dialect === "zero" ? "direction" : "tariff_direction", envelope.direction);
  body.data = spec.notList ? spec.notList.value : data;
  const text = JSON.stringify(body);
  const nonEmpty = (value: unknown): string | null => (typeof value === "string" && value.length > 0 ? value : null);
  // An envelope time is given as ISO 8601 UTC when it names an instant (a string), else null.
  const isoOf = (time: { value: unknown; ms: number | undefined } | undefined): string | null =>
    time && typeof time.value === "string" && time.ms !== undefined ? new Date(time.ms).toISOString() : null;
  return {
    body,
    text,
    usable,
    isList: !spec.notList,
    expected: {
      currency: nonEmpty(envelope.currency),
      timezone: knownZone(envelope.timezone),
      updated: isoOf(updated),
      next_update: isoOf(nextUpdate),
      location_id: askedLocation,
    },
  };
}

/** A zone this runtime knows, in its own spelling; anything else is no zone (SPEC: null when absent). */
function knownZone(value: unknown): string | null {
  if (typeof value !== "string" || value === "") return null;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** zero: `{valid_from, valid_to, tariff: {rate, confidence}}`; anode and busbar: `{valid_from, valid_to, price: {value, confidence}}`. */
function rowIn(dialect: SimulatorDialect, shape: RowSpec["shape"], start: unknown, end: unknown, value: unknown, confidence: unknown): Record<string, unknown> {
  const zeroShape = dialect === "zero" ? shape === "dialect" : shape === "other";
  const inner: Record<string, unknown> = {};
  if (value !== undefined) inner[zeroShape ? "rate" : "value"] = value;
  if (confidence !== undefined) inner.confidence = confidence;
  const row: Record<string, unknown> = {};
  if (start !== undefined) row.valid_from = start;
  if (end !== undefined) row.valid_to = end;
  if (shape === "bare") row[dialect === "zero" ? "tariff" : "price"] = value ?? null;
  else row[zeroShape ? "tariff" : "price"] = inner;
  return row;
}

/** True when no two of these rows overlap (each row is [start, end)). */
export function disjoint(rows: readonly ExpectedRow[]): boolean {
  const sorted = [...rows].sort((a, b) => a.start - b.start);
  return sorted.every((row, i) => i === 0 || row.start >= sorted[i - 1].end);
}

/** The row covering `at` (rows not overlapping), if any. */
export function rowCovering<T extends { start: number; end: number }>(rows: readonly T[], at: number): T | undefined {
  return rows.find((row) => row.start <= at && at < row.end);
}
