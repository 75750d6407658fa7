/**
 * The Flatpeak objects this package reads. Everything is optional beyond what we
 * check at run time: Flatpeak adds fields and event types without notice, and
 * older API versions (zero, anode, busbar) carry different shapes.
 */

/** An event as `GET /events/{id}` returns it (and as a webhook delivers it). */
export interface FlatpeakEvent {
  id: string;
  object?: string;
  /** `resource.action`, e.g. `device.update`; an open set. */
  type: string;
  /** ISO-8601 UTC; legacy events used Unix seconds; some examples omit it. */
  time_created?: string | number;
  data?: unknown;
  [field: string]: unknown;
}

/** A device as found in `event.data` (yotta shape; older shapes are looser). */
export interface FlatpeakDevice {
  id?: string;
  object?: string;
  properties?: DeviceProperties;
  timezone?: string;
  geo_location?: unknown;
  consents?: Record<string, unknown>;
  vpp_participation?: Record<string, unknown>;
  [field: string]: unknown;
}

/** `device.properties`: nested sections (yotta) or flat prefixed keys (busbar). */
export interface DeviceProperties {
  manufacturer?: string;
  model_code?: string;
  model_name?: string;
  install_date?: string;
  battery?: BatteryProperties;
  pv?: PvProperties;
  inverter?: Record<string, unknown>;
  ev_charger?: EvChargerProperties;
  heat_pump?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface BatteryProperties {
  capacity_kwh?: number;
  power_kw?: number;
  charge_power_kw?: number;
  discharge_power_kw?: number;
  round_trip_efficiency?: number;
  [field: string]: unknown;
}

export interface PvProperties {
  peak_power_kw?: number;
  azimuth?: number;
  tilt?: number;
  terrain_shading?: boolean;
  forecasts_enabled?: boolean;
  [field: string]: unknown;
}

export interface EvChargerProperties {
  max_power_kw?: number;
  min_power_kw?: number;
  phases?: number;
  phase_switching?: boolean;
  v2g_capable?: boolean;
  [field: string]: unknown;
}

/**
 * Flatpeak error bodies come in two shapes: the error object
 * (`object: "error"`, `type`, `code`, `message`, …) and a bare `{ message }`.
 */
export interface FlatpeakErrorBody {
  object?: string;
  type?: string;
  code?: string;
  message?: string;
  [field: string]: unknown;
}
