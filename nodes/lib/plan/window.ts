/**
 * The daily window: `from`–`until` on the clocks of a time zone, each day.
 * An `until` at or before `from` ends on the next day (`22:00`–`07:00` is a
 * night; `00:00`–`00:00` is the whole day). Because it is wall-clock time, a
 * window across a daylight-saving change is an hour shorter or longer in real
 * time: London's 22:00–07:00 night is 8 h in March and 10 h in October.
 */
import { addDays, civilDateAt, wallTimeToInstant, type CivilDate } from "./time-zone";
import type { Window } from "./types";

/** The settings that make the daily window. `from` and `until` must pass `isWallTime`, `timeZone` `isValidTimeZone`. */
export interface DailySchedule {
  from: string;
  until: string;
  timeZone: string;
}

const WALL_TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** `HH:MM` on a 24-hour clock, two digits each: `07:30`, `00:00`, `23:59` (not `7:30`, `24:00`). */
export function isWallTime(text: unknown): text is string {
  return typeof text === "string" && WALL_TIME_PATTERN.test(text);
}

/** `07:30` → 450, minutes after midnight. Throws RangeError when `isWallTime` is false. */
export function minuteOfDay(wallTime: string): number {
  const match = WALL_TIME_PATTERN.exec(wallTime);
  if (!match) throw new RangeError(`Not an HH:MM time: ${wallTime}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** How long the window is on an ordinary day (no clock change), in minutes: 1–1440. */
export function nominalWindowMinutes(from: string, until: string): number {
  const length = minuteOfDay(until) - minuteOfDay(from);
  return length > 0 ? length : length + 1440;
}

/**
 * The window that contains `now`, else the next one to start. Throws
 * RangeError for settings that fail `isWallTime` or `isValidTimeZone` (the
 * readers in job.ts check them first).
 */
export function dailyWindow(now: number, schedule: DailySchedule): Window {
  const today = civilDateAt(now, schedule.timeZone);
  // Yesterday's window may still be open (a night); a window can be empty when
  // both ends fall in the same clock jump, hence up to two days ahead.
  for (let days = -1; days <= 2; days += 1) {
    const window = windowStartingOn(addDays(today, days), schedule);
    if (window.end > window.start && now < window.end) return window;
  }
  throw new RangeError("No daily window found"); // unreachable for valid settings: tomorrow's window ends after now
}

/** The window after `window` (the next day's). */
export function nextWindowAfter(window: Window, schedule: DailySchedule): Window {
  return dailyWindow(window.end, schedule);
}

function windowStartingOn(date: CivilDate, schedule: DailySchedule): Window {
  const from = minuteOfDay(schedule.from);
  const until = minuteOfDay(schedule.until);
  const endDate = until <= from ? addDays(date, 1) : date;
  return {
    start: wallTimeToInstant(date, from, schedule.timeZone),
    end: wallTimeToInstant(endDate, until, schedule.timeZone),
  };
}
