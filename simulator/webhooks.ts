/**
 * Webhook delivery: each event POSTed as JSON to one loopback URL, signed as
 * Flatpeak signs (see signing.ts), with switches that make one delivery wrong
 * in the ways a receiver must refuse (or accept, for a redelivery).
 */
import http from "node:http";
import type { FlatpeakEvent } from "./types";
import { corruptSignature, signWebhook, unsignedHeaders, type SigningKeys, type WebhookHeaders } from "./signing";

/** Switches for one delivery; several can be combined. */
export interface DeliveryOptions {
  /** Send here instead of the registered webhook target (loopback only too). */
  url?: string;
  /** Flip one byte of the signature. */
  badSignature?: boolean;
  /** Sign with a timestamp this many seconds in the past (negative: in the future). */
  staleSeconds?: number;
  /** Sign with a key that `/jwks.json` does not list, under a random key ID. */
  unknownKey?: boolean;
  /** `Flatpeak-Signature: none` and no timestamp or key-ID headers, as when Flatpeak cannot sign. */
  unsigned?: boolean;
  /** Deliver the same bytes again right after the first answer (freshly signed, as a retry is); the second answer is returned. */
  redeliver?: boolean;
}

/** The receiver's answer. */
export interface DeliveryResult {
  status: number;
  /** Response body as text (at most the first 64 KiB). */
  body: string;
}

/** What the simulator keeps about each delivery attempt (in `stats.deliveries`). */
export interface DeliveryRecord {
  eventId?: string;
  url: string;
  /** `Flatpeak-Key-ID` sent (absent when unsigned). */
  keyId?: string;
  /** `Flatpeak-Timestamp` sent (absent when unsigned). */
  timestamp?: number;
  signed: boolean;
  /** The switches that were on, e.g. `["badSignature"]`. */
  faults: string[];
  /** True for the second send of a `redeliver`. */
  redelivery: boolean;
  /** The receiver's status, or `error` when there was no answer. */
  status?: number;
  error?: string;
}

export interface DelivererSettings {
  keys: SigningKeys;
  /** `Flatpeak-Version` on every delivery. */
  version: string;
  /** Flatpeak waits 10 s for an answer. */
  timeoutMs: number;
  /** Called for every attempt, when it has ended. */
  onRecord(record: DeliveryRecord): void;
}

const MAX_ANSWER_BYTES = 64 * 1024;

export class Deliverer {
  target: URL | undefined;
  private readonly inFlight = new Set<http.ClientRequest>();
  private closed = false;

  constructor(private readonly settings: DelivererSettings) {}

  setTarget(url: string | undefined): void {
    this.target = url === undefined ? undefined : loopbackUrl(url);
  }

  /** Signs and POSTs one event (or raw body bytes, sent exactly as given). Rejects when no answer comes. */
  async deliver(event: FlatpeakEvent | Buffer | string, options: DeliveryOptions = {}): Promise<DeliveryResult> {
    const url = options.url !== undefined ? loopbackUrl(options.url) : this.target;
    if (!url) throw new Error("no webhook target: call setWebhookTarget(url) or pass options.url");
    const body = bodyOf(event);
    const first = await this.attempt(url, body, options, false);
    return options.redeliver ? this.attempt(url, body, options, true) : first;
  }

  /** Aborts deliveries in flight; later ones are refused. */
  close(): void {
    this.closed = true;
    for (const request of this.inFlight) request.destroy(new Error("simulator closed"));
    this.inFlight.clear();
  }

  private async attempt(url: URL, body: Buffer, options: DeliveryOptions, redelivery: boolean): Promise<DeliveryResult> {
    const headers = this.headersFor(body, options);
    const record: DeliveryRecord = {
      eventId: eventIdOf(body),
      url: url.href,
      keyId: headers["Flatpeak-Key-ID"],
      timestamp: headers["Flatpeak-Timestamp"] ? Number(headers["Flatpeak-Timestamp"]) : undefined,
      signed: !options.unsigned,
      faults: faultNames(options),
      redelivery,
    };
    try {
      const result = await this.post(url, body, headers);
      record.status = result.status;
      return result;
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      this.settings.onRecord(record);
    }
  }

  private headersFor(body: Buffer, options: DeliveryOptions): WebhookHeaders {
    const { keys, version } = this.settings;
    if (options.unsigned) return unsignedHeaders(version);
    const key = options.unknownKey ? keys.stranger() : keys.current;
    const timestamp = Math.floor(Date.now() / 1000) - (options.staleSeconds ?? 0);
    const headers = signWebhook(body, key.privateKey, key.kid, timestamp, version);
    return options.badSignature ? corruptSignature(headers) : headers;
  }

  private post(url: URL, body: Buffer, headers: WebhookHeaders): Promise<DeliveryResult> {
    if (this.closed) return Promise.reject(new Error("simulator closed"));
    return new Promise((resolve, reject) => {
      // No keep-alive agent: nothing of a delivery outlives its answer.
      const request = http.request(url, { method: "POST", agent: false, headers: { ...headers, "Content-Length": String(body.length) } });
      this.inFlight.add(request);
      request.on("close", () => this.inFlight.delete(request));
      request.setTimeout(this.settings.timeoutMs, () => request.destroy(new Error(`no answer within ${this.settings.timeoutMs} ms`)));
      request.on("error", reject);
      request.on("response", (response) => {
        readAnswer(response).then((text) => resolve({ status: response.statusCode ?? 0, body: text }), reject);
      });
      request.end(body);
    });
  }
}

/**
 * Only loopback targets: the control endpoint sets the target over HTTP, and
 * must not turn the simulator into a way to POST anywhere on the network.
 */
export function loopbackUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`not a URL: ${text}`);
  }
  if (url.protocol !== "http:") throw new Error(`webhook target must be an http: URL, not ${url.protocol}`);
  const host = url.hostname;
  const loopback = host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  if (!loopback) throw new Error(`webhook target must be on loopback (127.0.0.1, ::1 or localhost), not ${host}`);
  return url;
}

function bodyOf(event: FlatpeakEvent | Buffer | string): Buffer {
  if (Buffer.isBuffer(event)) return event;
  return Buffer.from(typeof event === "string" ? event : JSON.stringify(event), "utf8");
}

/** The event ID of a JSON body, when it has one (raw test bodies may not). */
function eventIdOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { id?: unknown } | null;
    return typeof parsed?.id === "string" ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}

function faultNames(options: DeliveryOptions): string[] {
  const names: string[] = [];
  if (options.badSignature) names.push("badSignature");
  if (options.staleSeconds) names.push("staleSeconds");
  if (options.unknownKey) names.push("unknownKey");
  if (options.unsigned) names.push("unsigned");
  if (options.redeliver) names.push("redeliver");
  return names;
}

/** The answer's body as text, keeping at most 64 KiB (the rest is read and dropped). */
function readAnswer(response: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      if (size < MAX_ANSWER_BYTES) chunks.push(chunk.subarray(0, MAX_ANSWER_BYTES - size));
      size += chunk.length;
    });
    response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    response.on("error", reject);
    response.on("aborted", () => reject(new Error("answer aborted")));
  });
}
