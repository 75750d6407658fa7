/**
 * The simulator's locations (`GET /locations`, fact sheet section 8): one with
 * import and export tariffs, one with import only, one whose first tariff
 * access is still pending, and one in another time zone and currency.
 */
import type { SimulatorDialect } from "./dialects";

export type TariffState = "CONNECTED" | "NOT_CONNECTED" | "PENDING";

export interface SimLocation {
  id: string;
  reference_id: string;
  postal_address: { address_line1: string; city: string; post_code: string; country_code: string };
  timezone: string;
  currency_code: string;
  tariffs: { IMPORT: TariffState; EXPORT: TariffState };
  /** Prices in rows of this length (ms), in a repeating pattern, instead of a realistic day: for a demo that acts within minutes. */
  rowMs?: number;
}

export const SIMULATOR_LOCATIONS = {
  /** Import and export connected; the location of the sample events. */
  home: {
    id: "loc_6650a1b2c3d4e5f6a7b8c0b1",
    reference_id: "HOME-1",
    postal_address: { address_line1: "1 Station Road", city: "Bristol", post_code: "BS1 6QF", country_code: "GB" },
    timezone: "Europe/London",
    currency_code: "GBP",
    tariffs: { IMPORT: "CONNECTED", EXPORT: "CONNECTED" },
  },
  /** Import only: export prices answer 422 `no_tariff_connected`. */
  flat: {
    id: "loc_6650a1b2c3d4e5f6a7b8c0c2",
    reference_id: "FLAT-2",
    postal_address: { address_line1: "Flat 2, 10 Market Street", city: "Manchester", post_code: "M1 1PT", country_code: "GB" },
    timezone: "Europe/London",
    currency_code: "GBP",
    tariffs: { IMPORT: "CONNECTED", EXPORT: "NOT_CONNECTED" },
  },
  /** Just connected: every price request answers 422 `pending_connect`. */
  pending: {
    id: "loc_6650a1b2c3d4e5f6a7b8c0d3",
    reference_id: "NEW-3",
    postal_address: { address_line1: "3 Mill Lane", city: "York", post_code: "YO1 7HH", country_code: "GB" },
    timezone: "Europe/London",
    currency_code: "GBP",
    tariffs: { IMPORT: "PENDING", EXPORT: "PENDING" },
  },
  /** Another zone and currency: its days have other daylight-saving dates. */
  boston: {
    id: "loc_6650a1b2c3d4e5f6a7b8c0e4",
    reference_id: "US-4",
    postal_address: { address_line1: "4 Beacon Street", city: "Boston", post_code: "02108", country_code: "US" },
    timezone: "America/New_York",
    currency_code: "USD",
    tariffs: { IMPORT: "CONNECTED", EXPORT: "NOT_CONNECTED" },
  },
  /** A new price every minute: the demo's plan switches within minutes of starting. */
  minutely: {
    id: "loc_6650a1b2c3d4e5f6a7b8c0f5",
    reference_id: "DEMO-MINUTES",
    postal_address: { address_line1: "Demo: a new price every minute", city: "Bristol", post_code: "BS1 6QF", country_code: "GB" },
    timezone: "Europe/London",
    currency_code: "GBP",
    tariffs: { IMPORT: "CONNECTED", EXPORT: "NOT_CONNECTED" },
    rowMs: 60_000,
  },
} as const satisfies Record<string, SimLocation>;

/** `count` more locations with import connected, for tests that follow several pages of the list. */
export function extraLocations(count: number): SimLocation[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `loc_extra${String(index).padStart(20, "0")}`,
    reference_id: `EXTRA-${index}`,
    postal_address: { address_line1: `${index + 1} Long Road`, city: "Leeds", post_code: "LS1 1UR", country_code: "GB" },
    timezone: "Europe/London",
    currency_code: "GBP",
    tariffs: { IMPORT: "CONNECTED", EXPORT: "NOT_CONNECTED" },
  }));
}

/** A location as `GET /locations` lists it: zero and anode give a status per tariff kind, busbar a list of tariffs. */
export function locationObject(location: SimLocation, dialect: SimulatorDialect, accountId: string): Record<string, unknown> {
  const common = {
    id: location.id,
    object: "location",
    live_mode: false,
    reference_id: location.reference_id,
    customer_id: "cus_6650a1b2c3d4e5f6a7b8c0a0",
    postal_address: location.postal_address,
    geo_location: { lat: 51.4545, lng: -2.5879 },
    timezone: location.timezone,
    currency_code: location.currency_code,
    time_created: "2026-01-15T09:30:00Z",
    account_id: accountId,
  };
  if (dialect === "busbar") {
    return {
      ...common,
      tariffs: (["IMPORT", "EXPORT"] as const)
        .filter((direction) => location.tariffs[direction] !== "NOT_CONNECTED")
        .map((direction) => ({ tariff_direction: direction, status: location.tariffs[direction] === "PENDING" ? "PENDING_CONNECT" : "CONNECTED" })),
    };
  }
  const status = (state: TariffState): string => (state === "PENDING" ? "NOT_CONNECTED" : state);
  return { ...common, tariff_status: { commodity_import: status(location.tariffs.IMPORT), commodity_export: status(location.tariffs.EXPORT) } };
}
