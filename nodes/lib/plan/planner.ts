/**
 * The exact planner: which whole minutes of the rest of a window the device
 * runs. Pure; no clock, no Node-RED.
 *
 * The plan covers the whole minutes from `planStart` (now rounded up to a
 * whole minute, or the window's start if later) to the window's end. Minute i
 * costs the price of the row containing its first instant; a minute no row
 * covers is dearer than any known price (with `highest`, cheaper), so the
 * device still gets its minutes, and later prices can move them.
 *
 * Optimal means: of all the sets of whole minutes that meet the job, the plan
 * is first by this order (the tie rule, fully deterministic):
 *   1. fewest minutes without a price;
 *   2. lowest sum of known prices (with `highest`, the highest);
 *   3. minutes without a price as late as possible (largest sum of their indices);
 *   4. fewest runs (the continuation of a run in progress is not a new run);
 *   5. earliest: at the first minute where two plans differ, the one that runs.
 *
 * Exact arithmetic (cost-keys.ts): prices become integers in units of 10^-9
 * (coarser only when the sums would reach 2^53: prices far beyond any tariff),
 * and rule 1 is folded into the same integer by costing an unknown minute
 * more than T known minutes can differ (T = minutes planned). Every sum the
 * planner compares is then an exact integer in a double: ties are real ties,
 * comparisons are transitive, and the tie rule holds to the letter; prices
 * closer than 10^-9 count as equal. A relative epsilon would make "equal"
 * depend on the order of additions and break transitivity. Rules 3 and 4
 * form a second integer, lateness · (T + 1) + runs, compared when the first
 * ties. When every minute has a price, rule 4 folds into the first integer
 * (one key, a third faster); with minRun, when minutes without a price exist
 * but enough have one, the DP first runs on one key with those minutes
 * barred, and only if that finds no plan on two keys (rule 1 then needs them).
 *
 * Modes and cost (n = minutes in the plan's horizon, at most 4320 = 72 h;
 * T = minutes to plan):
 *   - contiguous: one run of T; a sliding window, O(n).
 *   - split without minRun: the T cheapest minutes (a sort, O(n log n)).
 *     When minutes tie at the threshold price and only some are needed, a
 *     DP over the blocks of tied minutes picks the fewest runs, then the
 *     earliest (tied-minutes.ts): O(blocks · T), usually a few blocks.
 *   - split with minRun m (min-run.ts): a DP over the cells (p, o) =
 *     (minutes placed, minutes left off) with two states, "off" and "on in a
 *     run already ≥ m". A new run enters by a block of exactly m minutes (a
 *     sliding sum), so each cell is O(1): (T + 1)(n − T + 1) cells, at most
 *     4.7 M (T = n / 2 = 2160), usually far fewer (T = 240 of 4320: 1 M;
 *     a daily window of 24 h: at most 0.5 M). Measured in bench/planner.ts.
 *     Two rows of values are kept (O(T) memory) and the decisions as 2 bits
 *     per cell (a byte each: at most 4.7 MB) for the reconstruction.
 *   The DPs run backwards; reading the decisions forwards, they take the
 *   choice that runs whenever it ties: that is rule 5.
 *
 * What the job needs: remaining = max(0, minutes − done). A run in progress
 * that has run e < minRun minutes goes on for min(minRun − e, minutes left)
 * minutes even beyond `remaining`: a new plan never cuts it shorter than
 * minRun (SPEC). With `contiguous`, the remaining minutes continue it. In a
 * split plan with nothing running and remaining < minRun, the shortest run
 * allowed is `remaining`: one short run rather than no plan. When the window
 * holds fewer minutes than needed, every minute left is planned (`shortfall`).
 */
import { costKeys, oneKey, twoKeys, type CostKeys } from "./cost-keys";
import { minuteGrid, type MinuteGrid } from "./minutes";
import { planWithMinRun, type SplitPlan } from "./min-run";
import { chooseTiedMinutes } from "./tied-minutes";
import { ceilMinute, MINUTE_MS, type Goal, type Job, type PriceRow, type Run, type Window } from "./types";

/** A plan looks at most this far ahead: a one-off job's longest window (72 h). A daily window is at most 25 h. */
export const MAX_HORIZON_MINUTES = 4320;

export interface PlanRequest {
  /** The known prices: sorted by start, not overlapping. */
  rows: readonly PriceRow[];
  window: Window;
  now: number;
  job: Job;
  /** Minutes already run in this window (default 0). */
  done?: number;
  /** When the device is on now as part of this window's plan: the instant it went on. */
  runningSince?: number;
}

export interface Plan {
  window: Window;
  goal: Goal;
  /** Where planning began: the first whole minute at or after max(now, window start). */
  planStart: number;
  /** Whole minutes from planStart to the window's end (at most MAX_HORIZON_MINUTES). */
  horizonMinutes: number;
  /** Runs from planStart on, the continuation of a run in progress included: sorted, not touching, whole minutes. */
  runs: Run[];
  plannedMinutes: number;
  /** Planned minutes without a known price. */
  unknownMinutes: number;
  /** What the job still needed: max(0, minutes − done). Planned can be more (a run in progress kept to minRun). */
  neededMinutes: number;
  /** Needed minutes the window could not give: max(0, needed − planned). */
  shortfall: number;
}

/** Plans the rest of the window. Never throws; odd numbers are read as the nearest sensible ones (negative → 0). */
export function planJob(request: PlanRequest): Plan {
  const { window, job } = request;
  const planStart = ceilMinute(Math.max(request.now, window.start));
  const grid = minuteGrid(request.rows, planStart, Math.min(window.end, planStart + MAX_HORIZON_MINUTES * MINUTE_MS));
  const need = whatTheJobNeeds(request, planStart, grid.count);
  const on = new Uint8Array(grid.count);
  if (need.total === grid.count || (need.running && job.contiguous)) {
    // Every minute left, or the remainder of a contiguous job continuing its run.
    on.fill(1, 0, need.total);
  } else if (need.total > 0) {
    if (job.contiguous) {
      const start = cheapestWindow(costKeys(grid, job.goal, need.total), need.total);
      on.fill(1, start, start + need.total);
    } else if (need.shortestRun === 1) {
      planCheapestMinutes(splitPlan(costKeys(grid, job.goal, need.total), need, on));
    } else {
      planSplitWithMinRun(grid, job.goal, need, on);
    }
  }
  let plannedMinutes = 0;
  let unknownMinutes = 0;
  for (let i = 0; i < grid.count; i += 1) {
    plannedMinutes += on[i];
    if (on[i] === 1 && grid.known[i] === 0) unknownMinutes += 1;
  }
  return {
    window: { start: window.start, end: window.end },
    goal: job.goal,
    planStart,
    horizonMinutes: grid.count,
    runs: runsOf(on, planStart),
    plannedMinutes,
    unknownMinutes,
    neededMinutes: need.needed,
    shortfall: Math.max(0, need.needed - plannedMinutes),
  };
}

interface Need {
  /** max(0, minutes − done). */
  needed: number;
  /** The device is on now, as part of this window's plan. */
  running: boolean;
  /** Minutes from planStart the run in progress must still go on to reach minRun. */
  keepRunning: number;
  /** Minutes to plan: needed, or keepRunning if more, at most the minutes left. */
  total: number;
  /** The shortest new run a split plan may have (1: any). */
  shortestRun: number;
}

function whatTheJobNeeds(request: PlanRequest, planStart: number, minutesLeft: number): Need {
  const { job, runningSince } = request;
  // Minutes done are counted by the node from switch times: the nearest whole minute.
  const needed = Math.max(0, wholeMinutes(job.minutes) - Math.max(0, Math.round(finiteOr(request.done, 0))));
  const minRun = wholeMinutes(job.minRun);
  const running = runningSince !== undefined && Number.isFinite(runningSince) && minutesLeft > 0;
  const ranFor = running ? Math.max(0, planStart - runningSince) : 0;
  const keepRunning = running ? Math.min(minutesLeft, Math.max(0, Math.ceil((minRun * MINUTE_MS - ranFor) / MINUTE_MS))) : 0;
  const total = Math.min(minutesLeft, Math.max(needed, keepRunning));
  // Nothing running and fewer minutes needed than minRun: one short run rather than no plan.
  // A run in progress can always go on instead, so new runs then keep the full minRun.
  const shortestRun = Math.max(1, running ? minRun : Math.min(minRun, total));
  return { needed, running, keepRunning, total, shortestRun };
}

function wholeMinutes(value: number): number {
  return Math.max(0, Math.floor(finiteOr(value, 0)));
}

function finiteOr(value: number | undefined, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

function splitPlan(keys: CostKeys, need: Need, on: Uint8Array): SplitPlan {
  return { keys, forced: need.keepRunning, total: need.total, running: need.running, on };
}

/**
 * With minutes without a price but enough with one, the best plan usually
 * needs none of them: try one key with those minutes barred, and only if no
 * plan is possible without them, plan with two keys.
 */
function planSplitWithMinRun(grid: MinuteGrid, goal: Goal, need: Need, on: Uint8Array): void {
  let knownFree = 0;
  for (let i = need.keepRunning; i < grid.count; i += 1) knownFree += grid.known[i];
  if (grid.knownCount === grid.count || knownFree >= need.total - need.keepRunning) {
    if (planWithMinRun(splitPlan(oneKey(grid, goal, need.total), need, on), need.shortestRun)) return;
  }
  planWithMinRun(splitPlan(twoKeys(grid, goal, need.total), need, on), need.shortestRun);
}

/** The earliest start of the best run of `length` minutes (rules 1–3; one run, so rule 4 ties). */
function cheapestWindow(keys: CostKeys, length: number): number {
  const { primary } = keys;
  const secondary = keys.secondary ?? new Float64Array(primary.length);
  const n = primary.length;
  // Sliding sums: each value is a sum of at most `length` minutes, so it stays exact.
  let sumP = 0;
  let sumQ = 0;
  for (let i = 0; i < length; i += 1) {
    sumP += primary[i];
    sumQ += secondary[i];
  }
  let best = 0;
  let bestP = sumP;
  let bestQ = sumQ;
  for (let start = 1; start + length <= n; start += 1) {
    sumP += primary[start + length - 1] - primary[start - 1];
    sumQ += secondary[start + length - 1] - secondary[start - 1];
    if (sumP < bestP || (sumP === bestP && sumQ < bestQ)) {
      best = start;
      bestP = sumP;
      bestQ = sumQ;
    }
  }
  return best;
}

/**
 * Split without minRun: every minute cheaper than the threshold (the key of
 * the last minute needed), none dearer, and r of the e minutes at exactly the
 * threshold. Only known minutes can tie (each unknown minute's lateness is its
 * own), so when r < e the choice among them decides rules 4 and 5 alone.
 */
function planCheapestMinutes(plan: SplitPlan): void {
  const { keys, forced, total, on } = plan;
  const { primary } = keys;
  const secondary = keys.secondary ?? new Float64Array(primary.length);
  const n = primary.length;
  on.fill(1, 0, forced);
  const needed = total - forced;
  if (needed === 0) return;
  const free = Array.from({ length: n - forced }, (_, k) => forced + k);
  free.sort((x, y) => primary[x] - primary[y] || secondary[x] - secondary[y] || x - y);
  const threshold = free[needed - 1];
  const ties: number[] = [];
  let cheaper = 0;
  for (const i of free) {
    if (primary[i] === primary[threshold] && secondary[i] === secondary[threshold]) ties.push(i);
    else if (primary[i] < primary[threshold] || (primary[i] === primary[threshold] && secondary[i] < secondary[threshold])) {
      on[i] = 1;
      cheaper += 1;
    }
  }
  const wanted = needed - cheaper;
  if (wanted === ties.length) {
    for (const i of ties) on[i] = 1;
    return;
  }
  ties.sort((x, y) => x - y);
  chooseTiedMinutes(on, ties, wanted, plan.running);
}

function runsOf(on: Uint8Array, start: number): Run[] {
  const runs: Run[] = [];
  for (let i = 0; i < on.length; i += 1) {
    if (on[i] === 0) continue;
    const first = i;
    while (i + 1 < on.length && on[i + 1] === 1) i += 1;
    runs.push({ start: start + first * MINUTE_MS, end: start + (i + 1) * MINUTE_MS });
  }
  return runs;
}
