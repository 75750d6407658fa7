/**
 * Splits a Flatpeak event into what the event node sends: one payload per
 * device section, plus the event and device summaries. Pure: no I/O, no
 * Node-RED, never throws on odd input.
 */
import type { DeviceProperties, FlatpeakDevice, FlatpeakEvent } from "../types";

/** Sections with an output of their own, in output order. */
export const OUTPUT_SECTIONS = ["battery", "pv", "ev_charger"] as const;
export type OutputSection = (typeof OUTPUT_SECTIONS)[number];

/** Every section a device can have (yotta nesting, busbar key prefixes). */
const DEVICE_SECTIONS = ["battery", "pv", "inverter", "ev_charger", "heat_pump"] as const;
export type DeviceSection = (typeof DEVICE_SECTIONS)[number];

/** Busbar devices carry their storage figures without a `battery_` prefix. */
const UNPREFIXED_BATTERY_KEYS = new Set(["capacity_kwh", "power_rating_kw", "power_rating_import_kwh", "power_rating_export_kwh"]);

/** Scalars from `properties` that describe the device rather than a section. */
const DEVICE_DESCRIPTION_KEYS = ["manufacturer", "model_code", "model_name", "install_date"] as const;

export type SectionPayload = Record<string, unknown>;

export interface EventSummary {
  id: string;
  type: string;
  time_created?: string | number;
}

export interface ShapedEvent {
  event: EventSummary;
  /** Device fields other than `properties`, plus the description keys; only for device events. */
  device?: Record<string, unknown>;
  /** The sections the device has; empty for other events. */
  sections: Partial<Record<DeviceSection, SectionPayload>>;
  /** ID used in `msg.topic`: the device (or other object) the event is about. */
  subjectId: string;
}

/** `msg.flatpeak.event`: `{ id, type, time_created }`, without `time_created` when the event has none. */
export function summarizeEvent(event: FlatpeakEvent): EventSummary {
  const summary: EventSummary = { id: event.id, type: event.type };
  if (event.time_created !== undefined) summary.time_created = event.time_created;
  return summary;
}

export function shapeEvent(event: FlatpeakEvent): ShapedEvent {
  const data = isPlainObject(event.data) ? event.data : undefined;
  const summary = summarizeEvent(event);
  const subjectId = data && typeof data.id === "string" && data.id.length > 0 ? data.id : event.id;

  if (!data || !isDeviceEvent(event.type, data)) {
    return { event: summary, sections: {}, subjectId };
  }
  const device = data as FlatpeakDevice;
  const properties = isPlainObject(device.properties) ? (device.properties) : undefined;
  return {
    event: summary,
    device: describeDevice(device, properties),
    sections: properties ? splitSections(properties) : {},
    subjectId,
  };
}

/** `msg.topic` for one output: `flatpeak/<device id>/<section>`, safe to use as an MQTT topic. */
export function topicFor(subjectId: string, section: OutputSection | "event"): string {
  return `flatpeak/${subjectId.replace(/[^A-Za-z0-9_.-]/g, "_")}/${section}`;
}

function isDeviceEvent(type: string, data: Record<string, unknown>): boolean {
  return data.object === "device" || type.startsWith("device.");
}

function describeDevice(device: FlatpeakDevice, properties: DeviceProperties | undefined): Record<string, unknown> {
  const description: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(device)) {
    if (key !== "properties") setField(description, key, value);
  }
  for (const key of DEVICE_DESCRIPTION_KEYS) {
    if (properties && properties[key] !== undefined) description[key] = properties[key];
  }
  return description;
}

/**
 * Yotta nests each section (`properties.pv.tilt`); busbar flattens them with a
 * prefix (`properties.pv_tilt`). Both are read; a nested value wins over a flat one.
 */
export function splitSections(properties: DeviceProperties): Partial<Record<DeviceSection, SectionPayload>> {
  const sections: Partial<Record<DeviceSection, SectionPayload>> = {};
  for (const section of DEVICE_SECTIONS) {
    const nested = properties[section];
    if (isPlainObject(nested)) sections[section] = copyFields(nested);
  }
  for (const [key, value] of Object.entries(properties)) {
    const flat = sectionOfFlatKey(key);
    if (!flat) continue;
    const payload = (sections[flat.section] ??= {});
    if (!Object.prototype.hasOwnProperty.call(payload, flat.field)) setField(payload, flat.field, value);
  }
  return sections;
}

/** Built once: this runs for every key of every event. */
const FLAT_KEY_PREFIXES = DEVICE_SECTIONS.map((section) => ({ section, prefix: `${section}_` }));

function sectionOfFlatKey(key: string): { section: DeviceSection; field: string } | undefined {
  for (const { section, prefix } of FLAT_KEY_PREFIXES) {
    if (key.length > prefix.length && key.startsWith(prefix)) {
      return { section, field: key.slice(prefix.length) };
    }
  }
  if (UNPREFIXED_BATTERY_KEYS.has(key)) return { section: "battery", field: key };
  return undefined;
}

function copyFields(source: Record<string, unknown>): SectionPayload {
  const copy: SectionPayload = {};
  for (const [key, value] of Object.entries(source)) setField(copy, key, value);
  return copy;
}

/**
 * Assignment that cannot reach a prototype: `__proto__` from JSON is an ordinary own key.
 * Only `__proto__` needs defineProperty (it is the one setter on Object.prototype); plain
 * assignment for the rest keeps the objects fast to read and copy.
 */
function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
