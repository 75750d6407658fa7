/**
 * Reads and checks the signature headers of a Flatpeak webhook delivery.
 * Pure apart from `crypto`: no Node-RED, no I/O.
 *
 * Flatpeak signs `{Flatpeak-Timestamp}.{raw body bytes}` with RSASSA-PSS
 * (SHA-256, MGF1-SHA-256, salt 32) and an RSA-2048 key, and sends
 * `Flatpeak-Signature: v1=<base64url, unpadded>`. Without signing it sends
 * `Flatpeak-Signature: none` and no timestamp or key ID.
 */
import { constants, verify, type KeyObject } from "node:crypto";

/** Header names as Node gives them (lower-case). */
const SIGNATURE_HEADER = "flatpeak-signature";
const TIMESTAMP_HEADER = "flatpeak-timestamp";
const KEY_ID_HEADER = "flatpeak-key-id";

/** An RSA-2048 signature is exactly the modulus length. */
export const SIGNATURE_BYTES = 256;
const MAX_KEY_ID_LENGTH = 128;
/** The salt length Flatpeak signs with; verifying with another fails. */
const PSS_SALT_LENGTH = 32;

const SIGNATURE_PREFIX = "v1=";
const UNSIGNED_MARKER = "none";
const BASE64URL_UNPADDED = /^[A-Za-z0-9_-]+$/;
/** Sixteen digits already exceed Number.MAX_SAFE_INTEGER's reach; more are refused before parsing. */
const TIMESTAMP_DIGITS = /^[0-9]{1,16}$/;
/** Visible ASCII only: no spaces, controls or non-ASCII that could spoof a log line. */
const KEY_ID_CHARACTERS = /^[\x21-\x7e]+$/;

/** What the `http in` node's `msg.req.headers` holds (compatible with `IncomingHttpHeaders`). */
export type HeaderValue = string | readonly string[] | undefined;
export type WebhookHeaders = Readonly<Record<string, HeaderValue>>;

export type SignatureRefusal =
  | "missing-signature"
  | "malformed-signature"
  | "missing-timestamp"
  | "malformed-timestamp"
  | "missing-key-id"
  | "malformed-key-id";

export interface SignedDelivery {
  ok: true;
  kind: "signed";
  signature: Buffer;
  /** Unix seconds. */
  timestamp: number;
  /** The header exactly as received: it, not `String(timestamp)`, is what was signed. */
  timestampText: string;
  keyId: string;
}

export interface UnsignedDelivery {
  ok: true;
  kind: "unsigned";
}

export type SignatureHeaders = SignedDelivery | UnsignedDelivery | { ok: false; reason: SignatureRefusal };

type Field<T> = { ok: true; value: T } | { ok: false; reason: SignatureRefusal };
type SingleHeader = { present: false } | { present: true; value: string } | { present: true; conflicting: true };

export function parseSignatureHeaders(headers: WebhookHeaders): SignatureHeaders {
  const signatureHeader = singleHeader(headers[SIGNATURE_HEADER]);
  if (isPresentValue(signatureHeader) && signatureHeader.value === UNSIGNED_MARKER) return { ok: true, kind: "unsigned" };

  const signature = readField(signatureHeader, "missing-signature", "malformed-signature", decodeSignature);
  if (!signature.ok) return signature;
  const timestamp = readField(singleHeader(headers[TIMESTAMP_HEADER]), "missing-timestamp", "malformed-timestamp", parseTimestamp);
  if (!timestamp.ok) return timestamp;
  const keyId = readField(singleHeader(headers[KEY_ID_HEADER]), "missing-key-id", "malformed-key-id", checkKeyId);
  if (!keyId.ok) return keyId;

  return {
    ok: true,
    kind: "signed",
    signature: signature.value,
    timestamp: timestamp.value.seconds,
    timestampText: timestamp.value.text,
    keyId: keyId.value,
  };
}

/**
 * One header value. A repeated header with one distinct value is accepted as
 * that value; with several it is refused, since either could be the forged one.
 */
function singleHeader(value: HeaderValue): SingleHeader {
  if (typeof value === "string") return value === "" ? { present: false } : { present: true, value };
  if (!Array.isArray(value)) return { present: false };
  const distinct = [...new Set(value.filter((item): item is string => typeof item === "string" && item !== ""))];
  if (distinct.length === 0) return { present: false };
  return distinct.length === 1 ? { present: true, value: distinct[0] } : { present: true, conflicting: true };
}

function isPresentValue(header: SingleHeader): header is { present: true; value: string } {
  return header.present && "value" in header;
}

function readField<T>(
  header: SingleHeader,
  missing: SignatureRefusal,
  malformed: SignatureRefusal,
  read: (text: string) => T | undefined,
): Field<T> {
  if (!header.present) return { ok: false, reason: missing };
  const value = isPresentValue(header) ? read(header.value) : undefined;
  return value === undefined ? { ok: false, reason: malformed } : { ok: true, value };
}

/** Strict base64url: no padding, no other alphabet, canonical trailing bits, exactly one RSA-2048 signature long. */
function decodeSignature(text: string): Buffer | undefined {
  if (!text.startsWith(SIGNATURE_PREFIX)) return undefined;
  const encoded = text.slice(SIGNATURE_PREFIX.length);
  if (encoded.length !== Math.ceil((SIGNATURE_BYTES * 4) / 3) || !BASE64URL_UNPADDED.test(encoded)) return undefined;
  const decoded = Buffer.from(encoded, "base64url");
  // Node ignores stray trailing bits; a second spelling of the same bytes is refused.
  if (decoded.length !== SIGNATURE_BYTES || decoded.toString("base64url") !== encoded) return undefined;
  return decoded;
}

function parseTimestamp(text: string): { seconds: number; text: string } | undefined {
  if (!TIMESTAMP_DIGITS.test(text)) return undefined;
  const seconds = Number(text);
  return Number.isSafeInteger(seconds) ? { seconds, text } : undefined;
}

function checkKeyId(text: string): string | undefined {
  return text.length <= MAX_KEY_ID_LENGTH && KEY_ID_CHARACTERS.test(text) ? text : undefined;
}

export type TimestampCheck = { ok: true } | { ok: false; reason: "stale" | "future" };

/**
 * Whether a delivery's timestamp is within `toleranceSeconds` of now, either
 * way (the edge itself is accepted). A tolerance that is not a non-negative
 * finite number counts as 0, so a bad setting refuses rather than accepts all.
 */
export function checkTimestamp(timestamp: number, nowSeconds: number, toleranceSeconds: number): TimestampCheck {
  const tolerance = Number.isFinite(toleranceSeconds) && toleranceSeconds >= 0 ? toleranceSeconds : 0;
  const age = nowSeconds - timestamp;
  if (!(age <= tolerance)) return { ok: false, reason: "stale" };
  if (!(-age <= tolerance)) return { ok: false, reason: "future" };
  return { ok: true };
}

/**
 * Checks the signature over `{timestampText}.` followed by the raw body bytes,
 * exactly as received. Never throws: any failure, including a key of the wrong
 * type, is `false`.
 */
export function verifySignature(publicKey: KeyObject, timestampText: string, rawBody: Buffer, signature: Buffer): boolean {
  try {
    const signed = Buffer.concat([Buffer.from(`${timestampText}.`, "utf8"), rawBody]);
    return verify("sha256", signed, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_LENGTH }, signature);
  } catch {
    return false;
  }
}
