/**
 * The job: the plan node's settings (the daily job) and a one-off `msg.job`.
 * Pure; whatever a flow or a message holds comes back as a job or a problem,
 * never as an exception.
 */
import type { NumericSetting } from "../settings";
import { readInstant } from "../instants";
import { preview, type Outcome, type Problem } from "./problems";
import { ceilMinute, floorMinute, GOALS, isoTime, MINUTE_MS, type Goal, type Job, type Window } from "./types";
import { isWallTime, nominalWindowMinutes } from "./window";

/** Bounds of the numeric settings, once (the editor can read the same table). */
export const PLAN_LIMITS = {
  /** Run time needed in each window. */
  minutes: { default: 60, min: 1, max: 4320, integer: true },
  /** Shortest run of a split plan; 0: no limit. */
  minRun: { default: 0, min: 0, max: 4320, integer: true },
} as const satisfies Record<string, NumericSetting>;

/** The node's defaults: the whole day, one hour, split, cheapest. */
export const PLAN_DEFAULTS: JobSettings = { minutes: 60, from: "00:00", until: "00:00", contiguous: false, minRun: 0, goal: "lowest" };

/** A one-off job's window is at most this long. */
export const MAX_JOB_WINDOW_MS = 72 * 3_600_000;

/** The daily job: a job and its daily window (`HH:MM` in the prices' time zone). */
export interface JobSettings extends Job {
  from: string;
  until: string;
}

/** A one-off job: the job and its window, in whole minutes ([from rounded up, until rounded down)). */
export interface OneOffJob {
  job: Job;
  window: Window;
}

/** Every reason `readJobSettings` and `readOneOffJob` give; the node maps each to a translated text. */
export const JOB_PROBLEM_CODES = [
  /** `minutes` is not a whole number in 1–4320. vars: `value`, `min`, `max`. */
  "badMinutes",
  /** `minRun` is not a whole number in 0–4320. vars: `value`, `min`, `max`. */
  "badMinRun",
  /** `contiguous` is not true or false. vars: `value`. */
  "badContiguous",
  /** `goal` is not `lowest` or `highest`. vars: `value`. */
  "badGoal",
  /** Setting `from` is not `HH:MM`. vars: `value`. */
  "badFrom",
  /** Setting `until` is not `HH:MM`. vars: `value`. */
  "badUntil",
  /** The daily window is shorter than `minutes` on an ordinary day. vars: `minutes`, `windowMinutes`. */
  "minutesExceedWindow",
  /** `msg.job` is not an object. vars: `value`. */
  "jobNotAnObject",
  /** `msg.job` has no `minutes`. */
  "jobMinutesMissing",
  /** `msg.job` has no `until`. */
  "jobUntilMissing",
  /** `msg.job.from` is not a time (ISO 8601 with an offset, or epoch ms). vars: `value`. */
  "badJobFrom",
  /** `msg.job.until` is not a time. vars: `value`. */
  "badJobUntil",
  /** `until` is not after `from`. vars: `from`, `until` (ISO). */
  "untilNotAfterFrom",
  /** `until` is not after now. vars: `until`, `now` (ISO). */
  "untilPassed",
  /** The window is longer than 72 hours. vars: `from`, `until` (ISO), `hours` (72). */
  "windowTooLong",
  /** More minutes than the window still holds. vars: `minutes`, `available`. */
  "jobImpossible",
] as const;

export type JobProblemCode = (typeof JOB_PROBLEM_CODES)[number];
export type JobProblem = Problem<JobProblemCode>;

/**
 * The daily job from the node's settings. Blank means the default; numbers
 * may be strings (the editor's inputs give strings); a value that is there
 * but wrong is a problem, not silently replaced.
 */
export function readJobSettings(def: Readonly<Record<string, unknown>>): Outcome<{ settings: JobSettings }, JobProblemCode> {
  const minutes = readWhole(def.minutes, PLAN_LIMITS.minutes, "badMinutes");
  if (typeof minutes !== "number") return { ok: false, problem: minutes };
  const minRun = readWhole(def.minRun, PLAN_LIMITS.minRun, "badMinRun");
  if (typeof minRun !== "number") return { ok: false, problem: minRun };
  const contiguous = readBoolean(def.contiguous, PLAN_DEFAULTS.contiguous);
  if (typeof contiguous !== "boolean") return { ok: false, problem: contiguous };
  const goal = readGoal(def.goal, PLAN_DEFAULTS.goal);
  if (typeof goal !== "string") return { ok: false, problem: goal };
  const from = isBlank(def.from) ? PLAN_DEFAULTS.from : def.from;
  if (!isWallTime(from)) return fail("badFrom", { value: preview(from) });
  const until = isBlank(def.until) ? PLAN_DEFAULTS.until : def.until;
  if (!isWallTime(until)) return fail("badUntil", { value: preview(until) });
  const windowMinutes = nominalWindowMinutes(from, until);
  if (minutes > windowMinutes) return fail("minutesExceedWindow", { minutes, windowMinutes });
  return { ok: true, settings: { minutes, from, until, contiguous, minRun, goal } };
}

/**
 * A one-off job from `msg.job` `{ minutes, until, from?, contiguous?, minRun?,
 * goal? }`: `minutes` and `until` required, `from` defaults to now, the rest
 * to the node's settings. Its window is [from, until) in whole minutes; it
 * must end after now, last at most 72 h and hold the minutes from now on.
 */
export function readOneOffJob(value: unknown, settings: Job, now: number): Outcome<OneOffJob, JobProblemCode> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("jobNotAnObject", { value: preview(value) });
  const given = value as Record<string, unknown>;
  if (isBlank(given.minutes)) return fail("jobMinutesMissing");
  const minutes = readWhole(given.minutes, PLAN_LIMITS.minutes, "badMinutes");
  if (typeof minutes !== "number") return { ok: false, problem: minutes };
  if (isBlank(given.until)) return fail("jobUntilMissing");
  const until = readInstant(given.until);
  if (until === undefined) return fail("badJobUntil", { value: preview(given.until) });
  const from = isBlank(given.from) ? now : readInstant(given.from);
  if (from === undefined) return fail("badJobFrom", { value: preview(given.from) });
  const minRun = readWhole(given.minRun, { ...PLAN_LIMITS.minRun, default: settings.minRun }, "badMinRun");
  if (typeof minRun !== "number") return { ok: false, problem: minRun };
  const contiguous = readBoolean(given.contiguous, settings.contiguous);
  if (typeof contiguous !== "boolean") return { ok: false, problem: contiguous };
  const goal = readGoal(given.goal, settings.goal);
  if (typeof goal !== "string") return { ok: false, problem: goal };
  if (until <= from) return fail("untilNotAfterFrom", { from: isoTime(from), until: isoTime(until) });
  if (until <= now) return fail("untilPassed", { until: isoTime(until), now: isoTime(now) });
  if (until - from > MAX_JOB_WINDOW_MS) return fail("windowTooLong", { from: isoTime(from), until: isoTime(until), hours: MAX_JOB_WINDOW_MS / 3_600_000 });
  const window = { start: ceilMinute(from), end: floorMinute(until) };
  const available = Math.max(0, Math.floor((window.end - ceilMinute(Math.max(now, window.start))) / MINUTE_MS));
  if (minutes > available) return fail("jobImpossible", { minutes, available });
  return { ok: true, job: { minutes, contiguous, minRun, goal }, window };
}

function readWhole(raw: unknown, limits: NumericSetting, code: "badMinutes" | "badMinRun"): number | JobProblem {
  if (isBlank(raw)) return limits.default;
  const number = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isInteger(number) && number >= limits.min && number <= limits.max) return number;
  return { code, vars: { value: preview(raw), min: limits.min, max: limits.max } };
}

function readBoolean(raw: unknown, fallback: boolean): boolean | JobProblem {
  if (isBlank(raw)) return fallback;
  if (raw === true || raw === "true") return true;
  if (raw === false || raw === "false") return false;
  return { code: "badContiguous", vars: { value: preview(raw) } };
}

function readGoal(raw: unknown, fallback: Goal): Goal | JobProblem {
  if (isBlank(raw)) return fallback;
  return GOALS.find((goal) => goal === raw) ?? { code: "badGoal", vars: { value: preview(raw) } };
}

function isBlank(raw: unknown): boolean {
  return raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "");
}

function fail(code: JobProblemCode, vars?: Record<string, string | number>): { ok: false; problem: JobProblem } {
  return { ok: false, problem: vars === undefined ? { code } : { code, vars } };
}
