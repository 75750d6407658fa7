/**
 * Wall-clock time in an IANA time zone, from `Intl.DateTimeFormat` alone (no
 * date library). Inside, every time is a UTC instant; wall-clock time is only
 * for the daily window and for `HH:MM` in status texts.
 *
 * Offsets are read from the formatter at whole seconds: that is the finest the
 * formatter shows, and every zone transition is on a whole second.
 */

/** A calendar day: month 1–12. */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

interface WallClock extends CivilDate {
  hour: number;
  minute: number;
  second: number;
}

const DAY_MS = 86_400_000;

/** Names longer than this are not zones (the longest IANA name has 32 characters). */
const MAX_ZONE_NAME_LENGTH = 64;

/**
 * One formatter per zone: creating one costs about 100 µs here and far more on
 * a Raspberry Pi, reading one about 4 µs. Only valid zones are kept, so the
 * map holds at most the few hundred IANA names.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat | undefined {
  const cached = formatters.get(timeZone);
  if (cached) return cached;
  if (typeof timeZone !== "string" || timeZone === "" || timeZone.length > MAX_ZONE_NAME_LENGTH) return undefined;
  try {
    const formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
    return formatter;
  } catch {
    return undefined; // RangeError: not a zone this runtime knows
  }
}

/** A zone name this runtime knows (IANA names, any letter case, and `UTC`). */
export function isValidTimeZone(name: unknown): name is string {
  return typeof name === "string" && formatterFor(name) !== undefined;
}

/** The zone's canonical spelling (`europe/london` → `Europe/London`), or undefined for an unknown zone. */
export function canonicalTimeZone(name: unknown): string | undefined {
  return typeof name === "string" ? formatterFor(name)?.resolvedOptions().timeZone : undefined;
}

/** The zone this process runs in (Node-RED's, when a message names none). */
export function systemTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  const formatter = formatterFor(timeZone);
  if (!formatter) throw new RangeError(`Unknown time zone: ${String(timeZone)}`);
  return formatter;
}

function wallClockAt(instant: number, timeZone: string): WallClock {
  const fields: Record<string, number> = {};
  for (const part of zoneFormatter(timeZone).formatToParts(instant)) {
    if (part.type !== "literal") fields[part.type] = Number(part.value);
  }
  return {
    year: fields.year ?? Number.NaN,
    month: fields.month ?? Number.NaN,
    day: fields.day ?? Number.NaN,
    hour: fields.hour ?? Number.NaN,
    minute: fields.minute ?? Number.NaN,
    second: fields.second ?? Number.NaN,
  };
}

/** Wall-clock time minus UTC at `instant`, in ms (London in summer: +3 600 000). Throws RangeError for an unknown zone. */
export function zoneOffsetAt(instant: number, timeZone: string): number {
  const wall = wallClockAt(instant, timeZone);
  const wallAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return wallAsUtc - Math.floor(instant / 1000) * 1000;
}

/** The calendar day in the zone at `instant`. */
export function civilDateAt(instant: number, timeZone: string): CivilDate {
  const { year, month, day } = wallClockAt(instant, timeZone);
  return { year, month, day };
}

/** The day `days` after `date` (negative: before), through the calendar, so months and leap years are right. */
export function addDays(date: CivilDate, days: number): CivilDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/**
 * The instant the zone's clocks show `minuteOfDay` (0–1439) on `date`.
 * - A wall time that does not exist (clocks jump forward over it) gives the
 *   first instant after the jump: London 2026-03-29 01:30 → 01:00Z (02:00 BST).
 * - A wall time that happens twice (clocks go back) gives the earlier:
 *   London 2026-10-25 01:30 → 00:30Z (BST), not 01:30Z (GMT).
 * Throws RangeError for an unknown zone.
 */
export function wallTimeToInstant(date: CivilDate, minuteOfDay: number, timeZone: string): number {
  const wallAsUtc = Date.UTC(date.year, date.month - 1, date.day, 0, minuteOfDay);
  // Every zone is within ±14 h of UTC and changes its offset at most once a day,
  // so a day either side gives the offsets before and after any change here.
  const offsetBefore = zoneOffsetAt(wallAsUtc - DAY_MS, timeZone);
  const offsetAfter = zoneOffsetAt(wallAsUtc + DAY_MS, timeZone);
  const candidates = [wallAsUtc - offsetBefore, wallAsUtc - offsetAfter]
    .filter((instant) => zoneOffsetAt(instant, timeZone) === wallAsUtc - instant)
    .sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0];
  // In a gap the clocks jumped forward (offsetAfter > offsetBefore): find the jump.
  return firstInstantWithOffsetOtherThan(offsetBefore, wallAsUtc - offsetAfter, wallAsUtc - offsetBefore, timeZone);
}

/** Binary search, in whole seconds, for the first instant in (from, to] whose offset is not `offset`. */
function firstInstantWithOffsetOtherThan(offset: number, from: number, to: number, timeZone: string): number {
  let low = Math.floor(from / 1000); // offset here is `offset`
  let high = Math.ceil(to / 1000); // offset here is not
  if (high <= low) return to;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (zoneOffsetAt(middle * 1000, timeZone) === offset) low = middle;
    else high = middle;
  }
  return high * 1000;
}

/** `HH:MM` (24 h) on the zone's clocks at `instant`, for status texts ("on until 02:30"). Throws RangeError for an unknown zone. */
export function formatWallTime(instant: number, timeZone: string): string {
  const { hour, minute } = wallClockAt(instant, timeZone);
  return `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
}
