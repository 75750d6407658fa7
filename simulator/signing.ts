/**
 * Webhook signing as the fact sheet (§5, marked "preview" by Flatpeak)
 * describes it: RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt
 * (PS256) over `<Flatpeak-Timestamp>.<raw body bytes>`, sent as
 * `Flatpeak-Signature: v1=<base64url, no padding>`, with the RSA-2048 public
 * keys served as a JWKS at `/jwks.json`. Node's own crypto does all of it.
 */
import { constants, createPrivateKey, generateKeyPairSync, KeyObject, randomBytes, sign, type KeyLike } from "node:crypto";

/** One entry of `/jwks.json`. */
export interface SigningJwk {
  kty: "RSA";
  kid: string;
  use: "sig";
  alg: "PS256";
  n: string;
  e: string;
}

export interface Jwks {
  keys: SigningJwk[];
}

export interface SigningKey {
  /** `wsk_test_…`, sent as `Flatpeak-Key-ID`. */
  kid: string;
  privateKey: KeyObject;
  jwk: SigningJwk;
}

/** The headers of one signed delivery. */
export type WebhookHeaders = Record<string, string>;

/** Flatpeak's live key IDs look like `wsk_live_…`; the simulator's are test keys. */
export function newKeyId(): string {
  return `wsk_test_${randomBytes(12).toString("hex")}`;
}

/** A fresh RSA-2048 key pair (about 0.1 s of CPU, so callers create keys only when needed). */
export function generateSigningKey(kid: string = newKeyId()): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const { n, e } = publicKey.export({ format: "jwk" });
  if (!n || !e) throw new Error("RSA public key exported without n or e");
  return { kid, privateKey, jwk: { kty: "RSA", kid, use: "sig", alg: "PS256", n, e } };
}

/**
 * The headers that sign `body` (the exact bytes that will be sent) with
 * `privateKey` at `timestampSeconds` (Unix seconds). `version` adds
 * `Flatpeak-Version`, which every delivery carries.
 */
export function signWebhook(
  body: Buffer | string,
  privateKey: KeyLike,
  kid: string,
  timestampSeconds: number,
  version?: string,
): WebhookHeaders {
  const timestamp = String(Math.floor(timestampSeconds));
  const signature = sign("sha256", signedMessage(timestamp, body), {
    // A PEM string or buffer is accepted too, for tests that keep keys as text.
    key: privateKey instanceof KeyObject ? privateKey : createPrivateKey(privateKey),
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: 32,
  });
  const headers: WebhookHeaders = {
    "Content-Type": "application/json",
    "Flatpeak-Signature": `v1=${signature.toString("base64url")}`,
    "Flatpeak-Signature-Scheme": "v1",
    "Flatpeak-Timestamp": timestamp,
    "Flatpeak-Key-ID": kid,
  };
  if (version) headers["Flatpeak-Version"] = version;
  return headers;
}

/** What Flatpeak sends when signing is unavailable: the literal `none`, no timestamp or key ID. */
export function unsignedHeaders(version?: string): WebhookHeaders {
  const headers: WebhookHeaders = { "Content-Type": "application/json", "Flatpeak-Signature": "none" };
  if (version) headers["Flatpeak-Version"] = version;
  return headers;
}

/** The same headers with one byte of the signature flipped: well-formed, but wrong. */
export function corruptSignature(headers: WebhookHeaders): WebhookHeaders {
  const raw = Buffer.from(headers["Flatpeak-Signature"].slice("v1=".length), "base64url");
  raw[raw.length >> 1] ^= 0x01;
  return { ...headers, "Flatpeak-Signature": `v1=${raw.toString("base64url")}` };
}

/** `<timestamp>.<raw body bytes>`: the body is appended as bytes, never re-encoded. */
export function signedMessage(timestamp: string, body: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.`, "utf8"), typeof body === "string" ? Buffer.from(body, "utf8") : body]);
}

/**
 * The simulator's signing keys: the current one, and the one before it while
 * a rotation is under way (providers list both, so deliveries signed just
 * before the switch still verify). At most two keys are ever listed.
 * Keys are generated on first use: most simulator runs never sign anything.
 */
export class SigningKeys {
  private currentKey: SigningKey | undefined;
  private previousKey: SigningKey | undefined;
  private strangerKey: SigningKey | undefined;

  get current(): SigningKey {
    return (this.currentKey ??= generateSigningKey());
  }

  /** Makes a new key current; the old one stays listed unless `keepPrevious` is false. */
  rotate(keepPrevious = true): SigningKey {
    const old = this.currentKey;
    this.currentKey = generateSigningKey();
    this.previousKey = keepPrevious ? old : undefined;
    return this.currentKey;
  }

  /** Ends a rotation: only the current key stays listed. */
  dropPrevious(): void {
    this.previousKey = undefined;
  }

  /** What `/jwks.json` serves, current key first. */
  jwks(): Jwks {
    const keys = [this.current, this.previousKey].filter((key): key is SigningKey => key !== undefined);
    return { keys: keys.map((key) => ({ ...key.jwk })) };
  }

  /** A key that is never listed, under a new random ID each time (the `unknownKey` delivery fault). */
  stranger(): SigningKey {
    const key = (this.strangerKey ??= generateSigningKey());
    const kid = newKeyId();
    return { ...key, kid, jwk: { ...key.jwk, kid } };
  }
}
