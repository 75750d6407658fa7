/**
 * The Flatpeak API as this package uses it: log in, fetch an event. Turns
 * every HTTP outcome into either a checked event or a FlatpeakError that says
 * what happened in words a Node-RED user understands.
 */
import { createFailure, readErrorBody, sanitizeServerText, type FailureDetails, type FlatpeakError } from "./errors";
import { checkEvent } from "./event-shaping";
import { HttpTransport, parseRetryAfter, TransportFailure, type HttpResponse } from "./http";
import type { Translator } from "./i18n";
import { TokenManager, type IssuedToken } from "./token-manager";
import type { FlatpeakEvent, LoginResponse } from "./types";

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
}

export class FlatpeakClient {
  private readonly transport: HttpTransport;
  private readonly tokens: TokenManager;
  /** Aborted by `close()`: ends a shared login and every request in flight. */
  private readonly lifetime = new AbortController();
  private readonly configuredSecrets: string[];
  private readonly t: Translator;

  constructor(private readonly options: ClientOptions) {
    this.t = options.translate;
    this.transport = new HttpTransport({ timeoutMs: options.timeoutMs, userAgent: options.userAgent });
    const { accountId, apiKey, bearerToken } = options.credentials;
    this.configuredSecrets = [apiKey, bearerToken, accountId].filter((s): s is string => Boolean(s));
    this.tokens = new TokenManager({
      login: accountId && apiKey ? () => this.login(accountId, apiKey) : undefined,
      initialToken: bearerToken,
      cancelled: () => this.failure({ kind: "cancelled", messageKey: "cancelled" }),
      noCredentials: () => this.failure({ kind: "config", messageKey: "noCredentials" }),
    });
  }

  get loginCount(): number {
    return this.tokens.loginCount;
  }

  /** Fetches one event, logging in first when needed. `signal` cancels this request only. */
  async getEvent(eventId: string, signal?: AbortSignal): Promise<FlatpeakEvent> {
    const path = `/events/${encodeURIComponent(eventId)}`;
    const token = await this.tokens.get(signal);
    let response = await this.request(path, bearer(token), eventId, signal);
    if (isAuthRejection(response.status)) {
      if (!this.tokens.canLogin) throw this.statusFailure(response, eventId, "bearerRejected");
      // The token may have expired early or been revoked: log in once more and retry once.
      this.tokens.reject(token);
      const fresh = await this.tokens.get(signal);
      response = await this.request(path, bearer(fresh), eventId, signal);
      if (isAuthRejection(response.status)) throw this.statusFailure(response, eventId, "rejectedAfterLogin");
    }
    if (response.status !== 200) throw this.statusFailure(response, eventId);
    return this.readEvent(response, eventId);
  }

  /** Ends everything in flight and frees the sockets. The client is not used again. */
  close(): void {
    this.lifetime.abort();
    this.tokens.clear();
    this.transport.close();
  }

  private async login(accountId: string, apiKey: string): Promise<IssuedToken> {
    const basic = Buffer.from(`${accountId}:${apiKey}`, "utf8").toString("base64");
    const response = await this.request("/login", { Authorization: `Basic ${basic}` }, undefined, undefined);
    if (isAuthRejection(response.status)) throw this.statusFailure(response, undefined, "loginRefused");
    if (response.status !== 200) throw this.statusFailure(response);
    const body = parseJson(response.body) as Partial<LoginResponse> | undefined;
    if (!body || typeof body.bearer_token !== "string" || body.bearer_token.length === 0) {
      throw this.failure({ kind: "bad-response", messageKey: "loginInvalid", statusCode: response.status });
    }
    return { token: body.bearer_token, expiresInSeconds: typeof body.expires_in === "number" ? body.expires_in : undefined };
  }

  private async request(
    path: string,
    headers: Record<string, string>,
    eventId: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    const allHeaders = this.options.apiVersion ? { ...headers, "Flatpeak-Version": this.options.apiVersion } : headers;
    try {
      return await this.transport.get(this.options.baseUrl + path, allHeaders, [signal, this.lifetime.signal]);
    } catch (err) {
      if (!(err instanceof TransportFailure)) throw err;
      const problem = err.failure;
      switch (problem.problem) {
        case "timeout":
          throw this.failure({ kind: "timeout", messageKey: "timeout", eventId, vars: { seconds: this.options.timeoutMs / 1000 } });
        case "cancelled":
          throw this.failure({ kind: "cancelled", messageKey: "cancelled", eventId });
        case "too-large":
          throw this.failure({ kind: "bad-response", messageKey: "tooLarge", eventId });
        case "network":
          throw this.failure({
            kind: "network",
            messageKey: "network",
            eventId,
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
  private statusFailure(response: HttpResponse, eventId?: string, authKey?: string): FlatpeakError {
    const status = response.status;
    const api = readErrorBody(parseJson(response.body));
    const base: FailureDetails = {
      kind: "bad-response",
      messageKey: "unexpectedStatus",
      eventId,
      statusCode: status,
      apiCode: api.code && sanitizeServerText(api.code, this.secrets(), 60),
      apiMessage: api.message && sanitizeServerText(api.message, this.secrets()),
    };
    if (authKey) return this.failure({ ...base, kind: "auth", messageKey: authKey });
    if (status === 404) return this.failure({ ...base, kind: "not-found", messageKey: "notFound" });
    if (status === 422) return this.failure({ ...base, kind: "unprocessable", messageKey: unprocessableKey(api.code), vars: { version: this.options.apiVersion ?? "" } });
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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
