/**
 * The event shape the simulator serves. It is defined here instead of being
 * imported from `nodes/`: the simulator stands in for Flatpeak, so it must not
 * break when the package's client code is reorganised. It is structurally the
 * same as the nodes' `FlatpeakEvent`, so either can be passed where the other
 * is expected.
 */
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
