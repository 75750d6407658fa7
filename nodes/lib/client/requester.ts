/**
 * What every call to Flatpeak shares, whoever makes it (the token manager for
 * `/login`, the client for events): the base URL and version header, one
 * transport, one limiter, the retry policy, and turning every outcome that is
 * not a usable answer into a FlatpeakError whose text is masked.
 */
import { CancelledError, sharedAbortController, sleep } from "./abort";
import { createFailure, isFlatpeakError, readErrorBody, type ClientFailureDetails, type ClientMessageKey, type FailureDetails, type FailureKind, type FlatpeakError } from "./errors";
import { HttpTransport, parseRetryAfter, TransportFailure, type HttpMethod, type HttpResponse, type TransportProblem } from "./http";
import type { Translator } from "../i18n";
import { RequestLimiter } from "./limiter";
import { parseJson } from "./responses";
import { retryDelay, type RetryPolicy } from "./retry";
import { SecretMask } from "./secrets";

export interface RequesterOptions {
  /** Already checked by `checkBaseUrl`, without a trailing slash. */
  baseUrl: string;
  /** Sent as `Flatpeak-Version` when set. */
  apiVersion?: string;
  timeoutMs: number;
  userAgent: string;
  translate: Translator<"flatpeak-config">;
  retry: RetryPolicy;
  concurrency: number;
  queueSize: number;
}

/** One call to the API: a path under the base URL, and for a POST its JSON body. */
export interface ApiRequest {
  method: HttpMethod;
  path: string;
  body?: Record<string, unknown>;
}

/** A GET of `path`. */
export function getRequest(path: string): ApiRequest {
  return { method: "GET", path };
}

/** What a request is for, as error messages name it. */
export type RequestTarget = Pick<FailureDetails, "eventId" | "operation" | "locationId" | "vars">;

/** What HTTP allows in a header value we send (visible ASCII, space and tab). */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
/** Longer `Flatpeak-Version` values are not versions (dated names are about 20 characters). */
const MAX_VERSION_LENGTH = 64;

/** Failures that may pass if we wait: the network, a busy or failing server. */
const RETRIABLE: ReadonlySet<FailureKind> = new Set<FailureKind>(["network", "timeout", "server", "rate-limited"]);

export class FlatpeakRequester {
  readonly limiter: RequestLimiter;
  readonly secrets = new SecretMask();
  /** Aborted by `close()`: ends every login, retry, queued and running request. */
  private readonly lifetime = sharedAbortController();
  private readonly transport: HttpTransport;
  private lastAnnouncedVersion: string | undefined;

  constructor(private readonly options: RequesterOptions) {
    this.transport = new HttpTransport({ timeoutMs: options.timeoutMs, userAgent: options.userAgent, baseUrl: options.baseUrl });
    this.limiter = new RequestLimiter({
      concurrency: options.concurrency,
      queueSize: options.queueSize,
      queueFull: () => this.queueFull(),
    });
  }

  /** Aborts when the client closes: for work no single caller owns (the shared login). */
  get closing(): AbortSignal {
    return this.lifetime.signal;
  }

  /**
   * One HTTP exchange. Resolves with any HTTP status; a transport failure becomes a FlatpeakError.
   * The version an answer names (`Flatpeak-Version`) is kept: it says which dialect the account speaks.
   */
  async send(request: ApiRequest, headers: Record<string, string>, target: RequestTarget, signal: AbortSignal): Promise<HttpResponse> {
    // axios silently drops characters HTTP forbids, which would send a different (wrong) token: refuse instead.
    if (!Object.values(headers).every((value) => HEADER_VALUE.test(value))) throw this.failure({ kind: "config", messageKey: "invalidHeader", ...target });
    const allHeaders = this.options.apiVersion ? { ...headers, "Flatpeak-Version": this.options.apiVersion } : headers;
    try {
      const response = await this.transport.request(request.method, this.options.baseUrl + request.path, allHeaders, request.body, [signal, this.lifetime.signal]);
      this.noteVersion(response.headers["flatpeak-version"]);
      return response;
    } catch (err) {
      if (!(err instanceof TransportFailure)) throw err;
      throw this.transportFailure(err.failure, target);
    }
  }

  /** The API version the last answer that named one was served in (its `Flatpeak-Version` header). */
  get announcedVersion(): string | undefined {
    return this.lastAnnouncedVersion;
  }

  /** Runs `attempt` until it succeeds, fails for good, or the retries run out. A 429 pauses every request of the account. */
  async retrying<T>(attempt: () => Promise<T>, signal: AbortSignal): Promise<T> {
    for (let retry = 1; ; retry += 1) {
      try {
        return await attempt();
      } catch (err) {
        const delay = this.delayBeforeRetry(err, retry);
        if (delay === undefined) throw this.withAttempts(err, retry);
        if (isFlatpeakError(err) && err.kind === "rate-limited") this.limiter.pauseFor(delay);
        await sleep(delay, signal);
      }
    }
  }

  /** Explains a non-200 answer, using what Flatpeak's error body says. */
  statusFailure(response: HttpResponse, target: RequestTarget, authKey?: ClientMessageKey): FlatpeakError {
    const status = response.status;
    const api = readErrorBody(parseJson(response.body));
    const base: ClientFailureDetails = {
      kind: "bad-response",
      messageKey: "unexpectedStatus",
      ...target,
      statusCode: status,
      apiCode: api.code && this.secrets.clean(api.code, 60),
      apiMessage: api.message && this.secrets.clean(api.message),
    };
    if (authKey) return this.failure({ ...base, kind: "auth", messageKey: authKey });
    if (status === 404) return this.failure({ ...base, kind: "not-found", messageKey: notFoundKey(target) });
    if (status === 422) {
      const vars = { version: this.options.apiVersion ?? "", direction: "", ...target.vars };
      // Only a prices request can be told it has no prices; elsewhere the code is just Flatpeak's word.
      const noPrices = target.operation === "prices" ? NO_PRICES_KEYS.get(api.code ?? "") : undefined;
      if (noPrices) return this.failure({ ...base, kind: "no-prices", messageKey: noPrices, vars });
      return this.failure({ ...base, kind: "unprocessable", messageKey: unprocessableKey(api.code), vars });
    }
    if (status === 429) {
      return this.failure({ ...base, kind: "rate-limited", messageKey: "rateLimited", retryAfterSeconds: parseRetryAfter(response.headers["retry-after"]) });
    }
    if (status >= 500) return this.failure({ ...base, kind: "server", messageKey: "serverError" });
    if (status >= 400) return this.failure({ ...base, kind: "bad-request", messageKey: "badRequest" });
    return this.failure(base);
  }

  failure(details: ClientFailureDetails): FlatpeakError {
    return createFailure(details, this.options.translate);
  }

  queueFull(): FlatpeakError {
    return this.failure({ kind: "queue-full", messageKey: "queueFull", vars: { size: this.options.queueSize } });
  }

  close(): void {
    this.lifetime.abort();
    this.limiter.close();
    this.transport.close();
  }

  private transportFailure(problem: TransportProblem, target: RequestTarget): Error {
    const withVars = (vars: Record<string, string | number>): RequestTarget => ({ ...target, vars: { ...target.vars, ...vars } });
    switch (problem.problem) {
      case "cancelled":
        return new CancelledError();
      case "timeout":
        return this.failure({ kind: "timeout", messageKey: "timeout", ...withVars({ seconds: this.options.timeoutMs / 1000 }) });
      case "too-large":
        return this.failure({ kind: "bad-response", messageKey: "tooLarge", ...target });
      case "corrupt":
        return this.failure({ kind: "bad-response", messageKey: "corruptBody", ...target });
      case "invalid-header":
        return this.failure({ kind: "config", messageKey: "invalidHeader", ...target });
      case "network":
        return this.failure({ kind: "network", messageKey: "network", ...withVars({ host: new URL(this.options.baseUrl).host, code: problem.networkCode }) });
    }
  }

  private noteVersion(header: string | undefined): void {
    const version = header?.trim();
    // A version string is short and plain; anything else is not worth keeping or showing.
    if (version && version.length <= MAX_VERSION_LENGTH && HEADER_VALUE.test(version)) this.lastAnnouncedVersion = version;
  }

  private delayBeforeRetry(err: unknown, retry: number): number | undefined {
    if (!isFlatpeakError(err) || !RETRIABLE.has(err.kind) || retry > this.options.retry.retries) return undefined;
    return retryDelay(this.options.retry, retry, err.details.retryAfterSeconds);
  }

  /** Says in the message how often we tried, when it was more than once. */
  private withAttempts(err: unknown, attempts: number): unknown {
    if (!isFlatpeakError(err) || attempts === 1 || !RETRIABLE.has(err.kind)) return err;
    // Only this requester's failure() makes retriable errors, so the key is one of the client's.
    return this.failure({ ...(err.details as ClientFailureDetails), attempts });
  }
}

/** Flatpeak documents bad credentials as 403; 401 is treated the same. */
export function isAuthRejection(status: number): boolean {
  return status === 401 || status === 403;
}

/** What a 404 is about: the event asked for, the location whose prices were asked for, or a path this base URL lacks. */
function notFoundKey(target: RequestTarget): ClientMessageKey {
  if (target.eventId !== undefined) return "notFound";
  return target.operation === "prices" ? "locationNotFound" : "pathNotFound";
}

/** Flatpeak's 422 codes for a location and direction without prices; it asks for at most one request per 15 minutes for these. */
const NO_PRICES_KEYS: ReadonlyMap<string, ClientMessageKey> = new Map<string, ClientMessageKey>([
  ["no_tariff_connected", "noTariffConnected"],
  ["pending_connect", "pendingConnect"],
  ["no_price_data", "noPriceData"],
]);

function unprocessableKey(apiCode: string | undefined): ClientMessageKey {
  if (apiCode === "account_disabled") return "accountDisabled";
  if (apiCode === "api_version_not_supported") return "versionNotSupported";
  return "unprocessable";
}
