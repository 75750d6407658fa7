/**
 * What every call to Flatpeak shares, whoever makes it (the token manager for
 * `/login`, the client for events): the base URL and version header, one
 * transport, one limiter, the retry policy, and turning every outcome that is
 * not a usable answer into a FlatpeakError whose text is masked.
 */
import { CancelledError, sharedAbortController, sleep } from "./abort";
import { createFailure, isFlatpeakError, readErrorBody, type ClientFailureDetails, type ClientMessageKey, type FailureDetails, type FailureKind, type FlatpeakError } from "./errors";
import { HttpTransport, parseRetryAfter, TransportFailure, type HttpResponse } from "./http";
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

/** What a request is for, as error messages name it. */
export type RequestTarget = Pick<FailureDetails, "eventId" | "operation">;

/** What HTTP allows in a header value we send (visible ASCII, space and tab). */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/** Failures that may pass if we wait: the network, a busy or failing server. */
const RETRIABLE: ReadonlySet<FailureKind> = new Set<FailureKind>(["network", "timeout", "server", "rate-limited"]);

export class FlatpeakRequester {
  readonly limiter: RequestLimiter;
  readonly secrets = new SecretMask();
  /** Aborted by `close()`: ends every login, retry, queued and running request. */
  private readonly lifetime = sharedAbortController();
  private readonly transport: HttpTransport;

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

  /** One HTTP exchange. Resolves with any HTTP status; a transport failure becomes a FlatpeakError. */
  async send(path: string, headers: Record<string, string>, target: RequestTarget, signal: AbortSignal): Promise<HttpResponse> {
    // axios silently drops characters HTTP forbids, which would send a different (wrong) token: refuse instead.
    if (!Object.values(headers).every((value) => HEADER_VALUE.test(value))) throw this.failure({ kind: "config", messageKey: "invalidHeader", ...target });
    const allHeaders = this.options.apiVersion ? { ...headers, "Flatpeak-Version": this.options.apiVersion } : headers;
    try {
      return await this.transport.get(this.options.baseUrl + path, allHeaders, [signal, this.lifetime.signal]);
    } catch (err) {
      if (!(err instanceof TransportFailure)) throw err;
      const problem = err.failure;
      switch (problem.problem) {
        case "cancelled":
          throw new CancelledError();
        case "timeout":
          throw this.failure({ kind: "timeout", messageKey: "timeout", ...target, vars: { seconds: this.options.timeoutMs / 1000 } });
        case "too-large":
          throw this.failure({ kind: "bad-response", messageKey: "tooLarge", ...target });
        case "corrupt":
          throw this.failure({ kind: "bad-response", messageKey: "corruptBody", ...target });
        case "invalid-header":
          throw this.failure({ kind: "config", messageKey: "invalidHeader", ...target });
        case "network":
          throw this.failure({ kind: "network", messageKey: "network", ...target, vars: { host: new URL(this.options.baseUrl).host, code: problem.networkCode } });
      }
    }
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

function unprocessableKey(apiCode: string | undefined): ClientMessageKey {
  if (apiCode === "account_disabled") return "accountDisabled";
  if (apiCode === "api_version_not_supported") return "versionNotSupported";
  return "unprocessable";
}
