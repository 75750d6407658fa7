/**
 * Prices in, as rows: reading them from a message and merging them with the
 * prices the node already knows. Pure; a message never makes these throw,
 * a row that cannot be used makes the whole message a problem.
 *
 * Two input shapes:
 * - `payload.prices`: `[{ start, end, price }]` (flatpeak price);
 * - `payload.priceData`: `[{ start, value, end? }]` (Tibber, Nord Pool,
 *   node-red-contrib-power-saver). A row ends at its own `end` when it has
 *   one, else where the next row starts; the last row without `end` lasts as
 *   long as the row before it.
 * When both are there, `prices` is read and `priceData` ignored.
 *
 * Times: ISO 8601 with `Z` or an offset, epoch milliseconds, or a Date (see
 * instants.ts). Prices: finite numbers, or strings that are plain decimal
 * numbers (`"0.2431"`, `"-1.5e-2"`; some integrations send text): anything
 * else, `null` included, is refused rather than guessed.
 */
import { readInstant } from "../instants";
import { isValidTimeZone, canonicalTimeZone } from "./time-zone";
import { preview, type Outcome, type Problem } from "./problems";
import { isoTime, type PriceRow } from "./types";

/** Most rows one message may carry (and the node keeps): 72 h of 1-minute prices is 4320. */
export const MAX_ROWS = 20_000;

/** Every reason `readPrices` gives; the node maps each to a translated text. */
export const ROWS_PROBLEM_CODES = [
  /** The payload is not an object. */
  "notAnObject",
  /** The payload has neither `prices` nor `priceData`. */
  "noPrices",
  /** `prices` / `priceData` is not an array. vars: `field`. */
  "notAList",
  /** More than `MAX_ROWS` rows. vars: `field`, `count`, `max`. */
  "tooManyRows",
  /** A row is not an object. vars: `field`, `index` (0-based, as sent). */
  "rowNotAnObject",
  /** `start` or `end` is not a time. vars: `field`, `index`, `key`, `value` (a short preview). */
  "badTime",
  /** `price` or `value` is not a finite number. vars: `field`, `index`, `key`, `value`. */
  "badPrice",
  /** A row ends at or before its start. vars: `field`, `index`, `start`, `end` (ISO). */
  "endNotAfterStart",
  /** Two rows cover the same time (or share a start). vars: `field`, `index`, `otherIndex`, `start` (ISO, where the later one starts). */
  "overlap",
  /** `priceData` with a single row and no `end`: its length cannot be known. vars: `field`. */
  "lastRowWithoutEnd",
  /** `payload.timezone` is not a time zone this runtime knows (a blank one counts as none). vars: `value`. */
  "badTimeZone",
] as const;

export type RowsProblemCode = (typeof ROWS_PROBLEM_CODES)[number];
export type RowsProblem = Problem<RowsProblemCode>;

/** What a prices message says: its rows, sorted by start, and the zone it names (canonical spelling), if any. */
export interface PriceMessage {
  rows: PriceRow[];
  timeZone?: string;
}

type PriceField = "prices" | "priceData";

/** A row as read, before its end is known, with where it was in the message. */
interface ReadRow {
  index: number;
  start: number;
  end?: number;
  price: number;
}

/** True when the payload carries prices in either shape (so a message with only `msg.job` is told apart). */
export function hasPrices(payload: unknown): boolean {
  return isRecord(payload) && (isGiven(payload.prices) || isGiven(payload.priceData));
}

/** Reads the rows of a prices payload. An empty list is no problem: it gives no rows (the node decides). */
export function readPrices(payload: unknown): Outcome<PriceMessage, RowsProblemCode> {
  if (!isRecord(payload)) return fail("notAnObject");
  const field: PriceField | undefined = isGiven(payload.prices) ? "prices" : isGiven(payload.priceData) ? "priceData" : undefined;
  if (field === undefined) return fail("noPrices");
  let timeZone: string | undefined;
  // A blank zone is no zone (a flow may clear the field rather than delete it).
  if (isGiven(payload.timezone) && !(typeof payload.timezone === "string" && payload.timezone.trim() === "")) {
    if (!isValidTimeZone(payload.timezone)) return fail("badTimeZone", { value: preview(payload.timezone) });
    timeZone = canonicalTimeZone(payload.timezone);
  }
  const list = payload[field];
  if (!Array.isArray(list)) return fail("notAList", { field });
  if (list.length > MAX_ROWS) return fail("tooManyRows", { field, count: list.length, max: MAX_ROWS });
  const read = readRows(list, field);
  if (!Array.isArray(read)) return { ok: false, problem: read };
  read.sort((a, b) => a.start - b.start || a.index - b.index);
  const ended = field === "prices" ? read : endPriceData(read, field);
  if (!Array.isArray(ended)) return { ok: false, problem: ended };
  const problem = checkRows(ended, field);
  if (problem) return { ok: false, problem };
  const rows = ended.map(({ start, end, price }) => ({ start, end: end as number, price }));
  return timeZone === undefined ? { ok: true, rows } : { ok: true, rows, timeZone };
}

function readRows(list: unknown[], field: PriceField): ReadRow[] | RowsProblem {
  const priceKey = field === "prices" ? "price" : "value";
  const rows: ReadRow[] = [];
  for (let index = 0; index < list.length; index += 1) {
    const row: unknown = list[index];
    if (!isRecord(row)) return problem("rowNotAnObject", { field, index });
    const start = readInstant(row.start);
    if (start === undefined) return problem("badTime", { field, index, key: "start", value: preview(row.start) });
    // `end` is required in `prices`, optional in `priceData`.
    let end: number | undefined;
    if (field === "prices" || isGiven(row.end)) {
      end = readInstant(row.end);
      if (end === undefined) return problem("badTime", { field, index, key: "end", value: preview(row.end) });
    }
    const price = readPrice(row[priceKey]);
    if (price === undefined) return problem("badPrice", { field, index, key: priceKey, value: preview(row[priceKey]) });
    rows.push(end === undefined ? { index, start, price } : { index, start, end, price });
  }
  return rows;
}

/** `priceData`: a row without `end` ends where the next starts; the last lasts as long as the one before it. */
function endPriceData(rows: ReadRow[], field: PriceField): ReadRow[] | RowsProblem {
  for (let i = 1; i < rows.length; i += 1) {
    // Two rows at one start would give the first no length: say what it really is.
    if (rows[i].start === rows[i - 1].start) return overlapProblem(rows[i - 1], rows[i], field);
  }
  for (let i = 0; i < rows.length; i += 1) {
    const row = rows[i];
    if (row.end !== undefined) continue;
    if (i + 1 < rows.length) row.end = rows[i + 1].start;
    else if (i > 0) row.end = row.start + ((rows[i - 1].end as number) - rows[i - 1].start);
    else return problem("lastRowWithoutEnd", { field });
  }
  return rows;
}

/** Sorted rows: each ends after it starts, and none overlaps the one before. */
function checkRows(rows: ReadRow[], field: PriceField): RowsProblem | undefined {
  for (let i = 0; i < rows.length; i += 1) {
    const { start, end, index } = rows[i];
    if ((end as number) <= start) return problem("endNotAfterStart", { field, index, start: isoTime(start), end: isoTime(end as number) });
    if (i > 0 && start < (rows[i - 1].end as number)) return overlapProblem(rows[i - 1], rows[i], field);
  }
  return undefined;
}

function overlapProblem(earlier: ReadRow, later: ReadRow, field: PriceField): RowsProblem {
  return problem("overlap", { field, index: later.index, otherIndex: earlier.index, start: isoTime(later.start) });
}

const DECIMAL_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function readPrice(value: unknown): number | undefined {
  const number = typeof value === "number" ? value : typeof value === "string" && DECIMAL_PATTERN.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  return Number.isFinite(number) ? number : undefined;
}

/**
 * The known rows with `incoming` laid over them: an incoming row replaces
 * what known rows said for the time it covers (a known row partly covered
 * keeps its uncovered parts), the other known rows stay. Rows that end at or
 * before `keepFrom` are dropped, so the stored prices stay bounded; beyond
 * `MAX_ROWS`, the latest rows are dropped. Both inputs sorted and not
 * overlapping (as `readPrices` and `sanitizeRows` give them); O(n + m).
 */
export function mergeRows(known: readonly PriceRow[], incoming: readonly PriceRow[], keepFrom: number): PriceRow[] {
  const kept: PriceRow[] = [];
  let first = 0; // the first incoming row that may still cover a known row
  for (const row of known) {
    while (first < incoming.length && incoming[first].end <= row.start) first += 1;
    let cursor = row.start;
    for (let i = first; i < incoming.length && incoming[i].start < row.end; i += 1) {
      if (incoming[i].start > cursor) kept.push({ start: cursor, end: incoming[i].start, price: row.price });
      cursor = Math.max(cursor, incoming[i].end);
    }
    if (cursor < row.end) kept.push({ start: cursor, end: row.end, price: row.price });
  }
  return mergeSorted(kept, incoming)
    .filter((row) => row.end > keepFrom)
    .slice(0, MAX_ROWS);
}

function mergeSorted(a: readonly PriceRow[], b: readonly PriceRow[]): PriceRow[] {
  const merged: PriceRow[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i].start < b[j].start)) merged.push({ ...a[i++] });
    else merged.push({ ...b[j++] });
  }
  return merged;
}

/**
 * Rows read back from storage (node context, maybe edited or from an older
 * version): the well-formed ones, sorted, without any that overlaps a row
 * before it. Never throws.
 */
export function sanitizeRows(value: unknown): PriceRow[] {
  if (!Array.isArray(value)) return [];
  const rows = value
    .filter(isRecord)
    .map((row) => ({ start: row.start, end: row.end, price: row.price }))
    .filter((row): row is PriceRow => [row.start, row.end, row.price].every((n) => typeof n === "number" && Number.isFinite(n)) && (row.end as number) > (row.start as number))
    .sort((a, b) => a.start - b.start);
  const clean: PriceRow[] = [];
  for (const row of rows) {
    if (clean.length === 0 || row.start >= clean[clean.length - 1].end) clean.push(row);
  }
  return clean.slice(0, MAX_ROWS);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isGiven(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function problem(code: RowsProblemCode, vars?: Record<string, string | number>): RowsProblem {
  return vars === undefined ? { code } : { code, vars };
}

function fail(code: RowsProblemCode, vars?: Record<string, string | number>): { ok: false; problem: RowsProblem } {
  return { ok: false, problem: problem(code, vars) };
}
