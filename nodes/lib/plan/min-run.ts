/**
 * Split plans with minRun: the DP described in planner.ts. Every new run
 * enters by a block of exactly minRun minutes and may then go on minute by
 * minute, so two states suffice: off, and on in a run already long enough.
 */
import type { CostKeys } from "./cost-keys";

/** A split plan to fill in. */
export interface SplitPlan {
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

const BLOCK_DECISION = 1; // off state: start a run of exactly minRun here
const CONTINUE_DECISION = 2; // on state: keep running this minute

/**
 * Split with minRun: the backward DP over cells (p, o) described at the top,
 * on the minutes after the forced ones. Off(p, o) chooses between minute i off
 * (→ Off(p, o + 1)) and a block of `block` minutes (→ On(p + block, o));
 * On(p, o) between minute i on (→ On(p + 1, o)) and off (→ Off(p, o + 1)).
 * False, with `on` untouched, when no plan is possible with these keys (one
 * key: only with minutes without a price).
 */
export function planWithMinRun(plan: SplitPlan, block: number): boolean {
  const { keys, forced, total, on } = plan;
  const grid: DpGrid = { first: forced, length: keys.primary.length - forced, toPlace: total - forced, block, running: plan.running };
  const { decisions, feasible } = keys.secondary ? decideWithTwoKeys(keys.primary, keys.secondary, grid) : decideWithOneKey(keys.primary, grid);
  if (!feasible) return false;
  on.fill(1, 0, forced);
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
  return true;
}

interface Decisions {
  /** 2 bits per cell (o · (toPlace + 1) + p). */
  decisions: Uint8Array;
  /** The start cell has a finite value. */
  feasible: boolean;
}

/** The DP's cells: minutes first … first + length − 1, of which toPlace go on, new runs entering by blocks of `block`. */
interface DpGrid {
  first: number;
  length: number;
  toPlace: number;
  block: number;
  /** The start cell's state: on (a run in progress) or off. */
  running: boolean;
}

/**
 * The DP in one key (every minute has a price, or those without are barred
 * as Infinity). Rows o from the last; in a row, p from the last, keeping
 * On(p + 1, o) in a local (it is the value just computed). Row o + 1 of Off
 * starts as "cannot skip": the last row must place every minute left. On past
 * toPlace stays Infinity, so a block that would place too many minutes is
 * never taken. A tie goes to running (rule 5); ties of two Infinity values
 * happen only in cells no optimal plan passes through.
 */
function decideWithOneKey(cost: Float64Array, grid: DpGrid): Decisions {
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
  // Row 0 is in nextOff after the last swap.
  return { decisions, feasible: (grid.running ? on[0] : nextOff[0]) < Infinity };
}

/** The same DP comparing (primary, secondary) pairs, for windows with minutes without a price. */
function decideWithTwoKeys(primary: Float64Array, secondary: Float64Array, grid: DpGrid): Decisions {
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
  return { decisions, feasible: true }; // an unknown minute is dear, not barred: the start can always reach the end
}

/**
 * sums[i] = values[first + i] + … + values[first + i + size − 1] + extra for
 * every block that fits, 0 after (those blocks are never taken). Computed by
 * sliding, so each is an exact sum of `size` values; Infinity values (barred
 * minutes) are counted apart, since Infinity − Infinity would be NaN.
 */
function slidingSums(values: Float64Array, first: number, size: number, length: number, extra: number): Float64Array {
  const sums = new Float64Array(length);
  if (size > length) return sums;
  let sum = 0;
  let barred = 0;
  for (let i = 0; i < length; i += 1) {
    const entering = values[first + i];
    if (entering === Infinity) barred += 1;
    else sum += entering;
    if (i >= size) {
      const leaving = values[first + i - size];
      if (leaving === Infinity) barred -= 1;
      else sum -= leaving;
    }
    if (i >= size - 1) sums[i - size + 1] = barred > 0 ? Infinity : sum + extra;
  }
  return sums;
}
