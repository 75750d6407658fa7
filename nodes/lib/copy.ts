/**
 * Deep copies of event data for output messages. Events come from JSON.parse,
 * so they hold plain objects, arrays and primitives only; copying those
 * directly is several times faster than a general deep clone (lodash's, which
 * RED.util.cloneMessage uses) and gives the same result. Anything else is
 * handed to `other` (the general clone), so unusual data is copied as before.
 */

export type Clone = (value: unknown) => unknown;

export function copyData<T>(value: T, other: Clone): T {
  return copyValue(value, other) as T;
}

function copyValue(value: unknown, other: Clone): unknown {
  if (typeof value !== "object" || value === null) return value;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype === Array.prototype) return copyArray(value as unknown[], other);
  if (prototype !== Object.prototype && prototype !== null) return other(value);
  if (Object.getOwnPropertySymbols(value).length > 0) return other(value);
  return copyObject(value as Record<string, unknown>, prototype === null, other);
}

function copyArray(source: unknown[], other: Clone): unknown[] {
  const copy = new Array<unknown>(source.length);
  for (let i = 0; i < source.length; i++) copy[i] = copyValue(source[i], other);
  return copy;
}

function copyObject(source: Record<string, unknown>, nullPrototype: boolean, other: Clone): Record<string, unknown> {
  const copy: Record<string, unknown> = nullPrototype ? (Object.create(null) as Record<string, unknown>) : {};
  for (const key of Object.keys(source)) {
    const value = copyValue(source[key], other);
    // `__proto__` from JSON is an own key: keep it one, never a prototype.
    if (key === "__proto__") Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
    else copy[key] = value;
  }
  return copy;
}
