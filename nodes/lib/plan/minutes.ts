/**
 * The whole-minute grid the planner works on: minute i is
 * [start + i min, start + (i + 1) min) and costs the price of the row that
 * contains its first instant, or has no price when no row does.
 */
import { MINUTE_MS, type PriceRow } from "./types";

export interface MinuteGrid {
  /** The first minute's start (a whole minute). */
  start: number;
  count: number;
  /** Price of each minute; 0 where unknown. */
  prices: Float64Array;
  /** 1 where the minute has a price. */
  known: Uint8Array;
  knownCount: number;
}

/** The grid of the whole minutes from `start` (a whole minute) that end by `end`. Rows sorted and not overlapping; O(rows + minutes). */
export function minuteGrid(rows: readonly PriceRow[], start: number, end: number): MinuteGrid {
  const span = Math.floor((end - start) / MINUTE_MS);
  const count = Number.isFinite(span) ? Math.max(0, span) : 0;
  const prices = new Float64Array(count);
  const known = new Uint8Array(count);
  let knownCount = 0;
  let row = 0;
  for (let i = 0; i < count; i += 1) {
    const instant = start + i * MINUTE_MS;
    while (row < rows.length && rows[row].end <= instant) row += 1;
    if (row < rows.length && rows[row].start <= instant) {
      prices[i] = rows[row].price;
      known[i] = 1;
      knownCount += 1;
    }
  }
  return { start, count, prices, known, knownCount };
}
