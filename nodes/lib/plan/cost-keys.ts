/**
 * The planner's exact costs: each minute's price as an integer, so that every
 * sum the planner compares is exact (see planner.ts for the tie rule they
 * encode).
 */
import type { MinuteGrid } from "./minutes";
import type { Goal } from "./types";

/**
 * Per-minute integer costs, lower better for either goal. `primary` holds
 * rules 1 and 2, `secondary` rule 3, and a new run adds 1 to `secondary` (rule
 * 4). When every minute has a price, rule 3 has nothing to say and rule 4 fits
 * in `primary` (each minute's cost times total + 1, plus 1 per run): one key
 * is a third faster in the DP than two.
 */
export interface CostKeys {
  primary: Float64Array;
  /** Absent when every minute has a price: `primary` carries rule 4. */
  secondary?: Float64Array;
}

const SAFE_SUM = 2 ** 53;

export function costKeys(grid: MinuteGrid, goal: Goal, total: number): CostKeys {
  const n = grid.count;
  const sign = goal === "highest" ? -1 : 1;
  let lowest = Infinity;
  let highest = -Infinity;
  for (let i = 0; i < n; i += 1) {
    if (grid.known[i] === 0) continue;
    lowest = Math.min(lowest, sign * grid.prices[i]);
    highest = Math.max(highest, sign * grid.prices[i]);
  }
  const allKnown = grid.knownCount === n;
  const range = grid.knownCount > 0 ? highest - lowest : 0;
  // Largest sum compared, for `total` minutes: with unknown minutes total · (total · spread + 1)
  // (all at the unknown cost); in one key total · (total + 1) · spread + total. Both below 2^53.
  const largestSum = (spread: number): number => (allKnown ? total * (total + 1) * spread + total : total * (total * spread + 1));
  let digits = 9;
  while (digits > -400 && largestSum(range * 10 ** digits + 1) >= SAFE_SUM) digits -= 1;
  const scale = 10 ** digits;
  const base = grid.knownCount > 0 ? Math.round(lowest * scale) : 0;
  const primary = new Float64Array(n);
  if (allKnown) {
    for (let i = 0; i < n; i += 1) primary[i] = (Math.round(sign * grid.prices[i] * scale) - base) * (total + 1);
    return { primary };
  }
  const spread = grid.knownCount > 0 ? Math.round(highest * scale) - base : 0;
  // Dearer than any difference `total` known minutes can make: one unknown minute fewer always wins.
  const unknownCost = total * spread + 1;
  const secondary = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    if (grid.known[i] === 1) {
      primary[i] = Math.round(sign * grid.prices[i] * scale) - base;
    } else {
      primary[i] = unknownCost;
      // Later is better; weighted above any run count (at most `total`).
      secondary[i] = (n - 1 - i) * (total + 1);
    }
  }
  return { primary, secondary };
}

