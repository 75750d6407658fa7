/**
 * The `eventTypes` setting of `flatpeak watch`: a comma-separated list, empty
 * meaning every type. Pure.
 */

/** `"device.create, device.update"` → `["device.create", "device.update"]`: trimmed, no blanks, no repeats, in order. */
export function parseEventTypes(setting: unknown): string[] {
  if (typeof setting !== "string") return [];
  const types = setting
    .split(",")
    .map((type) => type.trim())
    .filter((type) => type !== "");
  return [...new Set(types)];
}

/** With exactly one type the server filters (`event_type`); with several the node does. */
export function serverFilter(types: readonly string[]): string | undefined {
  return types.length === 1 ? types[0] : undefined;
}

/** Types are open strings (new ones may appear anytime), so the match is exact. */
export function matchesTypes(type: string, types: readonly string[]): boolean {
  return types.length === 0 || types.includes(type);
}
