import type { FlatpeakErrorBody } from "../types";
import type { KeysUnder, Translator } from "../i18n";

/** What went wrong, independent of language. Each kind has a stable `err.code`. */
export const ERROR_CODES = {
  "invalid-input": "FLATPEAK_INVALID_INPUT",
  config: "FLATPEAK_CONFIG",
  auth: "FLATPEAK_AUTH",
  "not-found": "FLATPEAK_NOT_FOUND",
  unprocessable: "FLATPEAK_UNPROCESSABLE",
  "bad-request": "FLATPEAK_BAD_REQUEST",
  "rate-limited": "FLATPEAK_RATE_LIMITED",
  server: "FLATPEAK_SERVER_ERROR",
  timeout: "FLATPEAK_TIMEOUT",
  network: "FLATPEAK_NETWORK",
  "bad-response": "FLATPEAK_BAD_RESPONSE",
  "queue-full": "FLATPEAK_QUEUE_FULL",
  /** Flatpeak has no prices for this location and direction yet (422 no_tariff_connected, pending_connect, no_price_data). */
  "no-prices": "FLATPEAK_NO_PRICES",
  // Refused webhook deliveries (the flatpeak webhook node).
  "webhook-unsigned": "FLATPEAK_WEBHOOK_UNSIGNED",
  "webhook-signature": "FLATPEAK_WEBHOOK_SIGNATURE",
  "webhook-timestamp": "FLATPEAK_WEBHOOK_TIMESTAMP",
  "webhook-keys": "FLATPEAK_WEBHOOK_KEYS_UNAVAILABLE",
  "webhook-not-event": "FLATPEAK_WEBHOOK_NOT_EVENT",
  "webhook-too-large": "FLATPEAK_WEBHOOK_TOO_LARGE",
  "webhook-body-parsed": "FLATPEAK_WEBHOOK_BODY_PARSED",
  unexpected: "FLATPEAK_UNEXPECTED",
} as const;

export type FailureKind = keyof typeof ERROR_CODES;
export type ErrorCode = (typeof ERROR_CODES)[FailureKind];

/** Everything known about a failure; the message text is derived from it. */
export interface FailureDetails {
  kind: FailureKind;
  /** The catalog key (under `errors.`) that explains this failure to a person. */
  messageKey: string;
  /** The event being fetched; without it (and without `operation`) the failure happened logging in. */
  eventId?: string;
  operation?: "login" | "connection" | "list" | "keys" | "prices" | "locations";
  /** The location whose prices were asked for. */
  locationId?: string;
  statusCode?: number;
  /** Flatpeak's own error code and message, when its body had them (already redacted). */
  apiCode?: string;
  apiMessage?: string;
  retryAfterSeconds?: number;
  /** How many times the request was tried, when more than once. */
  attempts?: number;
  /** Extra placeholder values for the message (host, seconds, url, …). */
  vars?: Record<string, string | number>;
}

/** A text directly under `errors.` in the config node's catalog: the messages the client builds itself. */
export type ClientMessageKey = Exclude<KeysUnder<"flatpeak-config", "errors.">, `${string}.${string}`>;

/** A failure the client explains in the config node's catalog: the compiler checks its message key exists. */
export interface ClientFailureDetails extends FailureDetails {
  messageKey: ClientMessageKey;
}

/**
 * The one error type this package throws. `message` is for people (already
 * translated), `code` is for flows (`msg.error.code` in a Catch node).
 * It never carries the request, headers or an underlying library error, so no
 * secret can leak through `msg.error` or the log.
 */
export class FlatpeakError extends Error {
  readonly code: ErrorCode;
  readonly details: FailureDetails;

  constructor(details: FailureDetails, message: string) {
    super(message);
    this.code = ERROR_CODES[details.kind];
    this.details = details;
  }

  get kind(): FailureKind {
    return this.details.kind;
  }

  get statusCode(): number | undefined {
    return this.details.statusCode;
  }
}

export function isFlatpeakError(err: unknown): err is FlatpeakError {
  return err instanceof FlatpeakError;
}

/** Builds the error with its message in the user's language. */
export function createFailure(details: ClientFailureDetails, t: Translator<"flatpeak-config">): FlatpeakError {
  return new FlatpeakError(details, describeFailure(details, t));
}

function describeFailure(details: ClientFailureDetails, t: Translator<"flatpeak-config">): string {
  const known: Record<string, string | number> = {
    route: "",
    ...details.vars,
    id: details.eventId ?? "",
    location: details.locationId ?? "",
    status: details.statusCode ?? "",
  };
  const target = details.eventId ? t("errors.target.event", known) : t(`errors.target.${details.operation ?? "login"}`, known);
  const vars = { ...known, target };
  let text = t(`errors.${details.messageKey}`, vars);
  if (details.attempts !== undefined) {
    text += t("errors.attempts", { count: details.attempts });
  }
  if (details.retryAfterSeconds !== undefined) {
    text += t("errors.retryAfter", { seconds: details.retryAfterSeconds });
  }
  if (details.apiMessage && details.apiCode) {
    text += t("errors.apiSaysWithCode", { message: details.apiMessage, code: details.apiCode });
  } else if (details.apiMessage) {
    text += t("errors.apiSays", { message: details.apiMessage });
  } else if (details.apiCode) {
    text += t("errors.apiCode", { code: details.apiCode });
  }
  return text;
}

/** Flatpeak's error code and message from either documented body shape. */
export function readErrorBody(body: unknown): { code?: string; message?: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return {};
  const { code, message } = body as FlatpeakErrorBody;
  return {
    code: typeof code === "string" && code.length > 0 ? code : undefined,
    message: typeof message === "string" && message.length > 0 ? message : undefined,
  };
}
