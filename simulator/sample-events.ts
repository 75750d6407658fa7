/**
 * Sample events in every shape the docs show (see the Flatpeak fact sheet):
 * yotta devices with nested sections, partial devices, zero/anode devices
 * without properties, busbar devices with flat keys (both page revisions),
 * non-device events and oddities (no `time_created`, Unix-time `time_created`).
 * Values are example values from the docs, not real customers.
 */
import type { FlatpeakEvent } from "./types";

export interface SampleEvent {
  /** Short label for the demo's inject buttons. */
  title: string;
  event: FlatpeakEvent;
}

const consents = {
  time_created: "2025-10-01T09:00:00Z",
  time_updated: "2025-10-02T09:00:00Z",
  information: true,
  telemetry: true,
  control: true,
  geo_location: true,
};

const vppParticipation = {
  id: "vpa_6650a1b2c3d4e5f6a7b8c901",
  provider_name: "Example Energy",
  programme_name: "Winter Flex",
  current_state: "ACTIVE",
  telemetry_active: true,
  control_active: true,
};

/** A yotta device around the given properties. */
function yottaDevice(id: string, properties: Record<string, unknown>): Record<string, unknown> {
  return {
    id,
    object: "device",
    live_mode: false,
    controlled: true,
    properties,
    consents,
    timezone: "Europe/London",
    geo_location: { lat: 51.5072, lng: -0.1276 },
    vpp_participation: vppParticipation,
    time_created: "2025-10-01T09:00:00Z",
    reference_id: "ACC1234567890",
    last_seen: "2025-11-20T08:15:00Z",
  };
}

const battery = { capacity_kwh: 14.2, power_kw: 7.2, charge_power_kw: 5, discharge_power_kw: 7.2, round_trip_efficiency: 0.9 };
const pv = { peak_power_kw: 6.4, azimuth: 0, tilt: 23, terrain_shading: false, forecasts_enabled: false };
const inverter = { ac_export_limit_kw: 5 };
const evCharger = { max_power_kw: 7.4, min_power_kw: 1.4, phases: 1, phase_switching: false, v2g_capable: false };
const heatPump = { max_power_kw: 3.5, min_power_kw: 0.5, thermal_storage_litres: 200 };
const description = { manufacturer: "Example Power", model_code: "EP-HYB-10", model_name: "Hybrid 10", install_date: "2024-03-15T00:00:00Z" };

/** `timeCreated: null` leaves the field out, as some webhook examples do. */
function event(id: string, type: string, data: unknown, timeCreated: string | number | null = "2025-11-20T08:15:02Z"): FlatpeakEvent {
  const result: FlatpeakEvent = { id, object: "event", type, data };
  if (timeCreated !== null) result.time_created = timeCreated;
  return result;
}

export const SAMPLES = {
  fullDevice: {
    title: "device: battery, PV, EV charger",
    event: event(
      "evt_6650a1b2c3d4e5f6a7b8c9d0",
      "device.update",
      yottaDevice("dev_6650a1b2c3d4e5f6a7b8c001", { ...description, battery, pv, inverter, ev_charger: evCharger, heat_pump: heatPump }),
    ),
  },
  batteryOnly: {
    title: "device: battery only",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9d1", "device.create", yottaDevice("dev_6650a1b2c3d4e5f6a7b8c002", { ...description, battery })),
  },
  pvOnly: {
    title: "device: PV and inverter",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9d2", "device.update", yottaDevice("dev_6650a1b2c3d4e5f6a7b8c003", { pv, inverter })),
  },
  evChargerOnly: {
    title: "device: EV charger only",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9d3", "device.update", yottaDevice("dev_6650a1b2c3d4e5f6a7b8c004", { ev_charger: evCharger })),
  },
  heatPumpOnly: {
    title: "device: heat pump only",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9d4", "device.update", yottaDevice("dev_6650a1b2c3d4e5f6a7b8c005", { heat_pump: heatPump })),
  },
  emptyProperties: {
    title: "device: empty properties",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9d5", "device.update", yottaDevice("dev_6650a1b2c3d4e5f6a7b8c006", {})),
  },
  noProperties: {
    title: "device (zero/anode): no properties",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9d6", "device.create", {
      id: "dev_6650a1b2c3d4e5f6a7b8c007",
      object: "device",
      live_mode: false,
      reference_id: "ACC1234567890",
      time_created: "2024-09-01T10:00:00Z",
      account_id: "acc_6650a1b2c3d4e5f6a7b8c0a1",
      last_seen: "2024-09-02T10:00:00Z",
    }),
  },
  busbarFlatA: {
    title: "device (busbar): flat keys, rev A",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9d7", "device.update", {
      id: "dev_6650a1b2c3d4e5f6a7b8c008",
      object: "device",
      live_mode: false,
      reference_id: "ACC1234567890",
      locations: ["loc_6650a1b2c3d4e5f6a7b8c0b1"],
      manufacturer: "Example Power",
      model_code: "EP-BAT-14",
      model_name: "Battery 14",
      time_created: "2025-02-01T10:00:00Z",
      account_id: "acc_6650a1b2c3d4e5f6a7b8c0a1",
      flex_enabled: true,
      properties: {
        power_rating_import_kwh: 14.2,
        power_rating_export_kwh: 7,
        capacity_kwh: 123,
        pv_azimuth: 0,
        pv_tilt: 23,
        pv_terrain_shading: false,
        pv_forecasts_enabled: false,
        install_date: "2024-03-15T00:00:00Z",
      },
      last_seen: "2025-11-20T08:00:00Z",
    }),
  },
  busbarFlatB: {
    title: "device (busbar): flat keys, rev B",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9d8", "device.update", {
      id: "dev_6650a1b2c3d4e5f6a7b8c009",
      object: "device",
      live_mode: false,
      reference_id: "ACC1234567890",
      locations: ["loc_6650a1b2c3d4e5f6a7b8c0b1"],
      manufacturer: "Example Power",
      model_code: "EP-BAT-14",
      model_name: "Battery 14",
      time_created: "2025-02-01T10:00:00Z",
      account_id: "acc_6650a1b2c3d4e5f6a7b8c0a1",
      tariffs: [{ id: "trf_6650a1b2c3d4e5f6a7b8c0c1", direction: "IMPORT" }],
      properties: {
        power_rating_kw: 7.2,
        capacity_kwh: 14.2,
        pv_azimuth: 0,
        pv_tilt: 23,
        pv_terrain_shading: false,
        pv_forecasts_enabled: false,
        install_date: "2024-03-15T00:00:00Z",
      },
      last_seen: "2025-11-20T08:00:00Z",
    }),
  },
  deletedDevice: {
    title: "device deleted",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9d9", "device.delete", {
      id: "dev_6650a1b2c3d4e5f6a7b8c010",
      object: "device",
      live_mode: false,
      deleted: true,
    }),
  },
  customer: {
    title: "customer created",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9da", "customer.create", {
      id: "cus_6650a1b2c3d4e5f6a7b8c0d1",
      object: "customer",
      live_mode: false,
      reference_id: "CUS-42",
      time_created: "2025-11-20T08:10:00Z",
    }),
  },
  location: {
    title: "location updated",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9db", "location.update", {
      id: "loc_6650a1b2c3d4e5f6a7b8c0b1",
      object: "location",
      live_mode: false,
      timezone: "Europe/London",
    }),
  },
  tariff: {
    title: "tariff expiring",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9dc", "tariff.expiring", {
      live_mode: false,
      location_id: "loc_6650a1b2c3d4e5f6a7b8c0b1",
      tariff_id: "trf_6650a1b2c3d4e5f6a7b8c0c1",
      account_id: "acc_6650a1b2c3d4e5f6a7b8c0a1",
    }),
  },
  schedule: {
    title: "schedule created",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9dd", "schedule.created", {
      id: "sch_6650a1b2c3d4e5f6a7b8c0e1",
      object: "schedule",
      live_mode: false,
      location_id: "loc_6650a1b2c3d4e5f6a7b8c0b1",
    }),
  },
  connectSession: {
    title: "connect session complete",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9de", "connect_session.complete", {
      live_mode: false,
      location_id: "loc_6650a1b2c3d4e5f6a7b8c0b1",
      customer_id: "cus_6650a1b2c3d4e5f6a7b8c0d1",
    }),
  },
  noTimeCreated: {
    title: "device without time_created",
    event: event(
      "evt_6650a1b2c3d4e5f6a7b8c9df",
      "device.update",
      yottaDevice("dev_6650a1b2c3d4e5f6a7b8c011", { battery, pv }),
      null,
    ),
  },
  legacyUnixTime: {
    title: "device with Unix time_created",
    event: event("evt_6650a1b2c3d4e5f6a7b8c9e0", "device.update", yottaDevice("dev_6650a1b2c3d4e5f6a7b8c012", { ev_charger: evCharger }), 1732090502),
  },
  updateFailed: {
    title: "device update failed (32-digit ID)",
    event: event("evt_9f1c2e3d4b5a69788796a5b4c3d2e1f0", "device.update.failed", {
      id: "dev_6650a1b2c3d4e5f6a7b8c001",
      object: "device",
      live_mode: false,
    }),
  },
} satisfies Record<string, SampleEvent>;

export type SampleName = keyof typeof SAMPLES;

export const SAMPLE_EVENTS: FlatpeakEvent[] = Object.values(SAMPLES).map((sample) => sample.event);

/**
 * The `data` of an event the simulator creates while it runs: the yotta device
 * of `fullDevice` (battery, PV, EV charger) seen just now, so the demo's three
 * outputs all fire for every new event.
 */
export function liveDeviceData(now: Date): Record<string, unknown> {
  const device = yottaDevice("dev_6650a1b2c3d4e5f6a7b8c001", { ...description, battery, pv, inverter, ev_charger: evCharger });
  return { ...device, last_seen: now.toISOString() };
}

/**
 * Default `data` for a created event of `type`: the live device for device
 * events, else a copy of a sample's data of that type (so a `tariff.expiring`
 * carries tariff fields, not a device), else the live device.
 */
export function dataForType(type: string, now: Date): unknown {
  const sample = type.startsWith("device.") ? undefined : SAMPLE_EVENTS.find((event) => event.type === type);
  return sample ? structuredClone(sample.data) : liveDeviceData(now);
}
