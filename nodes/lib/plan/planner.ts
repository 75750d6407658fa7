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
 * Per-minute integer costs: `primary` (rules 1 and 2) and `secondary` (rule 3;
 * a new run adds 1 to it: rule 4). Lower is better for either goal.
 */
interface CostKeys {
  primary: Float64Array;
  secondary: Float64Array;
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
  const range = grid.knownCount > 0 ? highest - lowest : 0;
  // Largest sum compared: `total` minutes at the unknown cost, total · (total · range + 1).
  let digits = 9;
  while (digits > -400 && total * (total * (range * 10 ** digits + 2) + 1) >= SAFE_SUM) digits -= 1;
  const scale = 10 ** digits;
  const base = grid.knownCount > 0 ? Math.round(lowest * scale) : 0;
  const spread = grid.knownCount > 0 ? Math.round(highest * scale) - base : 0;
  // Dearer than any difference `total` known minutes can make: one unknown minute fewer always wins.
  const unknownCost = total * spread + 1;
  const primary = new Float64Array(n);
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
  const { primary, secondary } = keys;
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
  const { primary, secondary } = keys;
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

/**
 * Chooses `wanted` of the tied minutes (all off in `on`; every other minute
 * fixed) for the fewest run starts, then the earliest (rule 5). Backward DP
 * over the tied minutes: W(t, s, j) = fewest starts from tied minute t on,
 * s = whether the minute before it is on, j = how many still to choose.
 */
function chooseTiedMinutes(on: Uint8Array, ties: readonly number[], wanted: number, running: boolean): void {
  const count = ties.length;
  // What the fixed stretch after tied minute t adds for each choice x at t: starts, and the state it leaves.
  const addedStarts = new Int32Array(count * 2);
  const stateAfter = new Uint8Array(count * 2);
  for (let t = 0; t < count; t += 1) {
    const from = ties[t] + 1;
    const to = t + 1 < count ? ties[t + 1] : on.length;
    for (let x = 0; x < 2; x += 1) {
      let state = x;
      let starts = 0;
      for (let i = from; i < to; i += 1) {
        if (on[i] === 1 && state === 0) starts += 1;
        state = on[i];
      }
      addedStarts[t * 2 + x] = starts;
      stateAfter[t * 2 + x] = state;
    }
  }
  const width = wanted + 1;
  const INFEASIBLE = 1e9;
  let next = new Float64Array(width * 2).fill(INFEASIBLE); // W(t + 1, s, j) at [j * 2 + s]
  next[0] = 0;
  next[1] = 0;
  let current = new Float64Array(width * 2);
  // Decisions of the cells that can be reached: j in [max(0, wanted − t), min(wanted, count − t)]; bit s: run tied minute t.
  const lowest = (t: number): number => Math.max(0, wanted - t);
  const offsets = new Int32Array(count + 1);
  for (let t = 0; t < count; t += 1) offsets[t + 1] = offsets[t] + Math.min(wanted, count - t) - lowest(t) + 1;
  const runsTheMinute = new Uint8Array(offsets[count]);
  for (let t = count - 1; t >= 0; t -= 1) {
    current.fill(INFEASIBLE);
    for (let j = lowest(t); j <= Math.min(wanted, count - t); j += 1) {
      const cell = offsets[t] + j - lowest(t);
      for (let s = 0; s < 2; s += 1) {
        const skip = j <= count - t - 1 ? addedStarts[t * 2] + next[j * 2 + stateAfter[t * 2]] : INFEASIBLE;
        const take = j >= 1 ? (s === 0 ? 1 : 0) + addedStarts[t * 2 + 1] + next[(j - 1) * 2 + stateAfter[t * 2 + 1]] : INFEASIBLE;
        if (take < INFEASIBLE && take <= skip) {
          current[j * 2 + s] = take;
          runsTheMinute[cell] |= 1 << s;
        } else {
          current[j * 2 + s] = skip;
        }
      }
    }
    [current, next] = [next, current];
  }
  // Forwards from the state just before the first tied minute.
  let state = running ? 1 : 0;
  for (let i = 0; i < ties[0]; i += 1) state = on[i];
  let left = wanted;
  for (let t = 0; t < count; t += 1) {
    const take = (runsTheMinute[offsets[t] + left - lowest(t)] >> state) & 1;
    if (take === 1) on[ties[t]] = 1;
    state = stateAfter[t * 2 + take];
    left -= take;
  }
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
  const { primary, secondary } = keys;
  on.fill(1, 0, forced);
  const first = forced; // minute index of cell i = 0
  const length = primary.length - first;
  const toPlace = total - forced;
  const toSkip = length - toPlace;
  const blockP = slidingSums(primary, first, block);
  const blockQ = slidingSums(secondary, first, block);
  const width = toPlace + 1;
  let offP = new Float64Array(width);
  let offQ = new Float64Array(width);
  let nextOffP = new Float64Array(width);
  let nextOffQ = new Float64Array(width);
  const onP = new Float64Array(width);
  const onQ = new Float64Array(width);
  const decisions = new Uint8Array(width * (toSkip + 1));
  for (let o = toSkip; o >= 0; o -= 1) {
    const canSkip = o < toSkip;
    for (let p = toPlace; p >= 0; p -= 1) {
      const i = p + o;
      let decision = 0;
      if (p === toPlace && !canSkip) {
        onP[p] = 0;
        onQ[p] = 0;
        offP[p] = 0;
        offQ[p] = 0;
        decisions[o * width + p] = 0;
        continue;
      }
      const skipP = canSkip ? nextOffP[p] : Infinity;
      const skipQ = canSkip ? nextOffQ[p] : Infinity;
      // On: run minute i, or stop.
      const runP = p < toPlace ? primary[first + i] + onP[p + 1] : Infinity;
      const runQ = p < toPlace ? secondary[first + i] + onQ[p + 1] : Infinity;
      if (runP < skipP || (runP === skipP && runP < Infinity && runQ <= skipQ)) {
        onP[p] = runP;
        onQ[p] = runQ;
        decision |= CONTINUE_DECISION;
      } else {
        onP[p] = skipP;
        onQ[p] = skipQ;
      }
      // Off: start a block of minRun minutes here, or stay off.
      const startP = p + block <= toPlace ? blockP[i] + onP[p + block] : Infinity;
      const startQ = p + block <= toPlace ? blockQ[i] + 1 + onQ[p + block] : Infinity;
      if (startP < skipP || (startP === skipP && startP < Infinity && startQ <= skipQ)) {
        offP[p] = startP;
        offQ[p] = startQ;
        decision |= BLOCK_DECISION;
      } else {
        offP[p] = skipP;
        offQ[p] = skipQ;
      }
      decisions[o * width + p] = decision;
    }
    [offP, nextOffP] = [nextOffP, offP];
    [offQ, nextOffQ] = [nextOffQ, offQ];
  }
  let p = 0;
  let o = 0;
  let running = plan.running;
  while (p + o < length) {
    const decision = decisions[o * width + p];
    if (running && (decision & CONTINUE_DECISION) !== 0) {
      on[first + p + o] = 1;
      p += 1;
    } else if (!running && (decision & BLOCK_DECISION) !== 0) {
      on.fill(1, first + p + o, first + p + o + block);
      p += block;
      running = true;
    } else {
      o += 1;
      running = false;
    }
  }
}

/** sums[i] = values[first + i] + … + values[first + i + size − 1], each computed by sliding (so each stays an exact sum of `size` values). */
function slidingSums(values: Float64Array, first: number, size: number): Float64Array {
  const count = Math.max(0, values.length - first - size + 1);
  const sums = new Float64Array(count);
  if (count === 0) return sums;
  let sum = 0;
  for (let i = 0; i < size; i += 1) sum += values[first + i];
  sums[0] = sum;
  for (let i = 1; i < count; i += 1) {
    sum += values[first + i + size - 1] - values[first + i - 1];
    sums[i] = sum;
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
