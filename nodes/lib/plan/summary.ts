/**
 * What a plan is worth, and the payload of the plan output (output 2). Pure.
 */
import { minuteGrid, type MinuteGrid } from "./minutes";
import type { Plan } from "./planner";
import { normalizeRuns } from "./timeline";
import { ceilMinute, floorMinute, isoTime, MINUTE_MS, type PriceRow, type Run } from "./types";

export interface PlanSummary {
  /** Mean price of the planned minutes that have a price; null when none has. */
  averagePrice: number | null;
  /** Mean price of as many minutes run as soon as possible from planStart (a plain timer); known prices only; null when none. */
  baselinePrice: number | null;
  /** How much better than the timer: 1 − average / baseline (`lowest`), average / baseline − 1 (`highest`); null unless the baseline is above 0. */
  saving: number | null;
  /** Every minute from planStart to the window's end has a price. */
  complete: boolean;
}

/** Sums up `plan` against the rows it was made from. */
export function summarisePlan(rows: readonly PriceRow[], plan: Plan): PlanSummary {
  const grid = minuteGrid(rows, plan.planStart, plan.planStart + plan.horizonMinutes * MINUTE_MS);
  const planned = new Uint8Array(grid.count);
  for (const run of plan.runs) planned.fill(1, (run.start - plan.planStart) / MINUTE_MS, (run.end - plan.planStart) / MINUTE_MS);
  const averagePrice = meanKnownPrice(grid, (i) => planned[i] === 1);
  const baselinePrice = meanKnownPrice(grid, (i) => i < plan.plannedMinutes);
  let saving: number | null = null;
  if (averagePrice !== null && baselinePrice !== null && baselinePrice > 0) {
    saving = plan.goal === "highest" ? averagePrice / baselinePrice - 1 : 1 - averagePrice / baselinePrice;
  }
  return { averagePrice, baselinePrice, saving, complete: grid.knownCount === grid.count };
}

function meanKnownPrice(grid: MinuteGrid, counts: (minute: number) => boolean): number | null {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < grid.count; i += 1) {
    if (grid.known[i] === 0 || !counts(i)) continue;
    sum += grid.prices[i];
    count += 1;
  }
  return count === 0 ? null : sum / count;
}

/** Output 2's payload, as SPEC names it; every time ISO 8601 UTC. */
export interface PlanPayload {
  window: { start: string; end: string };
  runs: Array<{ start: string; end: string }>;
  minutes: number;
  averagePrice: number | null;
  baselinePrice: number | null;
  saving: number | null;
  complete: boolean;
  timezone: string;
}

export interface PlanPayloadInput {
  plan: Plan;
  summary: PlanSummary;
  /** Runs already done in this window, the part of a run in progress before now included. */
  doneRuns: readonly Run[];
  /** Minutes already run in this window. */
  done: number;
  timeZone: string;
}

/**
 * The plan as output 2 sends it. Done runs are widened to whole minutes and
 * kept to [window start, planStart), so the past part of a run in progress
 * joins its planned continuation into one run.
 */
export function planPayload(input: PlanPayloadInput): PlanPayload {
  const { plan, summary } = input;
  const past = input.doneRuns
    .filter((run) => Number.isFinite(run.start) && Number.isFinite(run.end))
    .map((run) => ({ start: Math.max(floorMinute(run.start), plan.window.start), end: Math.min(ceilMinute(run.end), plan.planStart) }));
  const runs = normalizeRuns([...past, ...plan.runs]);
  const done = Number.isFinite(input.done) ? Math.max(0, Math.round(input.done)) : 0;
  return {
    window: { start: isoTime(plan.window.start), end: isoTime(plan.window.end) },
    runs: runs.map((run) => ({ start: isoTime(run.start), end: isoTime(run.end) })),
    minutes: done + plan.plannedMinutes,
    averagePrice: summary.averagePrice,
    baselinePrice: summary.baselinePrice,
    saving: summary.saving,
    complete: summary.complete,
    timezone: input.timeZone,
  };
}
