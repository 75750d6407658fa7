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
 * Exact arithmetic: prices become integers in units of 10^-d (d = 9 unless
 * the sums would not stay below 2^53, for prices far beyond any tariff), and
 * rule 1 is folded into the same integer by costing an unknown minute more
 * than any T known minutes can differ (T = minutes planned). Every sum the
 * planner compares is then an exact integer in a double: ties are real ties,
 * comparisons are transitive, and the tie rule holds. Prices closer than
 * 10^-9 count as equal. Rules 3 and 4 form a second integer, (lateness · (T+1)
 * + runs), compared only when the first ties.
 *
 * Modes and cost (n = minutes in the plan's horizon, at most 4320 = 72 h;
 * T = minutes to plan):
 *   - contiguous: one run of T; a sliding window, O(n).
 *   - split without minRun: the T cheapest minutes (sort, O(n log n)). When
 *     some minutes at the threshold price tie and only r of those e are
 *     needed, a DP over the tied minutes picks the fewest runs: O(r (e − r)).
 *   - split with minRun m: a DP over the cells (p, o) = (minutes placed,
 *     minutes left off) with two states, "off" and "on in a run already ≥ m".
 *     A new run enters by a block of exactly m minutes (a sliding sum), so
 *     every cell is O(1): (T + 1)(n − T + 1) cells, at most 4.7 M (T = n / 2
 *     = 2160), usually far fewer (T = 240 of 4320: 1 M). The values of two
 *     rows of o are kept (O(T) memory), the decisions as 2 bits per cell
 *     (one byte each: at most 4.7 MB) for the reconstruction.
 *   Both DPs run backwards and, reading the decisions forwards, take the
 *   running choice whenever it ties: that is rule 5.
 */
import { minuteGrid, type MinuteGrid } from "./minutes";
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
  const n = grid.count;
  const neededMinutes = Math.max(0, wholeMinutes(job.minutes) - Math.max(0, finiteOr(request.done, 0)));
  const minRun = wholeMinutes(job.minRun);
  const running = request.runningSince !== undefined && Number.isFinite(request.runningSince) && n > 0;
  // A run in progress is not cut shorter than minRun: it goes on for what minRun still asks.
  const keepRunning = running && minRun > 0 ? Math.min(n, Math.max(0, Math.ceil((minRun * MINUTE_MS - Math.max(0, planStart - (request.runningSince as number))) / MINUTE_MS))) : 0;
  const total = Math.min(n, Math.max(neededMinutes, keepRunning));

  const on = new Uint8Array(n);
  if (total === n || (running && job.contiguous)) {
    // Every minute left, or the remainder of a contiguous job continuing its run.
    on.fill(1, 0, total);
  } else if (total > 0) {
    const keys = costKeys(grid, job.goal, total);
    if (job.contiguous) {
      const start = cheapestWindow(keys, total);
      on.fill(1, start, start + total);
    } else {
      // Nothing running and fewer minutes needed than minRun: one short run rather than no plan.
      // A run in progress can always continue, so its new runs keep the full minRun.
      const blockMinutes = Math.max(1, running ? minRun : Math.min(minRun, total));
      const plan: SplitPlan = { keys, forced: keepRunning, total, running, on };
      if (blockMinutes === 1) planCheapestMinutes(plan);
      else planWithMinRun(plan, blockMinutes);
    }
  }
  const runs = runsOf(on, planStart);
  let plannedMinutes = 0;
  let unknownMinutes = 0;
  for (let i = 0; i < n; i += 1) {
    plannedMinutes += on[i];
    if (on[i] === 1 && grid.known[i] === 0) unknownMinutes += 1;
  }
  return {
    window: { start: window.start, end: window.end },
    goal: job.goal,
    planStart,
    horizonMinutes: n,
    runs,
    plannedMinutes,
    unknownMinutes,
    neededMinutes,
    shortfall: Math.max(0, neededMinutes - plannedMinutes),
  };
}

function wholeMinutes(value: number): number {
  return Math.max(0, Math.floor(finiteOr(value, 0)));
}

function finiteOr(value: number | undefined, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

/**
 * Per-minute integer costs, lower better for either goal. `primary` holds
 * rules 1 and 2, `secondary` rule 3, and a new run adds 1 to `secondary` (rule
 * 4). When every minute has a price, rule 3 has nothing to say and rule 4 fits
 * in `primary` (each minute's cost times total + 1, plus 1 per run): one key
 * is a third faster in the DP than two.
 */
interface CostKeys {
  primary: Float64Array;
  /** Absent when every minute has a price: `primary` carries rule 4. */
  secondary?: Float64Array;
}

const SAFE_SUM = 2 ** 53;

function costKeys(grid: MinuteGrid, goal: Goal, total: number): CostKeys {
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

interface SplitPlan {
  keys: CostKeys;
  /** Minutes 0 … forced − 1 are on: a run in progress kept to minRun. */
  forced: number;
  /** Minutes on in all, forced ones included. */
  total: number;
  /** The device is on now (minute −1 counts as on). */
  running: boolean;
  /** Output: 1 for each minute on. */
  on: Uint8Array;
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

const BLOCK_DECISION = 1; // off state: start a run of exactly minRun here
const CONTINUE_DECISION = 2; // on state: keep running this minute

/**
 * Split with minRun: the backward DP over cells (p, o) described at the top,
 * on the minutes after the forced ones. Off(p, o) chooses between minute i off
 * (→ Off(p, o + 1)) and a block of `block` minutes (→ On(p + block, o));
 * On(p, o) between minute i on (→ On(p + 1, o)) and off (→ Off(p, o + 1)).
 */
function planWithMinRun(plan: SplitPlan, block: number): void {
  const { keys, forced, total, on } = plan;
  on.fill(1, 0, forced);
  const grid: DpGrid = { first: forced, length: keys.primary.length - forced, toPlace: total - forced, block };
  const decisions = keys.secondary ? decideWithTwoKeys(keys.primary, keys.secondary, grid) : decideWithOneKey(keys.primary, grid);
  const width = grid.toPlace + 1;
  let p = 0;
  let o = 0;
  let running = plan.running;
  while (p + o < grid.length) {
    const decision = p < grid.toPlace ? decisions[o * width + p] : 0;
    const minute = grid.first + p + o;
    if (running && (decision & CONTINUE_DECISION) !== 0) {
      on[minute] = 1;
      p += 1;
    } else if (!running && (decision & BLOCK_DECISION) !== 0) {
      on.fill(1, minute, minute + block);
      p += block;
      running = true;
    } else {
      o += 1;
      running = false;
    }
  }
}

/** The DP's cells: minutes first … first + length − 1, of which toPlace go on, new runs entering by blocks of `block`. */
interface DpGrid {
  first: number;
  length: number;
  toPlace: number;
  block: number;
}

/**
 * The DP in one key (every minute has a price). Rows o from the last; in a
 * row, p from the last, keeping On(p + 1, o) in a local (it is the value just
 * computed). Row o + 1 of Off starts as "cannot skip": the last row must place
 * every minute left. On past toPlace stays Infinity, so a block that would
 * place too many minutes is never taken. A tie goes to running (rule 5); ties
 * of two Infinity values happen only off the optimal path.
 */
function decideWithOneKey(cost: Float64Array, grid: DpGrid): Uint8Array {
  const { first, length, toPlace, block } = grid;
  const toSkip = length - toPlace;
  const blockStart = slidingSums(cost, first, block, length, 1);
  const width = toPlace + 1;
  let off = new Float64Array(width);
  let nextOff = new Float64Array(width).fill(Infinity);
  const on = new Float64Array(width + block).fill(Infinity);
  const decisions = new Uint8Array(width * (toSkip + 1));
  for (let o = toSkip; o >= 0; o -= 1) {
    const row = o * width;
    let running = o === toSkip ? 0 : nextOff[toPlace]; // p = toPlace: all placed, the rest off
    on[toPlace] = running;
    off[toPlace] = running;
    for (let p = toPlace - 1; p >= 0; p -= 1) {
      const i = p + o;
      const skip = nextOff[p];
      const run = cost[first + i] + running;
      const start = blockStart[i] + on[p + block];
      const runs = run <= skip;
      const starts = start <= skip;
      running = runs ? run : skip;
      on[p] = running;
      off[p] = starts ? start : skip;
      decisions[row + p] = (runs ? CONTINUE_DECISION : 0) | (starts ? BLOCK_DECISION : 0);
    }
    [off, nextOff] = [nextOff, off];
  }
  return decisions;
}

/** The same DP comparing (primary, secondary) pairs, for windows with minutes without a price. */
function decideWithTwoKeys(primary: Float64Array, secondary: Float64Array, grid: DpGrid): Uint8Array {
  const { first, length, toPlace, block } = grid;
  const toSkip = length - toPlace;
  const blockP = slidingSums(primary, first, block, length, 0);
  const blockQ = slidingSums(secondary, first, block, length, 1);
  const width = toPlace + 1;
  let offP = new Float64Array(width);
  let offQ = new Float64Array(width);
  let nextOffP = new Float64Array(width).fill(Infinity);
  let nextOffQ = new Float64Array(width).fill(Infinity);
  const onP = new Float64Array(width + block).fill(Infinity);
  const onQ = new Float64Array(width + block).fill(Infinity);
  const decisions = new Uint8Array(width * (toSkip + 1));
  for (let o = toSkip; o >= 0; o -= 1) {
    const row = o * width;
    let runningP = o === toSkip ? 0 : nextOffP[toPlace];
    let runningQ = o === toSkip ? 0 : nextOffQ[toPlace];
    onP[toPlace] = offP[toPlace] = runningP;
    onQ[toPlace] = offQ[toPlace] = runningQ;
    for (let p = toPlace - 1; p >= 0; p -= 1) {
      const i = p + o;
      const skipP = nextOffP[p];
      const skipQ = nextOffQ[p];
      const runP = primary[first + i] + runningP;
      const runQ = secondary[first + i] + runningQ;
      const runs = runP < skipP || (runP === skipP && runQ <= skipQ);
      runningP = runs ? runP : skipP;
      runningQ = runs ? runQ : skipQ;
      onP[p] = runningP;
      onQ[p] = runningQ;
      const startP = blockP[i] + onP[p + block];
      const startQ = blockQ[i] + onQ[p + block];
      const starts = startP < skipP || (startP === skipP && startQ <= skipQ);
      offP[p] = starts ? startP : skipP;
      offQ[p] = starts ? startQ : skipQ;
      decisions[row + p] = (runs ? CONTINUE_DECISION : 0) | (starts ? BLOCK_DECISION : 0);
    }
    [offP, nextOffP] = [nextOffP, offP];
    [offQ, nextOffQ] = [nextOffQ, offQ];
  }
  return decisions;
}

/**
 * sums[i] = values[first + i] + … + values[first + i + size − 1] + extra for
 * every block that fits, 0 after (those blocks are never taken). Computed by
 * sliding, so each stays an exact sum of `size` values.
 */
function slidingSums(values: Float64Array, first: number, size: number, length: number, extra: number): Float64Array {
  const sums = new Float64Array(length);
  if (size > length) return sums;
  let sum = 0;
  for (let i = 0; i < size; i += 1) sum += values[first + i];
  sums[0] = sum + extra;
  for (let i = 1; i + size <= length; i += 1) {
    sum += values[first + i + size - 1] - values[first + i - 1];
    sums[i] = sum + extra;
  }
  return sums;
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
