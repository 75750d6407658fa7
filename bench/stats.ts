/** Throughput and latency figures from one measured run. */

export interface RunResult {
  events: number;
  /** Wall time from the first start to the last completion. */
  seconds: number;
  /** Per-event latency in milliseconds, in completion order. */
  latencies: number[];
  errors: number;
}

export interface Figures {
  events: number;
  errors: number;
  eventsPerSecond: number;
  /** Wall time per event (1 / throughput), in milliseconds: what one event costs the loop. */
  msPerEvent: number;
  medianMs: number;
  p99Ms: number;
}

/** Pools several runs of one variant (e.g. rounds) into one set of figures. */
export function figuresOf(runs: RunResult[]): Figures {
  const events = sum(runs.map((r) => r.events));
  const seconds = sum(runs.map((r) => r.seconds));
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return {
    events,
    errors: sum(runs.map((r) => r.errors)),
    eventsPerSecond: events / seconds,
    msPerEvent: (seconds * 1000) / events,
    medianMs: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
  };
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function median(values: number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
