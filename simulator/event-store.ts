/**
 * The simulator's events, in memory: lookup by ID, the `GET /events` list
 * (fact sheet §2.2) and events created while the simulator runs.
 */
import { randomBytes } from "node:crypto";
import { dataForType } from "./sample-events";
import type { FlatpeakEvent } from "./types";

/** What a caller may give for a new event; everything left out gets a default. */
export type NewEvent = Partial<FlatpeakEvent>;

/** `GET /events` query, already validated. */
export interface ListQuery {
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
  eventType?: string;
  objectId?: string;
}

export interface ListPage {
  has_more: boolean;
  data: FlatpeakEvent[];
}

export const DEFAULT_LIST_LIMIT = 30;
export const MAX_LIST_LIMIT = 100;

export class EventStore {
  /** ID → event and the order it was added in (ties in `time_created` list the later one first). */
  private readonly events = new Map<string, { event: FlatpeakEvent; order: number }>();
  private added = 0;

  /** `maxEvents` bounds memory when events are created on a timer for hours: the oldest added go first, like retention. */
  constructor(initial: readonly FlatpeakEvent[], private readonly maxEvents: number) {
    for (const event of initial) this.add(event);
  }

  get(id: string): FlatpeakEvent | undefined {
    return this.events.get(id)?.event;
  }

  /** Adds or replaces an event; a replaced event keeps its place among equal times. */
  add(event: FlatpeakEvent): void {
    const order = this.events.get(event.id)?.order ?? (this.added += 1);
    this.events.set(event.id, { event, order });
    while (this.events.size > this.maxEvents) this.events.delete(this.events.keys().next().value as string);
  }

  /**
   * A new event, the newest: a fresh `evt_` + 24 hex ID, `time_created` now,
   * type `device.update` with a full yotta device unless `partial` says otherwise.
   */
  create(partial: NewEvent = {}, now = new Date()): FlatpeakEvent {
    const { id, type = "device.update", time_created, data, ...rest } = partial;
    if (id !== undefined && this.events.has(id)) throw new Error(`event ${id} already exists`);
    const event: FlatpeakEvent = {
      id: id ?? this.newId(),
      object: "event",
      type,
      time_created: time_created ?? now.toISOString(),
      data: data ?? dataForType(type, now),
      ...rest,
    };
    this.add(event);
    return event;
  }

  /** Every event in the order added (for fault bodies that only need "some events"). */
  all(): FlatpeakEvent[] {
    return [...this.events.values()].map((entry) => entry.event);
  }

  /** Newest first, as Flatpeak sorts its list: by `time_created`, then by the order added. */
  newestFirst(): FlatpeakEvent[] {
    return [...this.events.values()]
      .sort((a, b) => timeOf(b.event) - timeOf(a.event) || b.order - a.order)
      .map((entry) => entry.event);
  }

  /**
   * One page of the list. A cursor is a position in the whole newest-first
   * list, so it works with `event_type` even when the cursor's own event is of
   * another type. Flatpeak does not document an unknown cursor; the simulator
   * answers an empty page, so a client walking pages stops instead of looping.
   */
  list(query: ListQuery): ListPage {
    const ordered = this.newestFirst();
    const window = windowOf(ordered, query);
    if (!window) return { has_more: false, data: [] };
    const matching = window.filter((event) => matches(event, query));
    const more = matching.length > query.limit;
    // `ending_before` pages end right before the cursor: the `limit` events just newer than it.
    const data = query.endingBefore ? matching.slice(-query.limit) : matching.slice(0, query.limit);
    return { has_more: more, data };
  }

  private newId(): string {
    for (;;) {
      const id = `evt_${randomBytes(12).toString("hex")}`;
      if (!this.events.has(id)) return id;
    }
  }
}

/** The events older than `starting_after`, newer than `ending_before`, or all; undefined for an unknown cursor. */
function windowOf(ordered: FlatpeakEvent[], query: ListQuery): FlatpeakEvent[] | undefined {
  const cursor = query.startingAfter ?? query.endingBefore;
  if (!cursor) return ordered;
  const index = ordered.findIndex((event) => event.id === cursor);
  if (index < 0) return undefined;
  return query.startingAfter ? ordered.slice(index + 1) : ordered.slice(0, index);
}

function matches(event: FlatpeakEvent, query: ListQuery): boolean {
  if (query.eventType && event.type !== query.eventType) return false;
  if (query.objectId && (event.data as { id?: unknown } | undefined)?.id !== query.objectId) return false;
  return true;
}

function timeOf(event: FlatpeakEvent): number {
  const time = event.time_created;
  if (typeof time === "number") return time * 1000;
  return typeof time === "string" ? Date.parse(time) || 0 : 0;
}
