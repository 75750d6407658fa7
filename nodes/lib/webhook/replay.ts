/**
 * The event IDs delivered lately, so a redelivery is answered 200 but not sent
 * on again. Bounded: the oldest ID is dropped first. Kept in Node-RED context
 * as a plain array, so a persistent or shared store carries it across restarts.
 */

const DEFAULT_RECENT_IDS = 1000;
/** Longer strings are not event IDs; refusing them keeps a corrupted store from growing memory. */
const MAX_ID_LENGTH = 128;

export class RecentIds {
  /** A Set keeps insertion order: its first entry is the oldest. */
  private readonly ids = new Set<string>();
  readonly max: number;

  constructor(max: number = DEFAULT_RECENT_IDS) {
    this.max = Number.isSafeInteger(max) && max > 0 ? max : DEFAULT_RECENT_IDS;
  }

  /** Rebuilds the set from what context held; anything that is not a list of ID strings is ignored. */
  static from(value: unknown, max: number = DEFAULT_RECENT_IDS): RecentIds {
    const recent = new RecentIds(max);
    if (!Array.isArray(value)) return recent;
    for (const id of value as unknown[]) {
      if (typeof id === "string" && id !== "" && id.length <= MAX_ID_LENGTH) recent.add(id);
    }
    return recent;
  }

  get size(): number {
    return this.ids.size;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Adds `id` as the newest (moving it there if it was already kept), dropping the oldest beyond `max`. */
  add(id: string): void {
    this.ids.delete(id);
    this.ids.add(id);
    for (const oldest of this.ids) {
      if (this.ids.size <= this.max) break;
      this.ids.delete(oldest);
    }
  }

  /** Oldest first, ready for Node-RED context (and `JSON.stringify`). */
  toJSON(): string[] {
    return [...this.ids];
  }
}
