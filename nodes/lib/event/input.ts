/**
 * Turns whatever arrived on the input into a Flatpeak event ID, or explains
 * what was wrong with it. Pure: no I/O, no Node-RED.
 */
import type { KeysUnder } from "../i18n";
import { isEventShaped } from "../client/responses";
import type { FlatpeakEvent } from "../types";

/** `evt_` and 1–64 ASCII letters or digits. Flatpeak documents 24 and 32 hex digits; we accept any length up to 64. */
const EVENT_ID_PATTERN = /^evt_[A-Za-z0-9]{1,64}$/;

export function isEventId(value: unknown): value is string {
  return typeof value === "string" && EVENT_ID_PATTERN.test(value);
}

/** A plain object with `object` absent or "event", an `evt_` ID and a non-empty type: an event as listed or delivered. */
export function isFlatpeakEvent(value: unknown): value is FlatpeakEvent {
  return isEventShaped(value) && isEventId(value.id);
}

/** A description of a rejected value: a catalog key under `errors.received.` and its placeholders. */
export interface ReceivedValue {
  key: KeysUnder<"flatpeak-event", "errors.received.">;
  vars?: Record<string, string | number>;
  /** For an object: what its `id` was. */
  inner?: ReceivedValue;
}

export type EventIdResult = { ok: true; id: string } | { ok: false; received: ReceivedValue };

const PREVIEW_LENGTH = 40;

export function readEventId(input: unknown): EventIdResult {
  if (typeof input === "string") return readIdString(input);
  if (isIdCarrier(input)) {
    const id = readIdField(input);
    if (typeof id === "string") {
      const result = readIdString(id);
      if (result.ok) return result;
    }
    return {
      ok: false,
      received: id === undefined ? { key: "objectWithoutId" } : { key: "objectWithId", inner: describeValue(id) },
    };
  }
  return { ok: false, received: describeValue(input) };
}

function readIdString(text: string): EventIdResult {
  const id = text.trim();
  return EVENT_ID_PATTERN.test(id) ? { ok: true, id } : { ok: false, received: describeValue(text) };
}

/** A plain object (an event as a webhook delivers it, or `{ id }`), not an array or Buffer. */
function isIdCarrier(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** Reads an own `id` only: never a getter on the prototype chain. */
function readIdField(value: object): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(value, "id");
  return descriptor && "value" in descriptor ? descriptor.value : undefined;
}

/** Says what a value is, briefly and without dumping it whole. */
function describeValue(value: unknown): ReceivedValue {
  if (value === undefined) return { key: "undefined" };
  if (value === null) return { key: "null" };
  if (typeof value === "string") {
    return value.length === 0 ? { key: "emptyString" } : { key: "string", vars: { value: preview(value) } };
  }
  if (typeof value === "number" || typeof value === "bigint") return { key: "number", vars: { value: String(value) } };
  if (typeof value === "boolean") return { key: "boolean", vars: { value: String(value) } };
  if (Buffer.isBuffer(value)) return { key: "buffer", vars: { count: value.length } };
  if (Array.isArray(value)) return { key: "array", vars: { count: value.length } };
  if (typeof value === "object") return { key: "object" };
  return { key: "other", vars: { type: typeof value } };
}

/** A quoted, escaped, length-capped preview, so control characters and huge strings stay readable. */
function preview(text: string): string {
  const short = text.length > PREVIEW_LENGTH ? `${text.slice(0, PREVIEW_LENGTH)}…` : text;
  return JSON.stringify(short);
}
