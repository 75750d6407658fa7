/**
 * The switch over time: whether a plan has the device on at an instant, and
 * when that next changes. The node arms one timer for that instant (never a
 * chain), and arms it again after a restart or a clock jump, so the state
 * always follows from the runs and the clock, not from a count of timers fired.
 */
import type { Run } from "./types";

/** Runs sorted, overlapping or touching ones merged, empty ones dropped: then every start and end is a change. */
export function normalizeRuns(runs: readonly Run[]): Run[] {
  const sorted = runs.filter((run) => run.end > run.start).sort((a, b) => a.start - b.start);
  const merged: Run[] = [];
  for (const run of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && run.start <= last.end) last.end = Math.max(last.end, run.end);
    else merged.push({ start: run.start, end: run.end });
  }
  return merged;
}

/** On at `instant`: some run has start ≤ instant < end. */
export function isOnAt(runs: readonly Run[], instant: number): boolean {
  return runs.some((run) => run.start <= instant && instant < run.end);
}

/** The first instant after `instant` at which the state differs from the state at `instant`; undefined when it never changes again. */
export function nextChangeAfter(runs: readonly Run[], instant: number): number | undefined {
  for (const run of normalizeRuns(runs)) {
    if (run.start > instant) return run.start;
    if (run.end > instant) return run.end; // on now: off at its end
  }
  return undefined;
}
