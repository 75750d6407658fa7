/**
 * The Flatpeak API as this package uses it: log in, fetch an event. Turns
 * every HTTP outcome into either a checked event or a FlatpeakError that says
 * what happened in words a Node-RED user understands.
 *
 * A fetch goes: cache → one shared request per event ID → retries with
 * backoff → a turn in the limiter → token → HTTP (→ one re-login on 401/403).
 */
import { sharedAbortController } from "./abort";
import { EventCache } from "./event-cache";
import { createFailure, isFlatpeakError, readErrorBody, sanitizeServerText, type FailureDetails, type FailureKind, type FlatpeakError } from "./errors";
import { checkEvent, parseJson } from "./responses";
import { HttpTransport, parseRetryAfter, TransportFailure, type HttpResponse } from "./http";
import type { Translator } from "../i18n";
import { RequestLimiter } from "./limiter";
import { DEFAULT_RETRY_POLICY, retryDelay, sleep, type RetryPolicy } from "./retry";
import { SharedRequests } from "./shared-requests";
import { TokenManager, type IssuedToken } from "./tokens";
import type { FlatpeakEvent, LoginResponse } from "../types";

export interface FlatpeakCredentials {
  accountId?: string;
  apiKey?: string;
  bearerToken?: string;
}

export interface ClientOptions {
  /** Already checked by `checkBaseUrl`, without a trailing slash. */
  baseUrl: string;
  /** Sent as `Flatpeak-Version` when set. */
  apiVersion?: string;
  timeoutMs: number;
  credentials: FlatpeakCredentials;
  translate: Translator;
  userAgent: string;
  retry?: RetryPolicy;
  /** Requests to Flatpeak at the same time, and how many may wait for a turn. */
  concurrency?: number;
  queueSize?: number;
  /** Events kept in memory; 0 turns the cache off. */
  cacheSize?: number;
}

/** What a request is for, as error messages name it. */
type RequestTarget = Pick<FailureDetails, "eventId" | "operation">;

export interface ConnectionInfo {
  /** From the login answer: whether the key is a live (not test) key. Unknown with a bearer token given directly. */
  liveMode?: boolean;
}

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_QUEUE_SIZE = 1000;
export const DEFAULT_CACHE_SIZE = 100;

/** Failures that may pass if we wait: the network, a busy or failing server. */
const RETRIABLE: ReadonlySet<FailureKind> = new Set<FailureKind>(["network", "timeout", "server", "rate-limited"]);

/** After Flatpeak refuses the login, later messages fail at once for this long instead of logging in again each. */
const LOGIN_REFUSAL_COOLDOWN_MS = 30_000;

export class FlatpeakClient {
  private readonly transport: HttpTransport;
  private readonly tokens: TokenManager;
  private readonly limiter: RequestLimiter;
  private readonly cache: EventCache;
  private readonly inFlight = new SharedRequests<FlatpeakEvent>();
  private readonly retry: RetryPolicy;
  /** Aborted by `close()`: ends logins, retries, queued and running requests. */
  private readonly lifetime = sharedAbortController();
  private readonly configuredSecrets: string[];
  private readonly t: Translator;
  private loginRefusal: { error: FlatpeakError; until: number } | undefined;
  private liveMode: boolean | undefined;

  constructor(private readonly options: ClientOptions) {
    this.t = options.translate;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.transport = new HttpTransport({ timeoutMs: options.timeoutMs, userAgent: options.userAgent });
    this.cache = new EventCache(options.cacheSize ?? DEFAULT_CACHE_SIZE);
    const queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
    this.limiter = new RequestLimiter({
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
      queueSize,
      queueFull: () => this.failure({ kind: "queue-full", messageKey: "queueFull", vars: { size: queueSize } }),
      cancelled: () => this.cancelled(),
    });
    const { accountId, apiKey, bearerToken } = options.credentials;
    this.configuredSecrets = [apiKey, bearerToken, accountId].filter((s): s is string => Boolean(s));
    this.tokens = new TokenManager({
      login: accountId && apiKey ? () => this.loginWithRetries(accountId, apiKey) : undefined,
      initialToken: bearerToken,
      cancelled: () => this.cancelled(),
      noCredentials: () => this.failure({ kind: "config", messageKey: "noCredentials" }),
    });
  }

  get loginCount(): number {
    return this.tokens.loginCount;
  }

  /** Fetches one event. `signal` cancels this caller's wait; the fetch goes on while others wait for it. */
  getEvent(eventId: string, signal?: AbortSignal): Promise<FlatpeakEvent> {
    const cached = this.cache.get(eventId);
    if (cached) return Promise.resolve(cached);
    return this.inFlight.join(eventId, signal, (shared) => this.fetchWithRetries(eventId, shared), () => this.cancelled(eventId));
  }

  /**
   * Logs in (if needed) and lists one event: proves the base URL, credentials
   * and API version work, without needing an event ID (the editor's
   * "Test connection" button).
   */
  async checkConnection(signal?: AbortSignal): Promise<ConnectionInfo> {
    const target: RequestTarget = { operation: "connection" };
    const response = await this.authorizedGet("/events?limit=1", target, signal);
    if (response.status !== 200) throw this.statusFailure(response, target);
    const body = parseJson(response.body) as { object?: unknown } | undefined;
    if (body?.object !== "list") throw this.failure({ kind: "bad-response", messageKey: "notList", statusCode: response.status, ...target });
    return { liveMode: this.liveMode };
  }

  /** Ends everything in flight and frees the sockets. The client is not used again. */
  close(): void {
    this.lifetime.abort();
    this.inFlight.abortAll();
    this.limiter.close();
    this.tokens.clear();
    this.cache.clear();
    this.transport.close();
  }

  private async fetchWithRetries(eventId: string, signal: AbortSignal): Promise<FlatpeakEvent> {
    const event = await this.withRetries(() => this.limiter.run(() => this.fetchEvent(eventId, signal), signal), signal, eventId);
    this.cache.set(eventId, event);
    return event;
  }

  /** Runs `attempt` until it succeeds, fails for good, or the retries run out. */
  private async withRetries<T>(attempt: () => Promise<T>, signal: AbortSignal, eventId?: string): Promise<T> {
    for (let retry = 1; ; retry += 1) {
      try {
        return await attempt();
      } catch (err) {
        const delay = this.delayBeforeRetry(err, retry);
        if (delay === undefined) throw this.withAttempts(err, retry);
        if (isFlatpeakError(err) && err.kind === "rate-limited") this.limiter.pauseUntil(Date.now() + delay);
        await sleep(delay, signal, () => this.cancelled(eventId));
      }
    }
  }

  private delayBeforeRetry(err: unknown, retry: number): number | undefined {
    if (!isFlatpeakError(err) || !RETRIABLE.has(err.kind) || retry > this.retry.retries) return undefined;
    return retryDelay(this.retry, retry, err.details.retryAfterSeconds);
  }

  /** Says in the message how often we tried, when it was more than once. */
  private withAttempts(err: unknown, attempts: number): unknown {
    if (!isFlatpeakError(err) || attempts === 1 || !RETRIABLE.has(err.kind)) return err;
    return this.failure({ ...err.details, attempts });
  }

  /** One attempt at fetching an event. */
  private async fetchEvent(eventId: string, signal: AbortSignal): Promise<FlatpeakEvent> {
    const target = { eventId };
    const response = await this.authorizedGet(`/events/${encodeURIComponent(eventId)}`, target, signal);
    if (response.status !== 200) throw this.statusFailure(response, target);
    return this.readEvent(response, eventId);
  }

  /** GET with the bearer token; on 401/403 one fresh login and one retry, as Flatpeak tokens can expire early. */
  private async authorizedGet(path: string, target: RequestTarget, signal: AbortSignal | undefined): Promise<HttpResponse> {
    const token = await this.tokens.get(signal);
    const response = await this.request(path, bearer(token), target, signal);
    if (!isAuthRejection(response.status)) return response;
    if (!this.tokens.canLogin) throw this.statusFailure(response, target, "bearerRejected");
    this.tokens.reject(token);
    const fresh = await this.tokens.get(signal);
    const retried = await this.request(path, bearer(fresh), target, signal);
    if (isAuthRejection(retried.status)) throw this.statusFailure(retried, target, "rejectedAfterLogin");
    return retried;
  }

  /** The one login every waiting request shares; retried like a request, but never queued behind them. */
  private async loginWithRetries(accountId: string, apiKey: string): Promise<IssuedToken> {
    if (this.loginRefusal && Date.now() < this.loginRefusal.until) throw this.loginRefusal.error;
    try {
      const issued = await this.withRetries(() => this.login(accountId, apiKey), this.lifetime.signal);
      this.loginRefusal = undefined;
      return issued;
    } catch (err) {
      if (isFlatpeakError(err) && err.kind === "auth") {
        this.loginRefusal = { error: err, until: Date.now() + LOGIN_REFUSAL_COOLDOWN_MS };
      }
      throw err;
    }
  }

  private async login(accountId: string, apiKey: string): Promise<IssuedToken> {
    const basic = Buffer.from(`${accountId}:${apiKey}`, "utf8").toString("base64");
    const response = await this.request("/login", { Authorization: `Basic ${basic}` }, {}, undefined);
    if (isAuthRejection(response.status)) throw this.statusFailure(response, {}, "loginRefused");
    if (response.status !== 200) throw this.statusFailure(response, {});
    const body = parseJson(response.body) as Partial<LoginResponse> | undefined;
    if (!body || typeof body.bearer_token !== "string" || body.bearer_token.length === 0) {
      throw this.failure({ kind: "bad-response", messageKey: "loginInvalid", statusCode: response.status });
    }
    if (typeof body.live_mode === "boolean") this.liveMode = body.live_mode;
    return { token: body.bearer_token, expiresInSeconds: typeof body.expires_in === "number" ? body.expires_in : undefined };
  }

  private async request(path: string, headers: Record<string, string>, target: RequestTarget, signal: AbortSignal | undefined): Promise<HttpResponse> {
    const allHeaders = this.options.apiVersion ? { ...headers, "Flatpeak-Version": this.options.apiVersion } : headers;
    try {
      return await this.transport.get(this.options.baseUrl + path, allHeaders, [signal, this.lifetime.signal]);
    } catch (err) {
      if (!(err instanceof TransportFailure)) throw err;
      const problem = err.failure;
      switch (problem.problem) {
        case "timeout":
          throw this.failure({ kind: "timeout", messageKey: "timeout", ...target, vars: { seconds: this.options.timeoutMs / 1000 } });
        case "cancelled":
          throw this.failure({ kind: "cancelled", messageKey: "cancelled", ...target });
        case "too-large":
          throw this.failure({ kind: "bad-response", messageKey: "tooLarge", ...target });
        case "network":
          throw this.failure({
            kind: "network",
            messageKey: "network",
            ...target,
            vars: { host: new URL(this.options.baseUrl).host, code: problem.networkCode },
          });
      }
    }
  }

  private readEvent(response: HttpResponse, eventId: string): FlatpeakEvent {
    const body = parseJson(response.body);
    if (body === undefined) {
      throw this.failure({ kind: "bad-response", messageKey: "notJson", eventId, statusCode: response.status });
    }
    const check = checkEvent(body, eventId);
    if (check === "not-event") {
      throw this.failure({ kind: "bad-response", messageKey: "notEvent", eventId, statusCode: response.status });
    }
    if (check === "wrong-event") {
      const other = sanitizeServerText(String((body as { id: unknown }).id), this.secrets(), 80);
      throw this.failure({ kind: "bad-response", messageKey: "wrongEvent", eventId, statusCode: response.status, vars: { other } });
    }
    return body as FlatpeakEvent;
  }

  /** Explains a non-200 answer, using what Flatpeak's error body says. */
  private statusFailure(response: HttpResponse, target: RequestTarget, authKey?: string): FlatpeakError {
    const status = response.status;
    const api = readErrorBody(parseJson(response.body));
    const base: FailureDetails = {
      kind: "bad-response",
      messageKey: "unexpectedStatus",
      ...target,
      statusCode: status,
      apiCode: api.code && sanitizeServerText(api.code, this.secrets(), 60),
      apiMessage: api.message && sanitizeServerText(api.message, this.secrets()),
    };
    if (authKey) return this.failure({ ...base, kind: "auth", messageKey: authKey });
    if (status === 404) return this.failure({ ...base, kind: "not-found", messageKey: "notFound" });
    if (status === 422) {
      return this.failure({ ...base, kind: "unprocessable", messageKey: unprocessableKey(api.code), vars: { version: this.options.apiVersion ?? "" } });
    }
    if (status === 429) {
      return this.failure({ ...base, kind: "rate-limited", messageKey: "rateLimited", retryAfterSeconds: parseRetryAfter(response.headers["retry-after"]) });
    }
    if (status >= 500) return this.failure({ ...base, kind: "server", messageKey: "serverError" });
    if (status >= 400) return this.failure({ ...base, kind: "bad-request", messageKey: "badRequest" });
    return this.failure(base);
  }

  private failure(details: FailureDetails): FlatpeakError {
    return createFailure(details, this.t);
  }

  private cancelled(eventId?: string): FlatpeakError {
    return this.failure({ kind: "cancelled", messageKey: "cancelled", eventId });
  }

  /** Everything that must never be echoed back, should a server put it in an error body. */
  private secrets(): string[] {
    const current = this.tokens.currentToken;
    return current ? [...this.configuredSecrets, current] : this.configuredSecrets;
  }
}

function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/** Flatpeak documents bad credentials as 403; 401 is treated the same. */
function isAuthRejection(status: number): boolean {
  return status === 401 || status === 403;
}

function unprocessableKey(apiCode: string | undefined): string {
  if (apiCode === "account_disabled") return "accountDisabled";
  if (apiCode === "api_version_not_supported") return "versionNotSupported";
  return "unprocessable";
}
