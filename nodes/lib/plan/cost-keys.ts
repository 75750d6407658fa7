/**
 * The planner's exact costs: each minute's price as an integer, so that every
 * sum the planner compares is exact (see planner.ts for the tie rule they
 * encode).
 */
import type { MinuteGrid } from "./minutes";
import type { Goal } from "./types";

/**
 * Per-minute integer costs, lower better for either goal.
 * - Two keys: `primary` holds rules 1 and 2, `secondary` rule 3, and a new run
 *   adds 1 to `secondary` (rule 4).
 * - One key (no `secondary`): each minute's price units times (total + 1), and
 *   a new run adds 1: rules 2 and 4 in one integer, a third faster in the DP.
 *   A minute without a price costs Infinity (not allowed), so one key is
 *   exact when every minute has a price, or when the best plan can do
 *   without those minutes (then rules 1 and 3 have nothing to decide).
 */
export interface CostKeys {
  primary: Float64Array;
  secondary?: Float64Array;
}

const SAFE_SUM = 2 ** 53;

/** One key when every minute has a price, else two. */
export function costKeys(grid: MinuteGrid, goal: Goal, total: number): CostKeys {
  return grid.knownCount === grid.count ? oneKey(grid, goal, total) : twoKeys(grid, goal, total);
}

/** One key; minutes without a price cost Infinity. The largest sum compared: total · (total + 1) · spread + total. */
export function oneKey(grid: MinuteGrid, goal: Goal, total: number): CostKeys {
  const { units } = priceUnits(grid, goal, (spread) => total * (total + 1) * spread + total);
  const primary = new Float64Array(grid.count);
  for (let i = 0; i < grid.count; i += 1) primary[i] = grid.known[i] === 1 ? units[i] * (total + 1) : Infinity;
  return { primary };
}

/** Two keys. The largest sum compared: total minutes at the unknown cost, total · (total · spread + 1). */
export function twoKeys(grid: MinuteGrid, goal: Goal, total: number): CostKeys {
  const n = grid.count;
  const { units, spread } = priceUnits(grid, goal, (range) => total * (total * range + 1));
  // Dearer than any difference `total` known minutes can make: one unknown minute fewer always wins.
  const unknownCost = total * spread + 1;
  const primary = new Float64Array(n);
  const secondary = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    if (grid.known[i] === 1) {
      primary[i] = units[i];
    } else {
      primary[i] = unknownCost;
      // Later is better; weighted above any run count (at most `total`).
      secondary[i] = (n - 1 - i) * (total + 1);
    }
  }
  return { primary, secondary };
}

/**
 * Known prices as whole units of 10^-digits above the lowest (sign-flipped for
 * `highest`, so lower is better): digits = 9, or fewer when `largestSum` of the
 * spread (in units) would reach 2^53. `spread`: the highest minus the lowest, in units.
 */
function priceUnits(grid: MinuteGrid, goal: Goal, largestSum: (spread: number) => number): { units: Float64Array; spread: number } {
  const sign = goal === "highest" ? -1 : 1;
  let lowest = Infinity;
  let highest = -Infinity;
  for (let i = 0; i < grid.count; i += 1) {
    if (grid.known[i] === 0) continue;
    lowest = Math.min(lowest, sign * grid.prices[i]);
    highest = Math.max(highest, sign * grid.prices[i]);
  }
  const units = new Float64Array(grid.count);
  if (grid.knownCount === 0) return { units, spread: 0 };
  let digits = 9;
  // + 1: rounding can widen the spread by a unit.
  while (digits > -400 && largestSum((highest - lowest) * 10 ** digits + 1) >= SAFE_SUM) digits -= 1;
  const scale = 10 ** digits;
  const base = Math.round(lowest * scale);
  for (let i = 0; i < grid.count; i += 1) {
    if (grid.known[i] === 1) units[i] = Math.round(sign * grid.prices[i] * scale) - base;
  }
  return { units, spread: Math.round(highest * scale) - base };
}
