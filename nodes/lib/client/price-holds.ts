/**
 * Flatpeak asks that a prices request refused with 422 `no_tariff_connected`,
 * `pending_connect` or `no_price_data` be repeated at most once per 15 minutes.
 * This remembers each refusal per location and direction (for every node of
 * one account) and gives the same error back until the time is up.
 */
import type { FlatpeakError } from "./errors";

export const PRICE_HOLD_MS = 15 * 60_000;
/** Locations of one account are few; this only bounds a flow that asks for made-up IDs. */
const MAX_HOLDS = 200;

interface Held {
  error: FlatpeakError;
  until: number;
}

export class PriceHolds {
  private readonly holds = new Map<string, Held>();

  /** `now`: monotonic milliseconds, replaceable in tests. */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The refusal still in force for this location and direction, if any. */
  held(query: { locationId: string; direction: string }): FlatpeakError | undefined {
    const key = holdKey(query);
    const held = this.holds.get(key);
    if (!held) return undefined;
    if (this.now() < held.until) return held.error;
    this.holds.delete(key);
    return undefined;
  }

  hold(query: { locationId: string; direction: string }, error: FlatpeakError): void {
    const now = this.now();
    if (this.holds.size >= MAX_HOLDS) {
      for (const [key, held] of this.holds) if (held.until <= now) this.holds.delete(key);
      // Still full of live holds: the oldest goes (a Map iterates in insertion order).
      if (this.holds.size >= MAX_HOLDS) this.holds.delete(this.holds.keys().next().value as string);
    }
    this.holds.delete(holdKey(query));
    this.holds.set(holdKey(query), { error, until: now + PRICE_HOLD_MS });
  }
}

function holdKey(query: { locationId: string; direction: string }): string {
  return `${query.locationId} ${query.direction}`;
}
