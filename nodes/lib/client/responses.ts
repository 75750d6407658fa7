/**
 * What a Flatpeak response body must look like before the client hands it on.
 * Pure: the client calls these on parsed JSON; nothing here does I/O.
 */
import type { FlatpeakEvent } from "../types";

export type EventCheck = "ok" | "not-event" | "wrong-event";

/** Whether a value has the fields every event has: a string `id`, a non-empty `type`, `object` absent or "event". */
export function isEventShaped(body: unknown): body is FlatpeakEvent {
  if (!isPlainObject(body)) return false;
  const { id, type, object } = body;
  if (typeof id !== "string" || typeof type !== "string" || type.length === 0) return false;
  return object === undefined || object === "event";
}

/** Whether a parsed response body is the event that was asked for. */
export function checkEvent(body: unknown, requestedId: string): EventCheck {
  if (!isEventShaped(body)) return "not-event";
  return body.id === requestedId ? "ok" : "wrong-event";
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A deep copy of parsed JSON (objects, arrays, scalars), several times faster than a
 * general deep clone. Recursive: only for values whose depth was checked (MAX_EVENT_DEPTH).
 * `__proto__` stays an own key, as JSON.parse made it.
 */
export function copyJson<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(copyJson) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const child = copyJson((value as Record<string, unknown>)[key]);
    if (key === "__proto__") Object.defineProperty(copy, key, { value: child, enumerable: true, writable: true, configurable: true });
    else copy[key] = child;
  }
  return copy as T;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One page of a list: `GET /events`, `GET /locations`. */
export interface ListPage {
  data: readonly unknown[];
  has_more: boolean;
}

/** A list body as a page, or undefined when it is not a list. */
export function readListPage(body: unknown): ListPage | undefined {
  if (!isPlainObject(body)) return undefined;
  const { object, data, has_more: hasMore } = body;
  if ((object !== undefined && object !== "list") || !Array.isArray(data)) return undefined;
  return { data: data as unknown[], has_more: hasMore === true };
}
