/**
 * A Flatpeak API simulator for tests and the demo: `GET /login`, `GET /events`,
 * `GET /events/{id}` as the docs describe them (see the fact sheet), plus
 * switchable faults. It runs on loopback only and keeps everything in memory.
 *
 * Control endpoints (for the demo and manual checks, e.g. with curl):
 *   POST   /_simulator/faults          body: a Fault as JSON
 *   DELETE /_simulator/faults          clear all faults
 *   POST   /_simulator/expire-tokens   make every issued token invalid
 *   GET    /_simulator/stats           request counts
 */
import http from "node:http";
import { randomBytes } from "node:crypto";
import type { AddressInfo, Socket } from "node:net";
import type { FlatpeakEvent } from "../nodes/lib/types";
import { SAMPLE_EVENTS } from "./sample-events";

export const SIMULATOR_ACCOUNT_ID = "acc_simulator0000000000000001";
export const SIMULATOR_API_KEY = "sk_test_simulatorKey0000000000000001";

/** API versions the simulator knows, oldest first (full busbar/yotta strings are not documented). */
export const SIMULATOR_VERSIONS = ["2024-08-24.zero", "2025-09-14.anode", "busbar", "yotta"];

export type Route = "login" | "event" | "list";

/**
 * One switchable misbehaviour. It applies to requests on `route` (all routes
 * when absent), only for `eventId` when given, and for the next `times`
 * requests (for ever when absent).
 */
export interface Fault {
  route?: Route;
  eventId?: string;
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
    | "wrong-event" // 200 with a different event
    | "huge"; // 200 with a body of `sizeBytes` (default 2 MiB)
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
  /** The account's default API version; older requested versions get 422. */
  accountVersion?: string;
  events?: FlatpeakEvent[];
  /**
   * Answer any ID starting `evt_gen` with a full device event of that ID, so a
   * benchmark can ask for thousands of different events.
   */
  generateEvents?: boolean;
  /** Mode of the account's keys (`live_mode` in the login answer). */
  liveMode?: boolean;
}

export interface SimulatorStats {
  logins: number;
  eventRequests: number;
  listRequests: number;
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
  path: string;
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
  addEvent(event: FlatpeakEvent): void;
  resetStats(): void;
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
    addEvent: (event) => state.events.set(event.id, event),
    resetStats: () => {
      state.stats = emptyStats();
    },
    close: () =>
      new Promise<void>((resolve) => {
        state.closed = true;
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

class SimulatorState {
  readonly faults: Fault[] = [];
  readonly tokens = new Map<string, number>();
  readonly issuedTokens: string[] = [];
  readonly events = new Map<string, FlatpeakEvent>();
  stats = emptyStats();
  closed = false;
  private readonly accountId: string;
  private readonly apiKey: string;

  constructor(private readonly options: SimulatorOptions) {
    this.accountId = options.accountId ?? SIMULATOR_ACCOUNT_ID;
    this.apiKey = options.apiKey ?? SIMULATOR_API_KEY;
    for (const event of options.events ?? SAMPLE_EVENTS) this.events.set(event.id, event);
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://simulator");
    if (url.pathname.startsWith("/_simulator/")) return this.control(req, res, url.pathname);
    if (req.method !== "GET") return sendJson(res, 405, { message: "Method Not Allowed" });

    const route = routeOf(url.pathname);
    const eventId = route === "event" ? decodeURIComponent(url.pathname.slice("/events/".length)) : undefined;
    const version = header(req, "flatpeak-version");
    const record: RequestRecord = { route: route ?? "other", path: url.pathname, auth: authScheme(req), version };
    this.stats.requests.push(record);
    const stats = this.stats;
    stats.concurrent += 1;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, stats.concurrent);
    res.on("close", () => {
      stats.concurrent -= 1;
      if (res.writableFinished) record.status = res.statusCode;
      else stats.abandoned += 1;
    });
    if (route === "login") this.stats.logins += 1;
    if (route === "event") this.stats.eventRequests += 1;
    if (route === "list") this.stats.listRequests += 1;

    const fault = route ? this.takeFault(route, eventId) : undefined;
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (this.closed) return;
    if (fault && fault.kind !== "slow") return this.misbehave(fault, res, route, eventId);

    if (!route) return sendJson(res, 404, { message: "Not Found" });
    const versionProblem = this.checkVersion(version);
    if (versionProblem) return sendJson(res, 422, versionProblem);
    res.setHeader("flatpeak-version", version ?? this.accountVersion);

    if (route === "login") return this.login(req, res);
    if (!this.isAuthorised(req)) return sendJson(res, this.options.authRejectionStatus ?? 403, { message: "Bad credentials" });
    if (route === "list") return this.list(url, res);
    const event = eventId !== undefined ? this.eventById(eventId) : undefined;
    return event ? sendJson(res, 200, event) : sendJson(res, 404, { message: "Not Found" });
  }

  private eventById(eventId: string): FlatpeakEvent | undefined {
    const stored = this.events.get(eventId);
    if (stored || !this.options.generateEvents || !eventId.startsWith("evt_gen")) return stored;
    return { ...SAMPLE_EVENTS[0], id: eventId };
  }

  private get accountVersion(): string {
    return this.options.accountVersion ?? SIMULATOR_VERSIONS[SIMULATOR_VERSIONS.length - 1];
  }

  private login(req: http.IncomingMessage, res: http.ServerResponse): void {
    const auth = header(req, "authorization") ?? "";
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(auth);
    const decoded = match ? Buffer.from(match[1], "base64").toString("utf8") : "";
    if (decoded !== `${this.accountId}:${this.apiKey}`) return sendJson(res, 403, { message: "Bad credentials" });
    const lifetime = this.options.tokenLifetimeSeconds ?? 3600;
    const token = fakeJwt(this.accountId, lifetime);
    this.tokens.set(token, Date.now() + lifetime * 1000);
    this.issuedTokens.push(token);
    sendJson(res, 200, { bearer_token: token, expires_in: lifetime, live_mode: this.options.liveMode ?? false });
  }

  private isAuthorised(req: http.IncomingMessage): boolean {
    const match = /^Bearer (\S+)$/.exec(header(req, "authorization") ?? "");
    const expiry = match ? this.tokens.get(match[1]) : undefined;
    return expiry !== undefined && Date.now() < expiry;
  }

  /** `GET /events`: newest first, cursors by ID, `limit` 1–100 (default 30). */
  private list(url: URL, res: http.ServerResponse): void {
    const params = url.searchParams;
    const limit = params.has("limit") ? Number(params.get("limit")) : 30;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return sendJson(res, 400, errorObject("invalid_request", "limit_invalid", "limit must be an integer from 1 to 100"));
    }
    let events = [...this.events.values()].sort((a, b) => timeOf(b) - timeOf(a));
    const type = params.get("event_type");
    if (type) events = events.filter((e) => e.type === type);
    const objectId = params.get("object_id");
    if (objectId) events = events.filter((e) => (e.data as { id?: unknown } | undefined)?.id === objectId);
    const after = params.get("starting_after");
    const before = params.get("ending_before");
    let page: FlatpeakEvent[];
    let hasMore: boolean;
    if (after) {
      const rest = events.slice(events.findIndex((e) => e.id === after) + 1);
      page = rest.slice(0, limit);
      hasMore = rest.length > limit;
    } else if (before) {
      const index = events.findIndex((e) => e.id === before);
      const earlier = index < 0 ? [] : events.slice(0, index);
      page = earlier.slice(-limit);
      hasMore = earlier.length > limit;
    } else {
      page = events.slice(0, limit);
      hasMore = events.length > limit;
    }
    sendJson(res, 200, { object: "list", url: "/events", has_more: hasMore, data: page });
  }

  /** 422 `api_version_not_supported` for an unknown version or one older than the account's default. */
  private checkVersion(version: string | undefined): Record<string, unknown> | undefined {
    if (version === undefined) return undefined;
    const requested = SIMULATOR_VERSIONS.indexOf(version);
    if (requested >= 0 && requested >= SIMULATOR_VERSIONS.indexOf(this.accountVersion)) return undefined;
    return errorObject("invalid_request", "api_version_not_supported", `API version ${version} is not supported for this account`);
  }

  private takeFault(route: Route, eventId: string | undefined): Fault | undefined {
    const index = this.faults.findIndex(
      (f) => (f.route === undefined || f.route === route) && (f.eventId === undefined || f.eventId === eventId),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index];
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.faults.splice(index, 1);
    }
    return fault;
  }

  private misbehave(fault: Fault, res: http.ServerResponse, route: Route | undefined, eventId: string | undefined): void {
    switch (fault.kind) {
      case "hang":
        return;
      case "reset":
        res.socket?.destroy();
        return;
      case "truncate": {
        const body = JSON.stringify(this.normalBody(route, eventId));
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
      case "wrong-event":
        return sendJson(res, 200, { ...SAMPLE_EVENTS[0], id: "evt_someOtherEvent000000000000" });
      case "huge": {
        const size = fault.sizeBytes ?? 2 * 1024 * 1024;
        return sendJson(res, 200, { ...SAMPLE_EVENTS[0], id: eventId, padding: "x".repeat(size) });
      }
      case "status":
      case "slow": {
        const status = fault.status ?? 500;
        for (const [name, value] of Object.entries(fault.headers ?? {})) res.setHeader(name, value);
        if (typeof fault.body === "string") {
          res.writeHead(status, { "Content-Type": "text/plain" });
          res.end(fault.body);
          return;
        }
        return sendJson(res, status, fault.body ?? defaultErrorBody(status));
      }
    }
  }

  private normalBody(route: Route | undefined, eventId: string | undefined): unknown {
    if (route === "event" && eventId) return this.events.get(eventId) ?? { message: "Not Found" };
    return { object: "list", url: "/events", has_more: false, data: [...this.events.values()] };
  }

  private async control(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    if (path === "/_simulator/faults" && req.method === "POST") {
      const fault = JSON.parse(await readBody(req)) as Fault;
      this.faults.push(fault);
      return sendJson(res, 201, { faults: this.faults });
    }
    if (path === "/_simulator/faults" && req.method === "DELETE") {
      this.faults.length = 0;
      return sendJson(res, 200, { faults: [] });
    }
    if (path === "/_simulator/expire-tokens" && req.method === "POST") {
      this.tokens.clear();
      return sendJson(res, 200, { expired: true });
    }
    if (path === "/_simulator/stats" && req.method === "GET") {
      const { logins, eventRequests, listRequests } = this.stats;
      return sendJson(res, 200, { logins, eventRequests, listRequests, faults: this.faults });
    }
    sendJson(res, 404, { message: "Not Found" });
  }
}

function routeOf(path: string): Route | undefined {
  if (path === "/login") return "login";
  if (path === "/events") return "list";
  if (/^\/events\/[^/]+$/.test(path)) return "event";
  return undefined;
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
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function authScheme(req: http.IncomingMessage): string {
  return (header(req, "authorization") ?? "").split(" ")[0] || "none";
}

function timeOf(event: FlatpeakEvent): number {
  const time = event.time_created;
  if (typeof time === "number") return time * 1000;
  return typeof time === "string" ? Date.parse(time) || 0 : 0;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (text += chunk));
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function emptyStats(): SimulatorStats {
  return { logins: 0, eventRequests: 0, listRequests: 0, requests: [], abandoned: 0, concurrent: 0, maxConcurrent: 0 };
}
