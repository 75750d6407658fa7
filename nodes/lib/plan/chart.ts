/**
 * The plan as points for a chart: the prices of the window as a step line, and
 * the planned runs over it (the same prices, only where the device runs). The
 * shape is the one FlowFuse Dashboard 2's `ui-chart` reads from an array in
 * `msg.payload` (series, x and y by key), so the chart is one wire from the
 * plan node. Pure.
 */
import { normalizeRuns } from "./timeline";
import type { PriceRow, Run, Window } from "./types";

export interface ChartPoint {
  /** The series' name, as the chart's legend shows it. */
  series: string;
  /** Epoch milliseconds. */
  x: number;
  /** The price from `x` until the next point of the series; null breaks the line. */
  y: number | null;
}

export interface ChartNames {
  price: string;
  plan: string;
}

/**
 * Each value holds from its point until the next point of its series (a step
 * chart whose steps come at the end), so every segment ends with a point of
 * its own before a gap or the end of the window.
 */
export function chartPoints(rows: readonly PriceRow[], window: Window, runs: readonly Run[], names: ChartNames): ChartPoint[] {
  const inWindow = clip(rows, window);
  return [...stepLine(inWindow, names.price), ...stepLine(normalizeRuns(runs).flatMap((run) => clip(inWindow, run)), names.plan)];
}

/** The rows' parts inside `span`. */
function clip(rows: readonly PriceRow[], span: { start: number; end: number }): PriceRow[] {
  return rows
    .filter((row) => row.end > span.start && row.start < span.end)
    .map((row) => ({ start: Math.max(row.start, span.start), end: Math.min(row.end, span.end), price: row.price }));
}

/** A point at each row's start, the last value repeated at the end of each stretch, and a gap where a stretch ends before the next row starts. */
function stepLine(rows: readonly PriceRow[], series: string): ChartPoint[] {
  const points: ChartPoint[] = [];
  rows.forEach((row, index) => {
    points.push({ series, x: row.start, y: row.price });
    const next = rows[index + 1];
    if (next && next.start === row.end) return;
    points.push({ series, x: row.end, y: row.price });
    if (next) points.push({ series, x: row.end, y: null });
  });
  return points;
}
