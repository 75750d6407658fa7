/**
 * The one place that knows how Flatpeak's API versions differ (fact sheet
 * sections 7 and 8): where each logs in, how each asks for prices, and how each
 * shapes a prices answer. Pure: the token manager and the client ask it what
 * to send and how to read what came back.
 *
 * Versions are strings like `2026-08-01.busbar`. Events, the events list and
 * the signing keys are the same in every version, so nothing else here.
 */
import type { ApiRequest } from "./requester";
import { isPlainObject } from "./responses";

/** A family of versions that log in and ask for prices the same way. */
export type Dialect = "zero" | "anode" | "busbar";

/** The order in which prices are tried when the account's version is not known: newest first. */
export const PRICE_DIALECT_ORDER: readonly Dialect[] = ["busbar", "anode", "zero"];

/** The versions the docs name, with the date each was seen with (anode also appears as 2025-08-01). */
const NAMED_DIALECTS: Readonly<Record<string, Dialect>> = { zero: "zero", anode: "anode", busbar: "busbar" };
/** Named after busbar in the docs, without a documented price request of their own: treated as busbar. */
const LATER_NAMES: ReadonlySet<string> = new Set(["yotta"]);
/** Where a bare date falls: before anode's earliest date it is zero, before busbar's it is anode. */
const ANODE_FROM = "2025-08-01";
const BUSBAR_FROM = "2026-08-01";

const VERSION_PATTERN = /^(?:(\d{4}-\d{2}-\d{2}))?(?:\.?([a-z][a-z0-9_-]*))?$/;

/**
 * The dialect a version string speaks, or undefined when it cannot be told
 * (empty, or an unknown name dated before busbar). A known name decides; an
 * unknown name or a bare date is placed by its date, as versions are dated.
 */
export function dialectOfVersion(version: string | undefined): Dialect | undefined {
  const match = VERSION_PATTERN.exec((version ?? "").trim().toLowerCase());
  if (!match || (!match[1] && !match[2])) return undefined;
  const [, date, name] = match;
  if (name !== undefined) {
    if (NAMED_DIALECTS[name]) return NAMED_DIALECTS[name];
    if (LATER_NAMES.has(name)) return "busbar";
    // An unknown name: only a date at or after busbar's says it is a later version.
    return date !== undefined && date >= BUSBAR_FROM ? "busbar" : undefined;
  }
  if (date < ANODE_FROM) return "zero";
  return date < BUSBAR_FROM ? "anode" : "busbar";
}

// ---------------------------------------------------------------- login

export interface LoginRoute {
  request: ApiRequest;
  /** `POST /auth/tokens`: how messages and Test connection name it. */
  label: string;
}

const TOKENS_ROUTE: LoginRoute = { request: { method: "POST", path: "/auth/tokens" }, label: "POST /auth/tokens" };
const LEGACY_LOGIN_ROUTE: LoginRoute = { request: { method: "GET", path: "/login" }, label: "GET /login" };

/**
 * Where to log in, in the order to try. A pinned zero or anode version logs in
 * at `GET /login`; a pinned busbar, later or unknown version at `POST /auth/tokens`.
 * Without a pinned version both are tried, the newer first.
 */
export function loginRoutesFor(pinnedVersion: string | undefined): readonly LoginRoute[] {
  if (!pinnedVersion) return [TOKENS_ROUTE, LEGACY_LOGIN_ROUTE];
  const dialect = dialectOfVersion(pinnedVersion);
  return dialect === "zero" || dialect === "anode" ? [LEGACY_LOGIN_ROUTE] : [TOKENS_ROUTE];
}

/**
 * An answer that lets the next login route be tried: the path is missing
 * (404, 405), or a gateway refused a path it does not route (401, 403).
 */
export function triesNextLoginRoute(status: number): boolean {
  return status === 404 || status === 405 || status === 401 || status === 403;
}

/** What a login answer holds, whatever the version calls it. */
export interface TokenAnswer {
  token: string;
  expiresInSeconds?: number;
  liveMode?: boolean;
}

/** The token from `bearer_token`, else `access_token`, else `token`; undefined when none is a non-empty string. */
export function readTokenAnswer(body: unknown): TokenAnswer | undefined {
  if (!isPlainObject(body)) return undefined;
  const token = [body.bearer_token, body.access_token, body.token].find((value): value is string => typeof value === "string" && value.length > 0);
  if (token === undefined) return undefined;
  const expiresIn = body.expires_in;
  return {
    token,
    expiresInSeconds: typeof expiresIn === "number" && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : undefined,
    liveMode: typeof body.live_mode === "boolean" ? body.live_mode : undefined,
  };
}

// ---------------------------------------------------------------- prices

export type PriceDirection = "IMPORT" | "EXPORT";

export interface PriceQuery {
  /** `loc_…`, already checked. */
  locationId: string;
  direction: PriceDirection;
  /** UTC instants, epoch milliseconds. */
  start: number;
  end: number;
}

/** One row as a dialect gives it, before anyone has checked it: the price node decides what is usable. */
export interface RawPriceRow {
  start: unknown;
  end: unknown;
  value: unknown;
  confidence: unknown;
}

/** A prices answer in one shape, whatever the dialect. Envelope fields are kept only when they are strings. */
export interface PriceAnswer {
  dialect: Dialect;
  locationId?: string;
  timezone?: string;
  currency?: string;
  direction?: string;
  updated?: string;
  nextUpdate?: string;
  rows: RawPriceRow[];
}

/** The request for prices in `dialect` (fact sheet section 8). */
export function priceRequest(dialect: Dialect, query: PriceQuery): ApiRequest {
  const start = isoSeconds(query.start);
  const end = isoSeconds(query.end);
  const location = encodeURIComponent(query.locationId);
  switch (dialect) {
    case "zero": {
      const params = new URLSearchParams({ start_time: start, end_time: end, direction: query.direction });
      return { method: "GET", path: `/tariffs/rates/${location}?${params.toString()}` };
    }
    case "anode":
      return { method: "POST", path: `/prices/${location}`, body: { start_time: start, end_time: end, tariff_direction: query.direction } };
    case "busbar":
      return { method: "POST", path: "/prices", body: { location_id: query.locationId, start_time: start, end_time: end, tariff_direction: query.direction } };
  }
}

/** An answer that says this dialect's price path does not exist here, so the next may be tried. */
export function triesNextPriceDialect(status: number): boolean {
  return status === 404 || status === 405;
}

/** A prices answer read in `dialect`; undefined when it has no `data` list. */
export function readPriceAnswer(dialect: Dialect, body: unknown): PriceAnswer | undefined {
  if (!isPlainObject(body) || !Array.isArray(body.data)) return undefined;
  const text = (value: unknown): string | undefined => (typeof value === "string" && value.length > 0 ? value : undefined);
  return {
    dialect,
    locationId: text(body.location_id),
    timezone: text(body.location_timezone),
    currency: text(body.currency_code),
    direction: text(body.tariff_direction) ?? text(body.direction),
    updated: text(body.last_updated),
    nextUpdate: text(body.next_update),
    rows: (body.data as unknown[]).map((row) => readRow(dialect, row)),
  };
}

/** zero: `{valid_from, valid_to, tariff: {rate, confidence}}`; anode and busbar: `{valid_from, valid_to, price: {value, confidence}}`. */
function readRow(dialect: Dialect, row: unknown): RawPriceRow {
  if (!isPlainObject(row)) return { start: undefined, end: undefined, value: undefined, confidence: undefined };
  const inner = dialect === "zero" ? row.tariff : row.price;
  const priceObject = isPlainObject(inner) ? inner : {};
  return {
    start: row.valid_from,
    end: row.valid_to,
    value: dialect === "zero" ? priceObject.rate : priceObject.value,
    confidence: priceObject.confidence,
  };
}

/** `2026-12-04T22:00:00Z`: whole seconds, as the docs' examples write times. */
function isoSeconds(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
