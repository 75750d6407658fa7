/**
 * The shapes the planner works with. Every time is a UTC instant in epoch
 * milliseconds; every interval is half-open, [start, end).
 */

export const MINUTE_MS = 60_000;

/** A price that holds from `start` until `end`. */
export interface PriceRow {
  start: number;
  end: number;
  price: number;
}

/** A time the device is on. */
export interface Run {
  start: number;
  end: number;
}

/** The window a job must be done in. */
export interface Window {
  start: number;
  end: number;
}

/** `lowest` runs at the cheapest prices (consume); `highest` at the dearest (export, discharge). */
export type Goal = "lowest" | "highest";

export const GOALS: readonly Goal[] = ["lowest", "highest"];

/** What the device needs in each window. */
export interface Job {
  /** Run time needed in the window, in whole minutes. */
  minutes: number;
  /** One run without a break. */
  contiguous: boolean;
  /** In a split plan, no run is shorter than this (whole minutes; 0 or 1: no limit). */
  minRun: number;
  goal: Goal;
}

/** The first whole minute at or after `instant`. */
export function ceilMinute(instant: number): number {
  return Math.ceil(instant / MINUTE_MS) * MINUTE_MS;
}

/** The whole minute at or before `instant`. */
export function floorMinute(instant: number): number {
  return Math.floor(instant / MINUTE_MS) * MINUTE_MS;
}

/** ISO 8601 UTC, as the plan's output gives every time. */
export function isoTime(instant: number): string {
  return new Date(instant).toISOString();
}
