/**
 * The simulator's tariff: a realistic day by time of use in the location's own
 * time zone (a cheap night, a flat day, an evening peak in 15-minute steps,
 * now and then a negative hour at midday), equal neighbours merged into one
 * longer row as Flatpeak does, and forecasts (confidence below 1) beyond the
 * next day. Or, for tests and the demo, short rows of a fixed length in a
 * repeating pattern, so that boundaries come within seconds.
 */

export interface PriceRow {
  /** UTC epoch milliseconds, [start, end). */
  start: number;
  end: number;
  value: number;
  confidence: number;
}

export interface TariffOptions {
  /** Rows of exactly this length (ms), from the epoch, in a repeating pattern; unset: the realistic day. */
  rowMs?: number;
}

const HALF_HOUR = 30 * 60_000;
const QUARTER_HOUR = 15 * 60_000;
/** Short rows' prices, repeating: a cheap one, a dear one, a negative one, ties. */
const SHORT_PATTERN = [0.3, 0.12, 0.25, -0.02, 0.41, 0.12, 0.18, 0.33];

/** Every row that overlaps [start, end), sorted, for a location's zone and direction. */
export function tariffRows(timezone: string, direction: "IMPORT" | "EXPORT", start: number, end: number, now: number, options: TariffOptions = {}): PriceRow[] {
  if (options.rowMs) return shortRows(options.rowMs, direction, start, end);
  const slots: PriceRow[] = [];
  // Whole hours of every zone the simulator uses are whole UTC half hours, so slots start on them.
  for (let slot = Math.floor(start / HALF_HOUR) * HALF_HOUR; slot < end; slot += HALF_HOUR) {
    const local = localTime(slot, timezone);
    const confidence = slot - now > 36 * 3_600_000 ? 0.8 : 1;
    if (direction === "IMPORT" && local.hour >= 16 && local.hour < 19) {
      // The evening peak comes in quarter hours, as half-hourly markets now publish it.
      for (const quarter of [0, 1]) {
        const start = slot + quarter * QUARTER_HOUR;
        slots.push({ start, end: start + QUARTER_HOUR, value: peakPrice(local.hour, local.minute + quarter * 15), confidence });
      }
    } else {
      slots.push({ start: slot, end: slot + HALF_HOUR, value: slotPrice(direction, local), confidence });
    }
  }
  return mergeEqual(slots).filter((row) => row.end > start);
}

function shortRows(rowMs: number, direction: "IMPORT" | "EXPORT", start: number, end: number): PriceRow[] {
  const rows: PriceRow[] = [];
  for (let index = Math.floor(start / rowMs); index * rowMs < end; index += 1) {
    const value = SHORT_PATTERN[index % SHORT_PATTERN.length] * (direction === "EXPORT" ? 0.5 : 1);
    rows.push({ start: index * rowMs, end: (index + 1) * rowMs, value, confidence: 1 });
  }
  return rows;
}

interface LocalTime {
  day: number;
  hour: number;
  minute: number;
}

function slotPrice(direction: "IMPORT" | "EXPORT", { day, hour, minute }: LocalTime): number {
  if (direction === "EXPORT") return hour >= 16 && hour < 19 ? 0.21 : 0.15;
  if (hour < 5) return 0.1245;
  if (hour < 7) return 0.2012;
  // A sunny day now and then pushes the midday hour below zero.
  if (hour === 13 && day % 3 === 0) return -0.0315;
  if (hour < 16) return round(0.2231 + 0.012 * Math.sin((hour * 60 + minute) / 90 + day));
  if (hour < 23) return round(0.2784 - 0.011 * (hour - 19));
  return 0.1566;
}

function peakPrice(hour: number, minute: number): number {
  const position = (hour - 16) * 4 + minute / 15; // 0 … 11 quarter hours
  return round(0.3512 + 0.0125 * Math.min(position, 11 - position));
}

function mergeEqual(slots: PriceRow[]): PriceRow[] {
  const merged: PriceRow[] = [];
  for (const slot of slots) {
    const last = merged[merged.length - 1];
    if (last && last.end === slot.start && last.value === slot.value && last.confidence === slot.confidence) last.end = slot.end;
    else merged.push({ ...slot });
  }
  return merged;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localTime(epochMs: number, timezone: string): LocalTime {
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", { timeZone: timezone, day: "numeric", hour: "numeric", minute: "numeric", hourCycle: "h23" });
    formatters.set(timezone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(epochMs).map((part) => [part.type, part.value]));
  return { day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute) };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
