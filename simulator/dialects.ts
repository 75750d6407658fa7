/**
 * How the simulator speaks each API version (fact sheet sections 7 and 8):
 * where it logs in, where it answers prices and in which shape. The package
 * has its own table (nodes/lib/client/dialects.ts); this one is written from
 * the docs separately, so a mistake in one shows up against the other.
 */
import type { PriceRow } from "./prices";

export type SimulatorDialect = "zero" | "anode" | "busbar";

/** The versions the simulator knows, oldest first: pinning an older one than the account's answers 422. */
export const SIMULATOR_VERSIONS: ReadonlyArray<{ version: string; dialect: SimulatorDialect }> = [
  { version: "2024-08-24.zero", dialect: "zero" },
  { version: "2025-09-14.anode", dialect: "anode" },
  { version: "2026-08-01.busbar", dialect: "busbar" },
];

export function versionOf(dialect: SimulatorDialect): string {
  return SIMULATOR_VERSIONS.find((entry) => entry.dialect === dialect)!.version;
}

/** Which kind of API path a request is for; a path of another dialect than the one in force is answered as missing. */
export type PathKind =
  | { route: "login"; dialects: SimulatorDialect[]; method: "GET" | "POST" }
  | { route: "prices"; dialects: SimulatorDialect[]; method: "GET" | "POST"; locationId?: string }
  | { route: "locations"; method: "GET" }
  | { route: "event"; method: "GET"; eventId: string }
  | { route: "list"; method: "GET" }
  | { route: "jwks"; method: "GET" };

export function pathKind(path: string): PathKind | undefined {
  if (path === "/login") return { route: "login", dialects: ["zero", "anode"], method: "GET" };
  if (path === "/auth/tokens") return { route: "login", dialects: ["busbar"], method: "POST" };
  if (path === "/prices") return { route: "prices", dialects: ["busbar"], method: "POST" };
  const anode = /^\/prices\/([^/]+)$/.exec(path);
  if (anode) return { route: "prices", dialects: ["anode"], method: "POST", locationId: decodeURIComponent(anode[1]) };
  const zero = /^\/tariffs\/rates\/([^/]+)$/.exec(path);
  if (zero) return { route: "prices", dialects: ["zero"], method: "GET", locationId: decodeURIComponent(zero[1]) };
  if (path === "/locations") return { route: "locations", method: "GET" };
  if (path === "/events") return { route: "list", method: "GET" };
  if (/^\/events\/[^/]+$/.test(path)) return { route: "event", method: "GET", eventId: decodeURIComponent(path.slice("/events/".length)) };
  if (path === "/jwks.json") return { route: "jwks", method: "GET" };
  return undefined;
}

/** What a login answer calls the token; busbar's name is not documented, so each is possible. */
export type TokenField = "bearer_token" | "access_token" | "token";

/** A price request's parameters, from the query (zero) or the JSON body (anode, busbar). */
export interface PriceParams {
  locationId?: unknown;
  start?: unknown;
  end?: unknown;
  direction?: unknown;
}

export function priceParams(dialect: SimulatorDialect, kind: { locationId?: string }, query: URLSearchParams, body: Record<string, unknown>): PriceParams {
  if (dialect === "zero") {
    return { locationId: kind.locationId, start: query.get("start_time") ?? undefined, end: query.get("end_time") ?? undefined, direction: query.get("direction") ?? "IMPORT" };
  }
  return {
    locationId: dialect === "busbar" ? body.location_id : kind.locationId,
    start: body.start_time,
    end: body.end_time,
    direction: body.tariff_direction ?? "IMPORT",
  };
}

export interface PriceEnvelope {
  locationId: string;
  timezone: string;
  currency: string;
  direction: string;
  lastUpdated: string;
  nextUpdate?: string;
  accountId: string;
}

/** A prices answer in the dialect's shape: zero calls it a tariff rate with `tariff.rate`, later versions a price with `price.value`. */
export function priceBody(dialect: SimulatorDialect, envelope: PriceEnvelope, rows: Array<PriceRow | Record<string, unknown>>): Record<string, unknown> {
  const common = {
    live_mode: false,
    location_id: envelope.locationId,
    location_timezone: envelope.timezone,
    currency_code: envelope.currency,
    last_updated: envelope.lastUpdated,
    ...(envelope.nextUpdate ? { next_update: envelope.nextUpdate } : {}),
    time_created: new Date().toISOString(),
    account_id: envelope.accountId,
  };
  const data = rows.map((row) => (isPriceRow(row) ? rowIn(dialect, row) : row));
  if (dialect === "zero") return { id: "rts_6650a1b2c3d4e5f6a7b8c0f1", object: "tariff_rate", ...common, direction: envelope.direction, data };
  return { id: "prc_6650a1b2c3d4e5f6a7b8c0f2", object: "price", ...common, tariff_direction: envelope.direction, data };
}

function rowIn(dialect: SimulatorDialect, row: PriceRow): Record<string, unknown> {
  const times = { valid_from: iso(row.start), valid_to: iso(row.end) };
  if (dialect === "zero") return { ...times, tariff: { rate: row.value, confidence: row.confidence }, carbon: { intensity: 180, unit: "gCO2/kWh" } };
  return { ...times, price: { value: row.value, confidence: row.confidence } };
}

function isPriceRow(row: PriceRow | Record<string, unknown>): row is PriceRow {
  return typeof row.start === "number" && typeof row.end === "number";
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(".000Z", "Z");
}
