/**
 * Caches Flatpeak's webhook signing keys (the JWKS at `{baseUrl}/jwks.json`).
 * Pure apart from `crypto`: the fetch is injected.
 *
 * - The first lookup fetches; lookups that arrive meanwhile share that fetch.
 * - An unknown key ID refetches the set, at most once per `refetchIntervalMs`:
 *   a rotated key works within seconds, random key IDs cannot flood Flatpeak.
 *   A failed fetch counts too, so an outage is not hammered.
 * - A failed refetch keeps the last good set.
 * - A set older than `maxAgeMs` is refetched on the next lookup, so a key
 *   Flatpeak withdrew stops being trusted without a restart.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";

export interface SigningKeyCacheOptions {
  /** Resolves to the parsed JSON body of the JWKS. */
  fetchJwks: (signal?: AbortSignal) => Promise<unknown>;
  /** Monotonic milliseconds. */
  now?: () => number;
  refetchIntervalMs?: number;
  maxAgeMs?: number;
  maxKeys?: number;
}

export type KeyLookup =
  | { ok: true; key: KeyObject }
  | { ok: false; reason: "unknown-key" | "keys-unavailable"; error?: unknown };

const DEFAULT_REFETCH_INTERVAL_MS = 10_000;
const DEFAULT_KEYS_MAX_AGE_MS = 60 * 60_000;
const DEFAULT_MAX_KEYS = 20;
/** Weaker RSA keys are ignored even if the set lists them. */
const MIN_MODULUS_BITS = 2048;
const MAX_KID_LENGTH = 128;

/** Why a fetched body was refused; the message names no secret (the JWKS is public anyway). */
export class InvalidJwksError extends Error {
  constructor() {
    super("the signing keys response is not a JWKS ({ keys: [...] })");
    this.name = "InvalidJwksError";
  }
}

interface KeySet {
  keys: ReadonlyMap<string, KeyObject>;
  fetchedAt: number;
}

type FetchOutcome = { ok: true } | { ok: false; error: unknown };

interface InFlight {
  outcome: Promise<FetchOutcome>;
  controller: AbortController;
  waiters: number;
  /** The attempt time before this one, restored if every waiter leaves. */
  previousAttemptAt: number | undefined;
}

export class SigningKeyCache {
  private readonly fetchJwks: (signal?: AbortSignal) => Promise<unknown>;
  private readonly now: () => number;
  private readonly refetchIntervalMs: number;
  private readonly maxAgeMs: number;
  private readonly maxKeys: number;
  private current: KeySet | undefined;
  private lastAttemptAt: number | undefined;
  private lastFailure: { error: unknown } | undefined;
  private inFlight: InFlight | undefined;

  constructor(options: SigningKeyCacheOptions) {
    this.fetchJwks = options.fetchJwks;
    this.now = options.now ?? (() => performance.now());
    this.refetchIntervalMs = options.refetchIntervalMs ?? DEFAULT_REFETCH_INTERVAL_MS;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_KEYS_MAX_AGE_MS;
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  }

  /** The key for `kid`. Never rejects; a caller whose `signal` aborts gets `keys-unavailable`. */
  async getKey(kid: string, signal?: AbortSignal): Promise<KeyLookup> {
    const cached = this.current?.keys.get(kid);
    if (cached && !this.isStale()) return { ok: true, key: cached };
    if (!this.inFlight && !this.mayFetch()) return cached ? { ok: true, key: cached } : this.refusal();

    const outcome = await this.waitForFetch(signal);
    const key = this.current?.keys.get(kid);
    if (key) return { ok: true, key };
    return outcome.ok ? { ok: false, reason: "unknown-key" } : { ok: false, reason: "keys-unavailable", error: outcome.error };
  }

  private isStale(): boolean {
    return this.current !== undefined && this.now() - this.current.fetchedAt >= this.maxAgeMs;
  }

  private mayFetch(): boolean {
    return this.lastAttemptAt === undefined || this.now() - this.lastAttemptAt >= this.refetchIntervalMs;
  }

  /** Within the rate limit: "unknown" only if the last attempt succeeded, else the set may just be unreachable. */
  private refusal(): KeyLookup {
    return this.lastFailure ? { ok: false, reason: "keys-unavailable", error: this.lastFailure.error } : { ok: false, reason: "unknown-key" };
  }

  private waitForFetch(signal: AbortSignal | undefined): Promise<FetchOutcome> {
    if (signal?.aborted) return Promise.resolve(abortedOutcome(signal));
    const flight = this.inFlight ?? this.startFetch();
    flight.waiters += 1;
    return new Promise<FetchOutcome>((resolve) => {
      let settled = false;
      const settle = (outcome: FetchOutcome): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", leave);
        flight.waiters -= 1;
        resolve(outcome);
      };
      const leave = (): void => {
        settle(abortedOutcome(signal));
        if (flight.waiters === 0) this.cancel(flight);
      };
      signal?.addEventListener("abort", leave, { once: true });
      void flight.outcome.then(settle);
    });
  }

  private startFetch(): InFlight {
    const controller = new AbortController();
    const previousAttemptAt = this.lastAttemptAt;
    this.lastAttemptAt = this.now();
    const flight: InFlight = { controller, waiters: 0, previousAttemptAt, outcome: this.fetchAndStore(controller.signal) };
    this.inFlight = flight;
    void flight.outcome.then(() => {
      if (this.inFlight === flight) this.inFlight = undefined;
    });
    return flight;
  }

  private async fetchAndStore(signal: AbortSignal): Promise<FetchOutcome> {
    try {
      // A set that arrives after everyone left is still good: keep it.
      this.storeKeys(parseJwks(await this.fetchJwks(signal), this.maxKeys));
      return { ok: true };
    } catch (error) {
      // A fetch we cancelled says nothing about Flatpeak.
      if (!signal.aborted) this.lastFailure = { error };
      return { ok: false, error };
    }
  }

  private storeKeys(keys: ReadonlyMap<string, KeyObject>): void {
    this.current = { keys, fetchedAt: this.now() };
    this.lastFailure = undefined;
  }

  /** Everyone left (the node closed): stop the fetch and do not count it against the rate limit. */
  private cancel(flight: InFlight): void {
    if (this.inFlight !== flight) return;
    this.inFlight = undefined;
    this.lastAttemptAt = flight.previousAttemptAt;
    flight.controller.abort();
  }
}

function abortedOutcome(signal: AbortSignal | undefined): FetchOutcome {
  return { ok: false, error: signal?.reason ?? new Error("aborted") };
}

/**
 * The usable signing keys of a JWKS body, in order, at most `maxKeys`.
 * Throws InvalidJwksError when the body is not `{ keys: [...] }`; entries
 * that are not RSA signing keys, or do not import, are skipped.
 */
export function parseJwks(body: unknown, maxKeys: number = DEFAULT_MAX_KEYS): Map<string, KeyObject> {
  if (!isPlainObject(body) || !Array.isArray(body.keys)) throw new InvalidJwksError();
  const keys = new Map<string, KeyObject>();
  for (const entry of body.keys as unknown[]) {
    if (keys.size >= maxKeys) break;
    const candidate = readRsaSigningKey(entry);
    if (candidate && !keys.has(candidate.kid)) keys.set(candidate.kid, candidate.key);
  }
  return keys;
}

function readRsaSigningKey(entry: unknown): { kid: string; key: KeyObject } | undefined {
  if (!isPlainObject(entry)) return undefined;
  const { kty, kid, n, e, use } = entry;
  if (kty !== "RSA" || typeof kid !== "string" || typeof n !== "string" || typeof e !== "string") return undefined;
  if (kid === "" || kid.length > MAX_KID_LENGTH || (use !== undefined && use !== "sig")) return undefined;
  const key = importPublicKey({ kty, n, e });
  return key ? { kid, key } : undefined;
}

/** Only the public members are passed: a stray `d` or odd extra field cannot change what is built. */
function importPublicKey(jwk: JsonWebKey): KeyObject | undefined {
  try {
    const key = createPublicKey({ key: jwk, format: "jwk" });
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    return key.asymmetricKeyType === "rsa" && bits >= MIN_MODULUS_BITS ? key : undefined;
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
