/**
 * The Flatpeak API as this package uses it: fetch an event, list events,
 * fetch prices and locations, check the connection. Every outcome is either a checked event or a FlatpeakError that
 * says what happened in words a Node-RED user understands.
 *
 * A fetch goes: cache → admission (bounded) → one shared request per event ID
 * → retries with backoff → a turn in the limiter → token → HTTP (→ at most one
 * re-login on 401/403).
 */
import { EventCache } from "./event-cache";
import type { HttpResponse } from "./http";
import type { Translator } from "../i18n";
import { dialectOfVersion, PRICE_DIALECT_ORDER, priceRequest, readPriceAnswer, triesNextPriceDialect, type Dialect, type PriceAnswer, type PriceQuery } from "./dialects";
import { isFlatpeakError } from "./errors";
import { PriceHolds } from "./price-holds";
import { FlatpeakRequester, getRequest, isAuthRejection, type ApiRequest, type RequestTarget } from "./requester";
import { checkEvent, copyJson, isPlainObject, parseJson, readListPage, type ListPage } from "./responses";
import type { RetryPolicy } from "./retry";
import { SharedRequests } from "./shared-requests";
import { TokenManager } from "./tokens";
import type { FlatpeakEvent } from "../types";

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
  translate: Translator<"flatpeak-config">;
  userAgent: string;
  retry: RetryPolicy;
  /** Requests to Flatpeak at the same time, and how many more callers may wait. */
  concurrency: number;
  queueSize: number;
  /** Events kept in memory; 0 turns the cache off. */
  cacheSize: number;
}

export interface ListQuery {
  /** 1–100. */
  limit: number;
  /** The last (oldest) ID of the page before: asks for the next, older page. */
  startingAfter?: string;
  /** Only this type, filtered by Flatpeak. */
  eventType?: string;
}

export interface ConnectionInfo {
  /** From the login answer: whether the key is a live (not test) key. Unknown with a bearer token given directly. */
  liveMode?: boolean;
  /** The API version pinned, or the one Flatpeak's answers named. */
  version?: string;
  /** Where the login worked (`POST /auth/tokens`); unknown with a bearer token given directly. */
  loginRoute?: string;
}

/** `GET /locations` pages followed for the location picker: up to 1000 locations. */
const MAX_LOCATION_PAGES = 10;
const LOCATION_PAGE_SIZE = 100;

/**
 * Deeper than this and copying the message per output (Node-RED clones
 * recursively) could overflow the stack: such a body is refused, never cached.
 * Flatpeak events are four or five levels deep.
 */
export const MAX_EVENT_DEPTH = 64;

export class FlatpeakClient {
  private readonly requester: FlatpeakRequester;
  private readonly tokens: TokenManager;
  private readonly cache: EventCache;
  private readonly inFlight = new SharedRequests<FlatpeakEvent>();
  /** Callers between asking and their answer: joined, sleeping before a retry, or queued. Bounded like the queue. */
  private waiting = 0;
  private readonly maxWaiting: number;
  private readonly pinnedVersion: string | undefined;
  /** The prices dialect found by trying, when no version said which: kept, so later fetches take one request. */
  private probedPriceDialect: Dialect | undefined;
  private readonly priceHolds: PriceHolds;

  constructor(options: ClientOptions) {
    this.requester = new FlatpeakRequester(options);
    this.cache = new EventCache(options.cacheSize);
    this.maxWaiting = options.concurrency + options.queueSize;
    this.priceHolds = new PriceHolds();
    const { accountId, apiKey, bearerToken } = options.credentials;
    this.pinnedVersion = options.apiVersion;
    this.tokens = new TokenManager({ requester: this.requester, accountId, apiKey, initialToken: bearerToken, pinnedVersion: options.apiVersion });
  }

  /**
   * Fetches one event. `signal` cancels this caller's wait; the fetch goes on while others wait for it.
   * Each caller gets its own copy: what it changes reaches neither the cache nor another caller.
   */
  async getEvent(eventId: string, signal?: AbortSignal): Promise<FlatpeakEvent> {
    const cached = this.cache.get(eventId);
    if (cached) return copyJson(cached);
    if (this.waiting >= this.maxWaiting) throw this.requester.queueFull();
    this.waiting += 1;
    try {
      return copyJson(await this.inFlight.join(eventId, signal, (shared) => this.fetchAndCache(eventId, shared)));
    } finally {
      this.waiting -= 1;
    }
  }

  /**
   * Logs in (if needed) and lists one event: proves the base URL, credentials
   * and API version work, without needing an event ID (the editor's
   * "Test connection" button).
   */
  async checkConnection(signal?: AbortSignal): Promise<ConnectionInfo> {
    const target: RequestTarget = { operation: "connection" };
    const response = await this.authorizedSend(getRequest("/events?limit=1"), target, signal ?? this.requester.closing);
    if (response.status !== 200) throw this.requester.statusFailure(response, target);
    const body = parseJson(response.body);
    if (!isPlainObject(body) || body.object !== "list") {
      throw this.requester.failure({ kind: "bad-response", messageKey: "notList", statusCode: response.status, ...target });
    }
    return { liveMode: this.tokens.liveMode, version: this.accountVersion, loginRoute: this.tokens.loginRoute };
  }

  /** The API version requests are served in: the pinned one, else the one Flatpeak's answers named. */
  get accountVersion(): string | undefined {
    return this.pinnedVersion ?? this.requester.announcedVersion;
  }

  /**
   * One page of `GET /events`, newest first. Retried and limited like an event
   * fetch; a body that is not a list is a bad response.
   */
  async listEvents(query: ListQuery, signal: AbortSignal): Promise<ListPage> {
    const target: RequestTarget = { operation: "list" };
    const params = new URLSearchParams({ limit: String(query.limit) });
    if (query.startingAfter) params.set("starting_after", query.startingAfter);
    if (query.eventType) params.set("event_type", query.eventType);
    return this.requester.retrying(() => this.requester.limiter.run(() => this.fetchList(`/events?${params.toString()}`, target, signal), signal), signal);
  }

  /**
   * The prices of one location and direction, asked in the account's dialect
   * (dialects.ts): the pinned version's, else the one Flatpeak's answers name,
   * else each in turn until one has the path, kept from then on. Retried and
   * limited like an event fetch. After a 422 that says the location has no
   * prices, the same error answers for 15 minutes without a request, as
   * Flatpeak asks.
   */
  async getPrices(query: PriceQuery, signal: AbortSignal): Promise<PriceAnswer> {
    const held = this.priceHolds.held(query);
    if (held) throw held;
    if (this.waiting >= this.maxWaiting) throw this.requester.queueFull();
    this.waiting += 1;
    try {
      return await this.requester.retrying(() => this.requester.limiter.run(() => this.fetchPrices(query, signal), signal), signal);
    } catch (err) {
      if (isFlatpeakError(err) && err.kind === "no-prices") this.priceHolds.hold(query, err);
      throw err;
    } finally {
      this.waiting -= 1;
    }
  }

  /**
   * The account's locations (`GET /locations`), following the pages up to
   * MAX_LOCATION_PAGES of 100. Each item as listed: the caller picks the fields.
   */
  async listLocations(signal: AbortSignal): Promise<unknown[]> {
    const target: RequestTarget = { operation: "locations" };
    const locations: unknown[] = [];
    let startingAfter: string | undefined;
    for (let pages = 0; pages < MAX_LOCATION_PAGES; pages += 1) {
      const params = new URLSearchParams({ limit: String(LOCATION_PAGE_SIZE) });
      if (startingAfter) params.set("starting_after", startingAfter);
      const page = await this.requester.retrying(() => this.requester.limiter.run(() => this.fetchList(`/locations?${params.toString()}`, target, signal), signal), signal);
      locations.push(...page.data);
      const last = page.data[page.data.length - 1];
      startingAfter = isPlainObject(last) && typeof last.id === "string" ? last.id : undefined;
      if (!page.has_more || !startingAfter) break;
    }
    return locations;
  }

  /**
   * The webhook signing keys (`GET /jwks.json`, public: no token). One attempt,
   * no retries: a webhook delivery waits for it, and Flatpeak gives up after 10 s.
   */
  async fetchSigningKeys(signal?: AbortSignal): Promise<unknown> {
    const target: RequestTarget = { operation: "keys" };
    const response = await this.requester.send(getRequest("/jwks.json"), {}, target, signal ?? this.requester.closing);
    if (response.status !== 200) throw this.requester.statusFailure(response, target);
    const body = parseJson(response.body);
    if (body === undefined) throw this.requester.failure({ kind: "bad-response", messageKey: "notJson", statusCode: response.status, ...target });
    return body;
  }

  /** Ends everything in flight and frees the sockets. The client is not used again. */
  close(): void {
    this.requester.close();
    this.inFlight.abortAll();
    this.tokens.clear();
    this.cache.clear();
  }

  /** The dialect to ask prices in, when something says which: the pinned version, the announced one, or what trying found. */
  private priceDialect(): Dialect | undefined {
    return dialectOfVersion(this.pinnedVersion) ?? dialectOfVersion(this.requester.announcedVersion) ?? this.probedPriceDialect;
  }

  /** One attempt at the prices: one request when the dialect is known, else each dialect's path until one exists. */
  private async fetchPrices(query: PriceQuery, signal: AbortSignal): Promise<PriceAnswer> {
    const target: RequestTarget = { operation: "prices", locationId: query.locationId, vars: { direction: query.direction.toLowerCase() } };
    // Logged in first: the login's answer may name the account's version, which saves trying dialects.
    await this.tokens.get(signal);
    const known = this.priceDialect();
    const dialects = known ? [known] : PRICE_DIALECT_ORDER;
    for (const [index, dialect] of dialects.entries()) {
      const response = await this.authorizedSend(priceRequest(dialect, query), target, signal);
      const last = index === dialects.length - 1;
      if (response.status !== 200) {
        if (!last && triesNextPriceDialect(response.status)) continue;
        throw this.requester.statusFailure(response, target);
      }
      const answer = readPriceAnswer(dialect, parseJson(response.body));
      if (!answer) throw this.requester.failure({ kind: "bad-response", messageKey: "notPrices", statusCode: response.status, ...target });
      if (!known) this.probedPriceDialect = dialect;
      return answer;
    }
    // Unreachable: the last dialect either returned or threw.
    throw this.requester.failure({ kind: "bad-response", messageKey: "notPrices", ...target });
  }

  private async fetchList(path: string, target: RequestTarget, signal: AbortSignal): Promise<ListPage> {
    const response = await this.authorizedSend(getRequest(path), target, signal);
    if (response.status !== 200) throw this.requester.statusFailure(response, target);
    const page = readListPage(parseJson(response.body));
    if (!page) throw this.requester.failure({ kind: "bad-response", messageKey: "notList", statusCode: response.status, ...target });
    return page;
  }

  private async fetchAndCache(eventId: string, signal: AbortSignal): Promise<FlatpeakEvent> {
    const event = await this.requester.retrying(() => this.requester.limiter.run(() => this.fetchEvent(eventId, signal), signal), signal);
    this.cache.set(eventId, event);
    return event;
  }

  /** One attempt at fetching an event. */
  private async fetchEvent(eventId: string, signal: AbortSignal): Promise<FlatpeakEvent> {
    const target = { eventId };
    const response = await this.authorizedSend(getRequest(`/events/${encodeURIComponent(eventId)}`), target, signal);
    if (response.status !== 200) throw this.requester.statusFailure(response, target);
    return this.readEvent(response, eventId);
  }

  /** A request with the bearer token; on 401/403 at most one fresh login and one retry, as Flatpeak tokens can expire early. */
  private async authorizedSend(request: ApiRequest, target: RequestTarget, signal: AbortSignal): Promise<HttpResponse> {
    const token = await this.tokens.get(signal);
    const response = await this.requester.send(request, bearer(token), target, signal);
    if (!isAuthRejection(response.status)) {
      this.tokens.accepted(token);
      return response;
    }
    if (!this.tokens.rejected(token)) {
      throw this.requester.statusFailure(response, target, this.tokens.canLogin ? "rejectedAfterLogin" : "bearerRejected");
    }
    const fresh = await this.tokens.get(signal);
    const retried = await this.requester.send(request, bearer(fresh), target, signal);
    if (isAuthRejection(retried.status)) throw this.requester.statusFailure(retried, target, "rejectedAfterLogin");
    this.tokens.accepted(fresh);
    return retried;
  }

  private readEvent(response: HttpResponse, eventId: string): FlatpeakEvent {
    const body = parseJson(response.body);
    const details = { kind: "bad-response" as const, eventId, statusCode: response.status };
    if (body === undefined) throw this.requester.failure({ ...details, messageKey: "notJson" });
    const check = checkEvent(body, eventId);
    if (check === "not-event") throw this.requester.failure({ ...details, messageKey: "notEvent" });
    if (check === "wrong-event") {
      const other = this.requester.secrets.clean(String((body as { id: unknown }).id), 80);
      throw this.requester.failure({ ...details, messageKey: "wrongEvent", vars: { other } });
    }
    if (depthExceeds(body, MAX_EVENT_DEPTH)) throw this.requester.failure({ ...details, messageKey: "tooDeep", vars: { depth: MAX_EVENT_DEPTH } });
    return body as FlatpeakEvent;
  }
}

function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/** Whether `value` nests objects or arrays deeper than `limit`; iterative, so a hostile body cannot overflow the stack here. */
export function depthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== "object" || current === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current)) {
      if (typeof child === "object" && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}
