/**
 * Reading a time from a message or an answer: an ISO 8601 string that says its
 * offset, epoch milliseconds, or a Date. Pure; never throws.
 */

/** Times before 2000 or from 2200 on are refused: a number that small is almost surely epoch seconds, not milliseconds. */
export const EARLIEST_INSTANT = Date.UTC(2000, 0, 1);
export const LATEST_INSTANT = Date.UTC(2200, 0, 1);

/**
 * Date and time with `Z` or an offset (`+01:00`, `+0100`, `+01`); seconds and
 * a fraction optional; `T`, `t` or a space between. A time without an offset
 * is refused: it would mean different instants in different places.
 */
const ISO_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

/** The instant `value` names, or undefined when it is not a time (or outside 2000–2199). */
export function readInstant(value: unknown): number | undefined {
  let instant: number | undefined;
  if (typeof value === "number") instant = value;
  else if (typeof value === "string") instant = parseIsoTime(value.trim());
  else if (value instanceof Date) instant = value.getTime();
  return instant !== undefined && Number.isFinite(instant) && instant >= EARLIEST_INSTANT && instant < LATEST_INSTANT ? instant : undefined;
}

function parseIsoTime(text: string): number | undefined {
  const match = ISO_PATTERN.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((group) => Number(match[group]));
  const second = match[6] === undefined ? 0 : Number(match[6]);
  const millisecond = match[7] === undefined ? 0 : Number(match[7].padEnd(3, "0").slice(0, 3)); // finer is cut off
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (match[8] === undefined) {
    const offsetHours = Number(match[10]);
    const offsetRest = match[11] === undefined ? 0 : Number(match[11]);
    if (offsetHours > 23 || offsetRest > 59) return undefined;
    offsetMinutes = (match[9] === "-" ? -1 : 1) * (offsetHours * 60 + offsetRest);
  }
  return Date.UTC(year, month - 1, day, hour, minute - offsetMinutes, second, millisecond);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
