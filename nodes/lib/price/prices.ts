/**
 * A prices answer (any API version, already read into one shape by the
 * client's dialects) → the payload the price node sends, and the row for an
 * instant. Pure: no I/O, no Node-RED, no timers; instants are UTC epoch
 * milliseconds inside and ISO 8601 UTC strings in the payload.
 */
import type { PriceAnswer, PriceDirection, RawPriceRow } from "../client/dialects";
import { readInstant } from "../instants";

/** `loc_` and ASCII letters or digits (the docs' generic ID pattern). */
const LOCATION_ID_PATTERN = /^loc_[A-Za-z0-9]{1,64}$/;

export function isLocationId(value: unknown): value is string {
  return typeof value === "string" && LOCATION_ID_PATTERN.test(value);
}

/** One usable row: a time span with a price. */
export interface PriceRow {
  start: number;
  end: number;
  price: number;
  /** 1 for a published price, below 1 for a forecast; null when Flatpeak did not say. */
  confidence: number | null;
}

/** `msg.payload` of output 1 (SPEC "Prices"). */
export interface PricesPayload {
  location_id: string;
  direction: PriceDirection;
  currency: string | null;
  timezone: string | null;
  updated: string | null;
  next_update: string | null;
  prices: Array<{ start: string; end: string; price: number; confidence: number | null }>;
  /** The same rows as Tibber / Nord Pool flows and node-red-contrib-power-saver read them. */
  priceData: Array<{ start: string; value: number }>;
}

export interface ReadPrices {
  rows: PriceRow[];
  /** Rows that were not usable: no times, end not after start, no number, a placeholder, or overlapping an earlier row. */
  dropped: number;
}

/**
 * The usable rows, sorted by start. A row needs two instants and a finite
 * number; a row with confidence 0 is dropped too, as Flatpeak sends value 0
 * with confidence 0 for prices not yet published (a price of 0 it is not).
 * Rows keep the lengths Flatpeak gives; one that overlaps an earlier-starting
 * row is dropped rather than guessed at.
 */
export function readPriceRows(raw: readonly RawPriceRow[]): ReadPrices {
  const candidates: PriceRow[] = [];
  for (const row of raw) {
    const usable = usableRow(row);
    if (usable) candidates.push(usable);
  }
  candidates.sort((a, b) => a.start - b.start || a.end - b.end);
  const rows: PriceRow[] = [];
  for (const row of candidates) {
    const last = rows[rows.length - 1];
    if (last && row.start < last.end) continue;
    rows.push(row);
  }
  return { rows, dropped: raw.length - rows.length };
}

function usableRow(row: RawPriceRow): PriceRow | undefined {
  const start = instant(row.start);
  const end = instant(row.end);
  const price = row.value;
  if (start === undefined || end === undefined || end <= start) return undefined;
  if (typeof price !== "number" || !Number.isFinite(price)) return undefined;
  const confidence = typeof row.confidence === "number" && Number.isFinite(row.confidence) ? row.confidence : null;
  if (confidence === 0) return undefined;
  return { start, end, price, confidence };
}

/**
 * An instant from an ISO 8601 string. Flatpeak writes UTC with `Z`; a time
 * without a zone (as in some of its error bodies) is read as UTC too, never as
 * the Pi's local time, which is what `Date.parse` alone would do.
 */
function instant(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  return readInstant(value) ?? readInstant(`${value}Z`);
}

/** The payload of output 1 for these rows; envelope fields Flatpeak left out are null. */
export function pricesPayload(answer: PriceAnswer, rows: readonly PriceRow[], asked: { locationId: string; direction: PriceDirection }): PricesPayload {
  const prices = rows.map((row) => ({ start: iso(row.start), end: iso(row.end), price: row.price, confidence: row.confidence }));
  return {
    location_id: answer.locationId ?? asked.locationId,
    direction: asked.direction,
    currency: answer.currency ?? null,
    timezone: answer.timezone ?? null,
    updated: isoOrNull(answer.updated),
    next_update: isoOrNull(answer.nextUpdate),
    prices,
    priceData: prices.map((row) => ({ start: row.start, value: row.price })),
  };
}

/** The row that covers `at`, if any (rows sorted and not overlapping). */
export function rowAt(rows: readonly PriceRow[], at: number): PriceRow | undefined {
  let low = 0;
  let high = rows.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const row = rows[middle];
    if (at < row.start) high = middle - 1;
    else if (at >= row.end) low = middle + 1;
    else return row;
  }
  return undefined;
}

/** The first instant after `at` where the price now may change: a row's start or end. */
export function nextBoundary(rows: readonly PriceRow[], at: number): number | undefined {
  for (const row of rows) {
    if (row.start > at) return row.start;
    if (row.end > at) return row.end;
  }
  return undefined;
}

/** Where a prices request starts: the start of the current (UTC) hour, so the hour under way is included. */
export function windowStart(now: number): number {
  return Math.floor(now / HOUR_MS) * HOUR_MS;
}

export const HOUR_MS = 3_600_000;
/** Flatpeak's `next_update` is honoured within these bounds after a fetch. */
export const MIN_REFRESH_MS = 15 * 60_000;
export const MAX_REFRESH_MS = 6 * HOUR_MS;

/**
 * When to fetch again by itself after a fetch at `fetchedAt`: at `next_update`,
 * no sooner than 15 minutes and no later than 6 hours after; every hour
 * without one (or with one that is not a time).
 */
export function nextRefreshAt(fetchedAt: number, nextUpdate: string | null): number {
  const wanted = nextUpdate === null ? Number.NaN : Date.parse(nextUpdate);
  if (!Number.isFinite(wanted)) return fetchedAt + HOUR_MS;
  return Math.min(fetchedAt + MAX_REFRESH_MS, Math.max(fetchedAt + MIN_REFRESH_MS, wanted));
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function isoOrNull(text: string | undefined): string | null {
  const ms = instant(text);
  return ms === undefined ? null : iso(ms);
}
