/**
 * Every numeric setting of the config node: its default and its bounds, once.
 * The runtime clamps what a flow file says (a flow deployed through the admin
 * API or with `${ENV}` skips the editor's spinners); the editor reads the same
 * table through `RED.settings.flatpeakConfigLimits` for its defaults and spinners.
 */

export interface NumericSetting {
  default: number;
  min: number;
  max: number;
  /** Whole numbers only (counts); the others are seconds and may have a fraction. */
  integer: boolean;
}

export const CONFIG_LIMITS = {
  /** Seconds per HTTP request. Far below setTimeout's 24.8-day ceiling. */
  timeout: { default: 15, min: 1, max: 300, integer: false },
  /** Retries after a network error, timeout, 5xx or 429. */
  retries: { default: 3, min: 0, max: 10, integer: true },
  /** Longest single wait between retries, in seconds. */
  maxBackoff: { default: 30, min: 0, max: 600, integer: false },
  /** Requests to Flatpeak at the same time. */
  concurrency: { default: 4, min: 1, max: 64, integer: true },
  /** Messages that may wait for a turn before new ones are refused. */
  queueSize: { default: 1000, min: 0, max: 10_000, integer: true },
  /** Events kept in memory (each at most 1 MiB); 0 = no cache. */
  cacheSize: { default: 100, min: 0, max: 1000, integer: true },
} as const satisfies Record<string, NumericSetting>;

export type ConfigLimitName = keyof typeof CONFIG_LIMITS;
export type ConfigNumbers = Record<ConfigLimitName, number>;

/** A value that was out of bounds or unreadable, and what is used instead. */
export interface ClampedSetting {
  name: ConfigLimitName;
  given: string;
  used: number;
}

/**
 * Reads each setting from the node's definition: blank means the default;
 * an unreadable value also means the default, and a value out of bounds the
 * nearest bound, both reported in `clamped` so that the node can warn.
 */
export function readConfigNumbers(def: Partial<Record<ConfigLimitName, unknown>>): { values: ConfigNumbers; clamped: ClampedSetting[] } {
  const values = {} as ConfigNumbers;
  const clamped: ClampedSetting[] = [];
  for (const name of Object.keys(CONFIG_LIMITS) as ConfigLimitName[]) {
    const limits: NumericSetting = CONFIG_LIMITS[name];
    const raw = def[name];
    const used = readBoundedNumber(raw, limits);
    values[name] = used;
    if (!isBlank(raw) && Number(raw) !== used) clamped.push({ name, given: String(raw).slice(0, 40), used });
  }
  return { values, clamped };
}

/** A number from a node's definition (a string in the editor, maybe blank): the default when blank or unreadable, else clamped. */
export function readBoundedNumber(raw: unknown, limits: NumericSetting): number {
  if (isBlank(raw)) return limits.default;
  const number = typeof raw === "number" || typeof raw === "string" ? Number(raw) : Number.NaN;
  if (!Number.isFinite(number)) return limits.default;
  const bounded = Math.min(limits.max, Math.max(limits.min, number));
  return limits.integer ? Math.floor(bounded) : bounded;
}

function isBlank(raw: unknown): boolean {
  return raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "");
}
