/**
 * Reads the body of a verified webhook delivery as a Flatpeak event. Pure.
 */

/** Bodies over this size are refused (413) before any other work. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

import { isFlatpeakEvent } from "../event/input";
import type { FlatpeakEvent } from "../types";

export type { FlatpeakEvent };

export type DeliveredEvent = { ok: true; event: FlatpeakEvent } | { ok: false; reason: "not-json" | "not-event" };

/** Strict UTF-8: a body with invalid bytes is not JSON, rather than JSON with replacement characters. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

export function readDeliveredEvent(rawBody: Buffer): DeliveredEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(rawBody));
  } catch {
    return { ok: false, reason: "not-json" };
  }
  return isFlatpeakEvent(parsed) ? { ok: true, event: parsed } : { ok: false, reason: "not-event" };
}
