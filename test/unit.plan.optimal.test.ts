/**
 * The planner against an exhaustive search: on small windows, every set of
 * whole minutes that meets the job is tried, and the planner must give the
 * one the tie rule puts first (planner.ts): fewest unknown minutes, lowest
 * cost (highest with `highest`), unknown minutes latest, fewest runs, earliest.
 * Prices are whole cents, so the search adds them exactly.
 */
import should from "should";
import { oneKey, twoKeys } from "../nodes/lib/plan/cost-keys";
import { planWithMinRun } from "../nodes/lib/plan/min-run";
import { minuteGrid } from "../nodes/lib/plan/minutes";
import { planJob, type PlanRequest } from "../nodes/lib/plan/planner";
import { MINUTE_MS, type Goal, type PriceRow } from "../nodes/lib/plan/types";

/** mulberry32: a small seeded PRNG, so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE = Date.UTC(2026, 2, 1, 10, 0);

interface Case {
  request: PlanRequest;
  /** Price of each minute from planStart, in cents; null: no price. */
  cents: Array<number | null>;
  planStart: number;
}

function randomCase(seed: number): Case {
  const random = prng(seed);
  const int = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
  const windowMinutes = int(6, 15);
  const window = { start: BASE, end: BASE + windowMinutes * MINUTE_MS };
  // now: at the window's start, or a few minutes in, sometimes between whole minutes, sometimes before the window.
  const nowChoice = random();
  const now = nowChoice < 0.15 ? BASE - int(1, 5) * MINUTE_MS : BASE + int(0, 2) * MINUTE_MS + (random() < 0.4 ? int(1, 59) * 1000 : 0);
  const planStart = Math.ceil(Math.max(now, window.start) / MINUTE_MS) * MINUTE_MS;
  // Rows of 1–5 minutes from a little before the window, prices −5 … 10 cents (ties are common), some spans missing.
  const rows: PriceRow[] = [];
  const centsOf = new Map<number, number>();
  const missingChance = random() < 0.5 ? 0 : random() * 0.5;
  // Sometimes only two or three prices: many ties, as flat and two-rate tariffs give.
  const fewPrices = random() < 0.3 ? [int(-5, 10), int(-5, 10), int(-5, 10)].slice(0, int(2, 3)) : undefined;
  for (let t = BASE - 3 * MINUTE_MS; t < window.end + 2 * MINUTE_MS; ) {
    const length = int(1, 5) * MINUTE_MS;
    if (random() >= missingChance) {
      const cents = fewPrices ? fewPrices[int(0, fewPrices.length - 1)] : int(-5, 10);
      rows.push({ start: t, end: t + length, price: cents / 100 });
      for (let m = t; m < t + length; m += MINUTE_MS) centsOf.set(m, cents);
    }
    t += length;
  }
  const count = Math.max(0, Math.floor((window.end - planStart) / MINUTE_MS));
  const cents = Array.from({ length: count }, (_, i) => centsOf.get(planStart + i * MINUTE_MS) ?? null);
  const goal: Goal = random() < 0.5 ? "lowest" : "highest";
  const job = { minutes: int(1, windowMinutes + 2), contiguous: random() < 0.3, minRun: random() < 0.3 ? 0 : int(1, 5), goal };
  const request: PlanRequest = { rows, window, now, job };
  if (random() < 0.3) request.done = int(1, 4);
  if (random() < 0.3 && count > 0) request.runningSince = planStart - int(0, 6) * MINUTE_MS;
  return { request, cents, planStart };
}

/** The rule a plan is judged by, as a tuple compared left to right (lower first); the mask itself breaks the last ties. */
type Key = [unknown: number, cost: number, lateness: number, runs: number];

interface Best {
  mask: number;
  key: Key;
}

/** Every feasible set of minutes, straight from the SPEC's rules; the best by the tie rule. */
function exhaustive(c: Case): Best | undefined {
  const { job, runningSince } = c.request;
  const n = c.cents.length;
  const needed = Math.max(0, job.minutes - (c.request.done ?? 0));
  const running = runningSince !== undefined && n > 0;
  const elapsed = running ? Math.max(0, (c.planStart - runningSince) / MINUTE_MS) : 0;
  const keep = running && job.minRun > 0 ? Math.min(n, Math.max(0, Math.ceil(job.minRun - elapsed))) : 0;
  const total = Math.min(n, Math.max(needed, keep));
  const minRun = Math.max(1, running ? job.minRun : Math.min(job.minRun, total));
  const sign = job.goal === "highest" ? -1 : 1;
  let best: Best | undefined;
  for (let mask = 0; mask < 1 << n; mask += 1) {
    if (popcount(mask) !== total) continue;
    const on = (i: number): boolean => ((mask >> i) & 1) === 1;
    let feasible = true;
    for (let i = 0; i < keep; i += 1) if (!on(i)) feasible = false;
    const runs = runsOfMask(mask, n);
    if (job.contiguous) {
      if (runs.length > 1 || (running && total > 0 && runs[0][0] !== 0)) feasible = false;
    } else {
      for (const [start, end] of runs) {
        const continuesRunInProgress = running && start === 0;
        if (!continuesRunInProgress && end - start < minRun) feasible = false;
      }
    }
    if (!feasible) continue;
    const key: Key = [0, 0, 0, 0];
    for (let i = 0; i < n; i += 1) {
      if (!on(i)) continue;
      const cents = c.cents[i];
      if (cents === null) {
        key[0] += 1;
        key[2] -= i;
      } else key[1] += sign * cents;
    }
    key[3] = runs.filter(([start]) => !(running && start === 0)).length;
    if (best === undefined || compare(key, mask, best.key, best.mask, n) < 0) best = { mask, key };
  }
  return best;
}

function compare(a: Key, maskA: number, b: Key, maskB: number, n: number): number {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return a[i] - b[i];
  // Earliest: at the first minute where they differ, the plan that runs wins.
  for (let i = 0; i < n; i += 1) {
    const x = (maskA >> i) & 1;
    const y = (maskB >> i) & 1;
    if (x !== y) return y - x;
  }
  return 0;
}

function popcount(mask: number): number {
  let count = 0;
  for (let m = mask; m !== 0; m &= m - 1) count += 1;
  return count;
}

function runsOfMask(mask: number, n: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < n; i += 1) {
    if (((mask >> i) & 1) === 0) continue;
    const start = i;
    while (i + 1 < n && ((mask >> (i + 1)) & 1) === 1) i += 1;
    runs.push([start, i + 1]);
  }
  return runs;
}

function maskOfPlan(runs: Array<{ start: number; end: number }>, planStart: number): number {
  let mask = 0;
  for (const run of runs) {
    for (let t = run.start; t < run.end; t += MINUTE_MS) mask |= 1 << ((t - planStart) / MINUTE_MS);
  }
  return mask;
}

function describeCase(c: Case, seed: number): string {
  const { job, done, runningSince } = c.request;
  return `seed ${seed}: ${JSON.stringify({ job, done, runningSince: runningSince === undefined ? undefined : (runningSince - c.planStart) / MINUTE_MS, cents: c.cents })}`;
}

describe("planner: exact against an exhaustive search", function () {
  const CASES = 4000;

  it(`gives the exhaustive optimum and its tie-break on ${CASES} random small windows`, function () {
    this.timeout(60_000);
    const seen = { contiguous: 0, split: 0, minRun: 0, highest: 0, unknown: 0, running: 0, done: 0, ties: 0 };
    for (let seed = 1; seed <= CASES; seed += 1) {
      const c = randomCase(seed);
      const plan = planJob(c.request);
      const best = exhaustive(c);
      const label = describeCase(c, seed);
      should.exist(best, `no feasible plan: ${label}`);
      const mask = maskOfPlan(plan.runs, c.planStart);
      if (mask !== best!.mask) {
        throw new Error(`plan ${runsOfMask(mask, c.cents.length).join(" ")} ≠ optimum ${runsOfMask(best!.mask, c.cents.length).join(" ")} (key ${best!.key.join(",")}); ${label}`);
      }
      plan.plannedMinutes.should.equal(popcount(mask), label);
      plan.unknownMinutes.should.equal(best!.key[0], label);
      for (const run of plan.runs) {
        (run.start % MINUTE_MS).should.equal(0);
        run.start.should.be.aboveOrEqual(c.planStart);
        run.end.should.be.belowOrEqual(c.request.window.end);
      }
      seen[c.request.job.contiguous ? "contiguous" : c.request.job.minRun > 1 ? "minRun" : "split"] += 1;
      if (c.request.job.goal === "highest") seen.highest += 1;
      if (best!.key[0] > 0) seen.unknown += 1;
      if (c.request.runningSince !== undefined) seen.running += 1;
      if (c.request.done !== undefined) seen.done += 1;
      if (new Set(c.cents).size < c.cents.length) seen.ties += 1;
    }
    // The generator reaches every mode.
    for (const [what, count] of Object.entries(seen)) count.should.be.above(CASES / 20, what);
  });

  it("agrees with itself on larger windows: the DP with 1-minute blocks and two keys give the same plans", function () {
    // Too large to search; the three ways must still find the one optimum the tie rule defines.
    this.timeout(60_000);
    for (let seed = 1; seed <= 150; seed += 1) {
      const random = prng(seed * 7919);
      const int = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
      const n = int(30, 240);
      const values = [int(-3, 5), int(-3, 5), int(-3, 5)];
      const rows: PriceRow[] = [];
      for (let t = 0; t < n; ) {
        const length = int(1, 15);
        rows.push({ start: BASE + t * MINUTE_MS, end: BASE + (t + length) * MINUTE_MS, price: values[int(0, 2)] / 10 });
        t += length;
      }
      const total = int(1, n - 1);
      const running = random() < 0.3;
      const goal: Goal = random() < 0.5 ? "lowest" : "highest";
      const window = { start: BASE, end: BASE + n * MINUTE_MS };
      const label = `seed ${seed * 7919}, n ${n}, total ${total}, running ${running}, ${goal}`;
      const byPlanner = planJob({ rows, window, now: BASE, job: { minutes: total, contiguous: false, minRun: 0, goal }, ...(running ? { runningSince: BASE - MINUTE_MS } : {}) });
      const grid = minuteGrid(rows, BASE, window.end);
      for (const keys of [oneKey(grid, goal, total), twoKeys(grid, goal, total)]) {
        const on = new Uint8Array(n);
        planWithMinRun({ keys, forced: 0, total, running, on }, 1).should.be.true(label);
        const runs: Array<[number, number]> = [];
        for (const run of byPlanner.runs) runs.push([(run.start - BASE) / MINUTE_MS, (run.end - BASE) / MINUTE_MS]);
        runsOfMaskArray(on).should.eql(runs, label);
      }
      // minRun 5 on one key and on two keys.
      const block = 5;
      const plans = [oneKey(grid, goal, total), twoKeys(grid, goal, total)].map((keys) => {
        const on = new Uint8Array(n);
        planWithMinRun({ keys, forced: 0, total, running: false, on }, Math.min(block, total));
        return runsOfMaskArray(on);
      });
      plans[0].should.eql(plans[1], label);
    }
  });
});

function runsOfMaskArray(on: Uint8Array): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < on.length; i += 1) {
    if (on[i] === 0) continue;
    const start = i;
    while (i + 1 < on.length && on[i + 1] === 1) i += 1;
    runs.push([start, i + 1]);
  }
  return runs;
}
