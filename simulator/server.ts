/**
 * A Flatpeak API simulator for tests and the demo: the login of each API
 * version (`GET /login` for zero and anode, `POST /auth/tokens` for busbar),
 * `GET /events`, `GET /events/{id}`, `GET /jwks.json`, `GET /locations` and
 * the prices of each version, as the docs describe them (see the fact sheet),
 * events created while it runs, signed webhook deliveries of them, plus
 * switchable faults. It speaks one dialect at a time (the account's version),
 * answers a pinned newer version in that version's dialect, and refuses the
 * other dialects' paths as missing. It runs on loopback only (and delivers
 * only to loopback) and keeps everything in memory.
 *
 * Control endpoints (for the demo and manual checks, e.g. with curl):
 *   POST   /_simulator/faults          body: a Fault as JSON
 *   DELETE /_simulator/faults          clear all faults
 *   POST   /_simulator/expire-tokens   make every issued token invalid
 *   POST   /_simulator/events          body: optional partial event; creates (and delivers) it, answers it
 *   POST   /_simulator/webhook-target  body: {"url": "http://127.0.0.1:1880/flatpeak"} ({} or null url: stop delivering)
 *   POST   /_simulator/rotate-key      body: optional {"keepPrevious": false}; answers the listed key IDs
 *   GET    /_simulator/stats           request counts
 */
import http from "node:http";
import { randomBytes, type KeyObject } from "node:crypto";
import type { AddressInfo, Socket } from "node:net";
import type { FlatpeakEvent } from "./types";
import { pathKind, priceBody, priceParams, SIMULATOR_VERSIONS, versionOf, type PathKind, type SimulatorDialect, type TokenField } from "./dialects";
import { extraLocations, locationObject, SIMULATOR_LOCATIONS, type SimLocation } from "./locations";
import { tariffRows } from "./prices";
import { SAMPLE_EVENTS } from "./sample-events";
import { DEFAULT_LIST_LIMIT, EventStore, MAX_LIST_LIMIT, type ListQuery, type NewEvent } from "./event-store";
import { SigningKeys, type Jwks } from "./signing";
import { Deliverer, type DeliveryOptions, type DeliveryRecord, type DeliveryResult } from "./webhooks";

export type { FlatpeakEvent } from "./types";
export type { NewEvent } from "./event-store";
export { signWebhook, type Jwks, type SigningJwk, type WebhookHeaders } from "./signing";
export type { DeliveryOptions, DeliveryRecord, DeliveryResult } from "./webhooks";

export const SIMULATOR_ACCOUNT_ID = "acc_simulator0000000000000001";
export const SIMULATOR_API_KEY = "sk_test_simulatorKey0000000000000001";

export { SIMULATOR_VERSIONS, versionOf, type SimulatorDialect, type TokenField } from "./dialects";
export { SIMULATOR_LOCATIONS, type SimLocation } from "./locations";

/** What a request is for; `login` is either version's login path, `prices` any version's prices path. */
export type Route = "login" | "event" | "list" | "jwks" | "prices" | "locations";

/**
 * One switchable misbehaviour. It applies to requests on `route` (all routes
 * when absent), only for `eventId` when given, and for the next `times`
 * requests (for ever when absent).
 */
export interface Fault {
  route?: Route;
  eventId?: string;
  /** Only for prices of this location. */
  locationId?: string;
  times?: number;
  /** Wait this long before answering (or misbehaving). */
  delayMs?: number;
  kind:
    | "status" // answer `status` with `body` (default: a Flatpeak error body for that status) and `headers`
    | "slow" // answer normally after `delayMs`
    | "hang" // never answer
    | "reset" // close the connection without an answer
    | "truncate" // send half the normal body, then close
    | "drip" // send the headers, then one byte of body every 100 ms, never finishing
    | "not-json" // 200 with an HTML body
    | "not-event" // 200 with JSON that is not an event
    | "not-list" // 200 with a list envelope whose `data` is not an array (or `body` when given)
    | "wrong-event" // 200 with a different event
    | "huge" // 200 with a body of `sizeBytes` (default 2 MiB), shaped for the route
    | "bad-rows"; // prices: 200 with some unusable rows among the good ones (or every row unusable with `status` 0)
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  sizeBytes?: number;
}

export interface SimulatorOptions {
  port?: number;
  host?: string;
  accountId?: string;
  apiKey?: string;
  /** `expires_in` of issued tokens. */
  tokenLifetimeSeconds?: number;
  /** Status for a missing, unknown or expired bearer token: Flatpeak documents 403. */
  authRejectionStatus?: 401 | 403;
  /**
   * The account's default API version (default busbar): where it logs in, how it
   * answers prices, and what `Flatpeak-Version` it names. A pinned newer version
   * is answered in that version's dialect; an older or unknown one gets 422.
   */
  dialect?: SimulatorDialect;
  /** Name the version in a `Flatpeak-Version` header on every answer (default true). */
  announceVersion?: boolean;
  /** What the login answer calls the token (default `bearer_token`). */
  tokenField?: TokenField;
  /** Leave `expires_in` out of the login answer: the token lasts until `expireTokens()`. */
  omitExpiresIn?: boolean;
  /** What another version's login path answers: 404 (default), or 403 as a gateway does for a path it does not route. */
  missingLoginStatus?: 404 | 403;
  /** Price rows of exactly this length (ms) in a repeating pattern, instead of the realistic day (for boundaries within seconds). */
  priceRowMs?: number;
  /** `next_update` of price answers, this long after the request (default 1 hour); null leaves it out. */
  priceNextUpdateMs?: number | null;
  /** More locations, for tests that follow several pages of `GET /locations`. */
  extraLocations?: number;
  events?: FlatpeakEvent[];
  /**
   * Answer any ID starting `evt_gen` with a full device event of that ID, so a
   * benchmark can ask for thousands of different events.
   */
  generateEvents?: boolean;
  /** Mode of the account's keys (`live_mode` in the login answer). */
  liveMode?: boolean;
  /** Create a new event this often (for the demo); at least 10 ms. Stopped by `close()`. */
  autoCreateEveryMs?: number;
  /** Deliver every created event as a signed webhook POST here (loopback only). */
  webhookUrl?: string;
  /** How long a delivery waits for the receiver's answer (Flatpeak: 10 s). */
  webhookTimeoutMs?: number;
  /** Most events kept; beyond it the oldest added are dropped, like retention (default 10 000). */
  maxEvents?: number;
}

export interface SimulatorStats {
  /** Requests to either login path. */
  logins: number;
  priceRequests: number;
  locationRequests: number;
  eventRequests: number;
  listRequests: number;
  jwksRequests: number;
  /** The latest webhook delivery attempts (at most 1000), oldest first. */
  deliveries: DeliveryRecord[];
  /** Every API request in order: route, auth scheme, version header and the status answered (none when the client gave up first). */
  requests: RequestRecord[];
  /** Requests whose connection closed before an answer was sent. */
  abandoned: number;
  /** API requests being answered right now, and the most there ever were at once. */
  concurrent: number;
  maxConcurrent: number;
}

export interface RequestRecord {
  route: Route | "other";
  method: string;
  path: string;
  /** A POST's JSON body, as parsed. */
  body?: Record<string, unknown>;
  /** The query string, without `?`. */
  query: string;
  auth: string;
  version?: string;
  status?: number;
}

export interface Simulator {
  readonly url: string;
  readonly stats: SimulatorStats;
  /** Every bearer token issued so far (for tests that check no token leaks). */
  readonly issuedTokens: readonly string[];
  addFault(fault: Fault): void;
  clearFaults(): void;
  /** Makes every issued token invalid, as if they had expired. */
  expireTokens(): void;
  /** `expires_in` (and real lifetime) of tokens issued from now on. */
  setTokenLifetime(seconds: number): void;
  addEvent(event: FlatpeakEvent): void;
  /**
   * Adds a new event, the newest (fresh `evt_` ID, `time_created` now, type
   * `device.update` with a yotta device unless given), delivers it to the
   * webhook target when one is set, and returns it.
   */
  createEvent(partial?: NewEvent): FlatpeakEvent;
  /** What `/jwks.json` serves: the current key first, then the previous one during a rotation. */
  jwks(): Jwks;
  /** The key deliveries are signed with now (to sign test deliveries with `signWebhook`). */
  readonly signingKey: { kid: string; privateKey: KeyObject };
  /** Makes a new signing key current and returns its ID; the old one stays listed unless `keepPrevious` is false. */
  rotateSigningKey(options?: { keepPrevious?: boolean }): string;
  /** Stops listing the previous key (the end of a rotation). */
  dropOldSigningKeys(): void;
  /** Where created events are delivered; undefined stops deliveries. Throws for a URL that is not loopback http. */
  setWebhookTarget(url: string | undefined): void;
  readonly webhookTarget: string | undefined;
  /**
   * Delivers one event (or raw body bytes, signed and sent exactly as given)
   * to the webhook target or `options.url`, and resolves with the receiver's
   * answer; rejects when none comes. `options` switch on delivery faults.
   */
  deliver(event: FlatpeakEvent | Buffer | string, options?: DeliveryOptions): Promise<DeliveryResult>;
  /** Calls `listener` after every delivery attempt ends; returns a function that unsubscribes. */
  onDelivery(listener: (record: DeliveryRecord) => void): () => void;
  resetStats(): void;
  /** Stops the server, the event timer and deliveries in flight. */
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const state = new SimulatorState(options);
  const server = http.createServer((req, res) => {
    state.handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { message: "Internal Server Error" });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject); // e.g. EADDRINUSE: reject instead of throwing out of the event loop
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  // Timers start only once listening, so a failed start leaves nothing running.
  state.startAutoCreate();

  return {
    url: `http://${host}:${port}`,
    get stats() {
      return state.stats;
    },
    get issuedTokens() {
      return state.issuedTokens;
    },
    addFault: (fault) => state.faults.push({ ...fault }),
    clearFaults: () => {
      state.faults.length = 0;
    },
    expireTokens: () => state.tokens.clear(),
    setTokenLifetime: (seconds) => {
      state.tokenLifetimeSeconds = seconds;
    },
    addEvent: (event) => state.events.add(event),
    createEvent: (partial) => state.createEvent(partial),
    jwks: () => state.keys.jwks(),
    get signingKey() {
      const { kid, privateKey } = state.keys.current;
      return { kid, privateKey };
    },
    rotateSigningKey: (rotation) => state.keys.rotate(rotation?.keepPrevious ?? true).kid,
    dropOldSigningKeys: () => state.keys.dropPrevious(),
    setWebhookTarget: (url) => state.deliverer.setTarget(url),
    get webhookTarget() {
      return state.deliverer.target?.href;
    },
    deliver: (event, deliveryOptions) => state.deliverer.deliver(event, deliveryOptions),
    onDelivery: (listener) => state.onDelivery(listener),
    resetStats: () => {
      state.stats = emptyStats();
    },
    close: () =>
      new Promise<void>((resolve) => {
        state.close();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const MAX_DELIVERY_RECORDS = 1000;
const MIN_AUTO_CREATE_MS = 10;

class SimulatorState {
  readonly faults: Fault[] = [];
  readonly tokens = new Map<string, number>();
  readonly issuedTokens: string[] = [];
  readonly events: EventStore;
  readonly locations: Map<string, SimLocation>;
  readonly keys = new SigningKeys();
  readonly deliverer: Deliverer;
  stats = emptyStats();
  closed = false;
  tokenLifetimeSeconds: number;
  private readonly accountId: string;
  private readonly apiKey: string;
  private readonly deliveryListeners = new Set<(record: DeliveryRecord) => void>();
  private autoCreateTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SimulatorOptions) {
    this.accountId = options.accountId ?? SIMULATOR_ACCOUNT_ID;
    this.apiKey = options.apiKey ?? SIMULATOR_API_KEY;
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
    this.events = new EventStore(options.events ?? SAMPLE_EVENTS, options.maxEvents ?? 10_000);
    const locations: SimLocation[] = [...Object.values(SIMULATOR_LOCATIONS), ...extraLocations(options.extraLocations ?? 0)];
    this.locations = new Map(locations.map((location) => [location.id, location]));
    this.deliverer = new Deliverer({
      keys: this.keys,
      version: this.accountVersion,
      timeoutMs: options.webhookTimeoutMs ?? 10_000,
      onRecord: (record) => this.recordDelivery(record),
    });
    // Checked here, before the server listens, so a bad option fails the start.
    if (options.webhookUrl !== undefined) this.deliverer.setTarget(options.webhookUrl);
    const every = options.autoCreateEveryMs;
    if (every !== undefined && !(Number.isFinite(every) && every >= MIN_AUTO_CREATE_MS)) {
      throw new Error(`autoCreateEveryMs must be a number of at least ${MIN_AUTO_CREATE_MS}`);
    }
  }

  startAutoCreate(): void {
    const every = this.options.autoCreateEveryMs;
    if (every === undefined || this.closed) return;
    this.autoCreateTimer = setInterval(() => this.createEvent(), every);
    // The server keeps a process alive while it is open; the timer alone must not.
    this.autoCreateTimer.unref();
  }

  createEvent(partial?: NewEvent): FlatpeakEvent {
    if (this.closed) throw new Error("simulator closed");
    const event = this.events.create(partial);
    // A failed delivery is already in stats.deliveries; creating the event has still worked.
    if (this.deliverer.target) this.deliverer.deliver(event).catch(() => undefined);
    return event;
  }

  onDelivery(listener: (record: DeliveryRecord) => void): () => void {
    this.deliveryListeners.add(listener);
    return () => this.deliveryListeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.autoCreateTimer);
    this.deliverer.close();
    this.deliveryListeners.clear();
  }

  private recordDelivery(record: DeliveryRecord): void {
    const deliveries = this.stats.deliveries;
    deliveries.push(record);
    if (deliveries.length > MAX_DELIVERY_RECORDS) deliveries.splice(0, deliveries.length - MAX_DELIVERY_RECORDS);
    for (const listener of this.deliveryListeners) listener(record);
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://simulator");
    if (url.pathname.startsWith("/_simulator/")) return this.control(req, res, url.pathname);

    const kind = pathKind(url.pathname);
    const route = kind?.route;
    const version = header(req, "flatpeak-version");
    const body = req.method === "POST" ? await readApiBody(req) : {};
    this.count(route, url.pathname, req, res, version, body);

    const subject = kind?.route === "event" ? kind.eventId : kind?.route === "prices" ? locationIdOf(kind, body) : undefined;
    const fault = route ? this.takeFault(route, subject) : undefined;
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (this.closed) return;
    if (fault && fault.kind !== "slow") return this.misbehave(fault, res, route, subject);

    if (!kind) return sendJson(res, 404, { message: "Not Found" });
    if (req.method !== kind.method && kind.route !== "login" && kind.route !== "prices") return sendJson(res, 405, { message: "Method Not Allowed" });
    // The key set is public and version-less: no token, no version check.
    if (kind.route === "jwks") return sendJson(res, 200, this.keys.jwks());
    const versionProblem = this.checkVersion(version);
    if (versionProblem) return sendJson(res, 422, versionProblem);
    const dialect = this.dialectFor(version);
    if (this.options.announceVersion !== false) res.setHeader("flatpeak-version", versionOf(dialect));

    if (kind.route === "login" || kind.route === "prices") {
      // Another version's path does not exist here; the right path with the wrong method is a 405.
      if (!kind.dialects.includes(dialect)) return this.missingPath(res, kind.route);
      if (req.method !== kind.method) return sendJson(res, 405, { message: "Method Not Allowed" });
    }
    if (kind.route === "login") return this.login(req, res);
    if (!this.isAuthorised(req)) return sendJson(res, this.options.authRejectionStatus ?? 403, { message: "Bad credentials" });
    switch (kind.route) {
      case "list":
        return this.list(url, res);
      case "locations":
        return this.listLocations(url, res, dialect);
      case "prices":
        return this.prices(dialect, kind, url, body, res);
      case "event": {
        const event = this.eventById(kind.eventId);
        return event ? sendJson(res, 200, event) : sendJson(res, 404, { message: "Not Found" });
      }
    }
  }

  /** The dialect a request is answered in: a pinned version's (already checked to be known and not older), else the account's. */
  private dialectFor(version: string | undefined): SimulatorDialect {
    return SIMULATOR_VERSIONS.find((entry) => entry.version === version)?.dialect ?? this.dialect;
  }

  private get dialect(): SimulatorDialect {
    return this.options.dialect ?? "busbar";
  }

  private missingPath(res: http.ServerResponse, route: "login" | "prices"): void {
    // Only login paths sit behind the optional gateway: a 403 on a prices path would read as a refused token.
    const status = route === "login" ? (this.options.missingLoginStatus ?? 404) : 404;
    sendJson(res, status, status === 403 ? { message: "Forbidden" } : { message: "Not Found" });
  }

  /** Records one API request in `stats`, and its status once answered. */
  private count(route: Route | undefined, path: string, req: http.IncomingMessage, res: http.ServerResponse, version: string | undefined, body: Record<string, unknown>): void {
    const method = req.method ?? "GET";
    const record: RequestRecord = { route: route ?? "other", method, path, query: (req.url ?? "").split("?")[1] ?? "", auth: authScheme(req), version };
    if (method === "POST") record.body = body;
    const stats = this.stats;
    stats.requests.push(record);
    stats.concurrent += 1;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, stats.concurrent);
    res.on("close", () => {
      stats.concurrent -= 1;
      if (res.writableFinished) record.status = res.statusCode;
      else stats.abandoned += 1;
    });
    if (route === "login") stats.logins += 1;
    if (route === "event") stats.eventRequests += 1;
    if (route === "list") stats.listRequests += 1;
    if (route === "jwks") stats.jwksRequests += 1;
    if (route === "prices") stats.priceRequests += 1;
    if (route === "locations") stats.locationRequests += 1;
  }

  private eventById(eventId: string): FlatpeakEvent | undefined {
    const stored = this.events.get(eventId);
    if (stored || !this.options.generateEvents || !eventId.startsWith("evt_gen")) return stored;
    return { ...SAMPLE_EVENTS[0], id: eventId };
  }

  private get accountVersion(): string {
    return versionOf(this.dialect);
  }

  private login(req: http.IncomingMessage, res: http.ServerResponse): void {
    const auth = header(req, "authorization") ?? "";
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(auth);
    const decoded = match ? Buffer.from(match[1], "base64").toString("utf8") : "";
    if (decoded !== `${this.accountId}:${this.apiKey}`) return sendJson(res, 403, { message: "Bad credentials" });
    const lifetime = this.tokenLifetimeSeconds;
    const token = fakeJwt(this.accountId, lifetime);
    const omitExpiry = this.options.omitExpiresIn === true;
    this.tokens.set(token, omitExpiry ? Number.POSITIVE_INFINITY : Date.now() + lifetime * 1000);
    this.issuedTokens.push(token);
    const answer: Record<string, unknown> = { [this.options.tokenField ?? "bearer_token"]: token, live_mode: this.options.liveMode ?? false };
    if (!omitExpiry) answer.expires_in = lifetime;
    sendJson(res, 200, answer);
  }

  private isAuthorised(req: http.IncomingMessage): boolean {
    const match = /^Bearer (\S+)$/.exec(header(req, "authorization") ?? "");
    const expiry = match ? this.tokens.get(match[1]) : undefined;
    return expiry !== undefined && Date.now() < expiry;
  }

  /** `GET /events`: newest first, cursors by ID, `limit` 1–100 (default 30), one `event_type`. */
  private list(url: URL, res: http.ServerResponse): void {
    const query = listQueryOf(url.searchParams);
    if (!query) {
      return sendJson(res, 400, errorObject("invalid_request", "limit_invalid", `limit must be an integer from 1 to ${MAX_LIST_LIMIT}`));
    }
    sendJson(res, 200, { object: "list", url: "/events", ...this.events.list(query) });
  }

  /** `GET /locations`: cursors by ID, `limit` 1–100 (default 30), each location in the dialect's shape. */
  private listLocations(url: URL, res: http.ServerResponse, dialect: SimulatorDialect): void {
    const query = listQueryOf(url.searchParams);
    if (!query) return sendJson(res, 400, errorObject("invalid_request", "limit_invalid", `limit must be an integer from 1 to ${MAX_LIST_LIMIT}`));
    const all = [...this.locations.values()];
    const from = query.startingAfter ? all.findIndex((location) => location.id === query.startingAfter) + 1 : 0;
    const page = all.slice(from, from + query.limit);
    sendJson(res, 200, { object: "list", url: "/locations", has_more: from + query.limit < all.length, data: page.map((location) => locationObject(location, dialect, this.accountId)) });
  }

  /** The prices of one location and direction in the dialect's shape, or the 4xx Flatpeak documents. */
  private prices(dialect: SimulatorDialect, kind: Extract<PathKind, { route: "prices" }>, url: URL, body: Record<string, unknown>, res: http.ServerResponse): void {
    const params = priceParams(dialect, kind, url.searchParams, body);
    const now = Date.now();
    const start = params.start === undefined ? now : typeof params.start === "string" ? Date.parse(params.start) : Number.NaN;
    const end = typeof params.end === "string" ? Date.parse(params.end) : Number.NaN;
    if (Number.isNaN(start) || Number.isNaN(end) || end <= start || end - start > 90 * 86_400_000) {
      return sendJson(res, 400, errorObject("invalid_request", "time_range_invalid", "start_time and end_time must be ISO 8601 times, end_time after start_time, at most 90 days apart"));
    }
    const direction = params.direction;
    if (direction !== "IMPORT" && direction !== "EXPORT") return sendJson(res, 400, errorObject("invalid_request", "tariff_direction_invalid", "tariff_direction must be IMPORT or EXPORT"));
    const location = typeof params.locationId === "string" ? this.locations.get(params.locationId) : undefined;
    if (!location) return sendJson(res, 404, { message: "Not Found" });
    const state = location.tariffs[direction];
    if (state === "NOT_CONNECTED") return sendJson(res, 422, errorObject("invalid_request", "no_tariff_connected", `No ${direction.toLowerCase()} tariff is connected for this location`));
    if (state === "PENDING") return sendJson(res, 422, errorObject("invalid_request", "pending_connect", "The tariff connection is pending: prices are not available yet"));
    const rows = tariffRows(location.timezone, direction, start, end, now, { rowMs: this.options.priceRowMs ?? location.rowMs });
    sendJson(res, 200, priceBody(dialect, this.priceEnvelope(location, direction, now), rows));
  }

  private priceEnvelope(location: SimLocation, direction: string, now: number): Parameters<typeof priceBody>[1] {
    const nextIn = this.options.priceNextUpdateMs === undefined ? 3_600_000 : this.options.priceNextUpdateMs;
    return {
      locationId: location.id,
      timezone: location.timezone,
      currency: location.currency_code,
      direction,
      lastUpdated: new Date(now).toISOString(),
      nextUpdate: nextIn === null ? undefined : new Date(now + nextIn).toISOString(),
      accountId: this.accountId,
    };
  }

  /**
   * A prices answer for the next 6 hours whose rows are partly unusable (no
   * times, a value that is not a number, the end before the start, not an
   * object), or, with `allBad`, only such rows.
   */
  private badRowsBody(locationId: string | undefined, allBad: boolean): { data: unknown[] } & Record<string, unknown> {
    const location = (locationId && this.locations.get(locationId)) || SIMULATOR_LOCATIONS.home;
    const now = Date.now();
    const start = Math.floor(now / 3_600_000) * 3_600_000;
    const good = allBad ? [] : tariffRows(location.timezone, "IMPORT", start, start + 6 * 3_600_000, now, { rowMs: this.options.priceRowMs });
    const at = (ms: number): string => new Date(start + ms).toISOString();
    const bad: Array<Record<string, unknown>> = [
      { valid_to: at(3_600_000), price: { value: 0.2, confidence: 1 } },
      { valid_from: at(0), valid_to: at(3_600_000), price: { value: "0.2x", confidence: 1 } },
      { valid_from: at(3_600_000), valid_to: at(0), price: { value: 0.2, confidence: 1 } },
      { valid_from: "yesterday", valid_to: at(3_600_000), price: { value: 0.2, confidence: 1 } },
      { valid_from: at(0), valid_to: at(3_600_000), tariff: { rate: 0.2 } },
    ];
    const body = priceBody(this.dialect, this.priceEnvelope(location, "IMPORT", now), [...good, ...bad]) as { data: unknown[] } & Record<string, unknown>;
    body.data.push(null, 42, "row");
    return body;
  }

  /** 422 `api_version_not_supported` for an unknown version or one older than the account's default. */
  private checkVersion(version: string | undefined): Record<string, unknown> | undefined {
    if (version === undefined) return undefined;
    const versions = SIMULATOR_VERSIONS.map((entry) => entry.version);
    const requested = versions.indexOf(version);
    if (requested >= 0 && requested >= versions.indexOf(this.accountVersion)) return undefined;
    return errorObject("invalid_request", "api_version_not_supported", `API version ${version} is not supported for this account`);
  }

  /** The first fault for this route (and event or location, `subject`), used up by one request when it has `times`. */
  private takeFault(route: Route, subject: string | undefined): Fault | undefined {
    const index = this.faults.findIndex(
      (f) =>
        (f.route === undefined || f.route === route) &&
        (f.eventId === undefined || f.eventId === subject) &&
        (f.locationId === undefined || f.locationId === subject),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index];
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.faults.splice(index, 1);
    }
    return fault;
  }

  private misbehave(fault: Fault, res: http.ServerResponse, route: Route | undefined, subject: string | undefined): void {
    switch (fault.kind) {
      case "hang":
        return;
      case "reset":
        res.socket?.destroy();
        return;
      case "truncate": {
        const body = JSON.stringify(this.normalBody(route, subject));
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
        res.write(body.slice(0, Math.floor(body.length / 2)));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      case "drip": {
        res.writeHead(200, { "Content-Type": "application/json" });
        const timer = setInterval(() => res.write(" "), 100);
        res.on("close", () => clearInterval(timer));
        return;
      }
      case "not-json":
        res.writeHead(200, { "Content-Type": "text/html" });
        res.end("<html><body><h1>502 Bad Gateway</h1></body></html>");
        return;
      case "not-event":
        return sendJson(res, 200, { hello: "world" });
      case "not-list":
        // The subtle case: it looks like a list until a client trusts `data` to be an array.
        return sendJson(res, 200, fault.body ?? { object: route === "prices" ? "price" : "list", url: "/events", has_more: false, data: { id: "evt_notAnArray" } });
      case "bad-rows":
        return sendJson(res, 200, this.badRowsBody(subject, fault.status === 0));
      case "wrong-event":
        return sendJson(res, 200, { ...SAMPLE_EVENTS[0], id: "evt_someOtherEvent000000000000" });
      case "huge":
        return sendJson(res, 200, hugeBody(route, subject, fault.sizeBytes ?? 2 * 1024 * 1024));
      case "status":
      case "slow": {
        const status = fault.status ?? 500;
        for (const [name, value] of Object.entries(fault.headers ?? {})) res.setHeader(name, value);
        if (typeof fault.body === "string" && !isBodiless(status)) {
          res.writeHead(status, { "Content-Type": "text/plain" });
          res.end(fault.body);
          return;
        }
        return sendJson(res, status, fault.body ?? defaultErrorBody(status));
      }
    }
  }

  /** What the route would answer without a fault (for `truncate`). */
  private normalBody(route: Route | undefined, subject: string | undefined): unknown {
    if (route === "event" && subject) return this.events.get(subject) ?? { message: "Not Found" };
    if (route === "jwks") return this.keys.jwks();
    if (route === "prices") return this.badRowsBody(subject, false);
    return { object: "list", url: "/events", ...this.events.list({ limit: DEFAULT_LIST_LIMIT }) };
  }

  private async control(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    try {
      await this.controlRoute(req, res, path);
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      sendJson(res, 400, { message: err.message });
    }
  }

  private async controlRoute(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const route = `${req.method ?? "GET"} ${path}`;
    switch (route) {
      case "POST /_simulator/faults": {
        const fault = (await readJson(req)) as Fault;
        if (typeof fault?.kind !== "string") throw new BadRequest("a fault needs a kind");
        this.faults.push(fault);
        return sendJson(res, 201, { faults: this.faults });
      }
      case "DELETE /_simulator/faults":
        this.faults.length = 0;
        return sendJson(res, 200, { faults: [] });
      case "POST /_simulator/expire-tokens":
        this.tokens.clear();
        return sendJson(res, 200, { expired: true });
      case "POST /_simulator/events": {
        const partial = newEventOf(await readJson(req));
        // e.g. an ID that already exists
        return sendJson(res, 201, tryOrBadRequest(() => this.createEvent(partial)));
      }
      case "POST /_simulator/webhook-target": {
        const { url } = asObject(await readJson(req), "a target");
        if (url !== undefined && url !== null && typeof url !== "string") throw new BadRequest("url must be a string or null");
        tryOrBadRequest(() => this.deliverer.setTarget(url ?? undefined));
        return sendJson(res, 200, { url: this.deliverer.target?.href ?? null });
      }
      case "POST /_simulator/rotate-key": {
        const { keepPrevious } = asObject(await readJson(req), "rotation options");
        this.keys.rotate(keepPrevious !== false);
        return sendJson(res, 200, { kid: this.keys.current.kid, keys: this.keys.jwks().keys.map((key) => key.kid) });
      }
      case "GET /_simulator/stats": {
        const { logins, eventRequests, listRequests, jwksRequests, priceRequests, locationRequests, deliveries } = this.stats;
        const webhookTarget = this.deliverer.target?.href ?? null;
        return sendJson(res, 200, { logins, eventRequests, listRequests, jwksRequests, priceRequests, locationRequests, deliveries: deliveries.slice(-20), webhookTarget, faults: this.faults });
      }
      default:
        return sendJson(res, 404, { message: "Not Found" });
    }
  }
}

/** A control request the simulator cannot act on: answered 400 with the reason. */
class BadRequest extends Error {}

/** `limit` 1–100 (default 30), cursors and filters; undefined for a bad `limit`. */
function listQueryOf(params: URLSearchParams): ListQuery | undefined {
  const limit = params.has("limit") ? Number(params.get("limit")) : DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) return undefined;
  return {
    limit,
    startingAfter: params.get("starting_after") || undefined,
    endingBefore: params.get("ending_before") || undefined,
    eventType: params.get("event_type") || undefined,
    objectId: params.get("object_id") || undefined,
  };
}

function hugeBody(route: Route | undefined, eventId: string | undefined, size: number): unknown {
  const event = { ...SAMPLE_EVENTS[0], id: eventId ?? SAMPLE_EVENTS[0].id, padding: "x".repeat(size) };
  if (route === "list") return { object: "list", url: "/events", has_more: false, data: [event] };
  if (route === "jwks") return { keys: [], padding: event.padding };
  return event;
}

/** A partial event from a control request: the fields the simulator relies on must have their types. */
function newEventOf(body: unknown): NewEvent {
  const partial = asObject(body, "an event");
  for (const field of ["id", "type"]) {
    if (partial[field] !== undefined && typeof partial[field] !== "string") throw new BadRequest(`${field} must be a string`);
  }
  const time = partial.time_created;
  if (time !== undefined && typeof time !== "string" && typeof time !== "number") throw new BadRequest("time_created must be a string or a number");
  return partial;
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new BadRequest(`the body must be ${what} as a JSON object`);
  return value as Record<string, unknown>;
}

function tryOrBadRequest<T>(action: () => T): T {
  try {
    return action();
  } catch (err) {
    throw new BadRequest(err instanceof Error ? err.message : String(err));
  }
}


/** The bodies Flatpeak documents: bare `{message}` for 403/404/500, the error object for 422/429. */
function defaultErrorBody(status: number): Record<string, unknown> {
  if (status === 403) return { message: "Bad credentials" };
  if (status === 404) return { message: "Not Found" };
  if (status === 422) return errorObject("invalid_request", "account_disabled", "Your account is disabled. Please check your subscription.");
  if (status === 429) return errorObject("rate_limit", "rate_limit", "Too many requests");
  if (status >= 500) return { message: "Internal Server Error" };
  return errorObject("invalid_request", "invalid_request", `Request failed with status ${status}`);
}

function errorObject(type: string, code: string, message: string): Record<string, unknown> {
  return { object: "error", live_mode: false, context: "api", type, code, message, time_created: new Date().toISOString().replace("Z", "") };
}

/** Looks like Flatpeak's HS256 JWT; the simulator only ever compares it as a string. */
function fakeJwt(accountId: string, lifetimeSeconds: number): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  const claims = { account_id: accountId, live_mode: false, iss: "FlatPeakAPI", sub: accountId, iat: now, nbf: now, exp: now + lifetimeSeconds };
  return `${encode({ alg: "HS256", typ: "JWT" })}.${encode(claims)}.${randomBytes(32).toString("base64url")}`;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  // HTTP forbids a body on these: Node 18's client waits for one that never counts as sent.
  if (isBodiless(status)) return void res.writeHead(status).end();
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** Statuses that carry no body (RFC 9110): 1xx, 204, 304. */
function isBodiless(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function authScheme(req: http.IncomingMessage): string {
  return (header(req, "authorization") ?? "").split(" ")[0] || "none";
}

const MAX_CONTROL_BODY_BYTES = 1024 * 1024;

/** An API request's JSON body as an object; anything else (empty, not JSON, too large, not an object) counts as empty. */
async function readApiBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  try {
    const body = await readJson(req);
    return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The location a prices request is for: in the path (zero, anode) or the body (busbar). */
function locationIdOf(kind: Extract<PathKind, { route: "prices" }>, body: Record<string, unknown>): string | undefined {
  if (kind.locationId !== undefined) return kind.locationId;
  return typeof body.location_id === "string" ? body.location_id : undefined;
}

/** A control request's JSON body; undefined when empty. Bounded, so a stray upload cannot fill memory. */
async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequest("the body is not JSON");
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
      if (text.length > MAX_CONTROL_BODY_BYTES) {
        reject(new BadRequest("the body is too large"));
        req.destroy();
      }
    });
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function emptyStats(): SimulatorStats {
  return {
    logins: 0,
    eventRequests: 0,
    listRequests: 0,
    jwksRequests: 0,
    priceRequests: 0,
    locationRequests: 0,
    deliveries: [],
    requests: [],
    abandoned: 0,
    concurrent: 0,
    maxConcurrent: 0,
  };
}
