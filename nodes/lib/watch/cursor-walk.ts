/**
 * One poll of `flatpeak watch`: which pages of `GET /events` to read and which
 * events are new. Pure: the node fetches each page and hands it to `accept`.
 *
 * The list is newest first. The cursor is the newest event ID listed by the
 * last poll (seen, whether or not the type filter sent it). A poll walks older
 * pages with `starting_after` until it meets the cursor, the list ends, or the
 * catch-up cap is reached, then sends what is new oldest first.
 */
import { isEventId, isFlatpeakEvent } from "../event/input";
import type { FlatpeakEvent } from "../types";
import type { ListPage } from "../client/responses";
import { matchesTypes } from "./event-types";

export const MAX_CATCH_UP_PAGES = 10;
export const MAX_REPLAY = 100;

/**
 * What the node keeps in context between polls. `initialised` tells "never
 * polled" (the first poll is silent but for `replay`) from "polled, the list
 * was empty" (then every event listed later is new).
 */
export interface CursorState {
  cursor?: string;
  initialised: boolean;
}

export const NEVER_POLLED: CursorState = Object.freeze({ initialised: false });

export interface PollWalkOptions {
  /** Catch-up cap in pages, default MAX_CATCH_UP_PAGES. */
  maxPages?: number;
  /** How many of the newest events the very first poll sends (0–100). */
  replay?: number;
  /** Types to send; empty or absent = all. The cursor still covers every type listed. */
  types?: readonly string[];
}

export interface PollResult {
  /** Oldest first, each once. */
  newEvents: FlatpeakEvent[];
  newCursor: string | undefined;
  /** Store this for the next poll. */
  newState: CursorState;
  /**
   * False when the walk did not reach where the last poll left off (the
   * cursor's event; with no cursor, the end of the list): older events may
   * have been missed, so the node warns once.
   */
  cursorFound: boolean;
  /** Entries that were not events (not an object, no `evt_` ID or type). */
  skipped: number;
  pagesRead: number;
}

export type WalkStep = { next: string } | { done: PollResult };

/** The stored state, or NEVER_POLLED when context held something else. */
export function readCursorState(stored: unknown): CursorState {
  if (typeof stored !== "object" || stored === null) return NEVER_POLLED;
  const { cursor, initialised } = stored as Record<string, unknown>;
  if (isEventId(cursor)) return { cursor, initialised: true };
  return initialised === true ? { initialised: true } : NEVER_POLLED;
}

export class PollWalk {
  private readonly state: CursorState;
  private readonly maxPages: number;
  private readonly replay: number;
  private readonly types: readonly string[];
  /** Newest first, across pages. */
  private readonly collected: FlatpeakEvent[] = [];
  private readonly seenIds = new Set<string>();
  private readonly requestedCursors = new Set<string>();
  private newestId: string | undefined;
  private pagesRead = 0;
  private skipped = 0;
  private result: PollResult | undefined;

  constructor(state: CursorState, options: PollWalkOptions = {}) {
    this.state = state;
    this.maxPages = clampInteger(options.maxPages, 1, Number.MAX_SAFE_INTEGER, MAX_CATCH_UP_PAGES);
    this.replay = clampInteger(options.replay, 0, MAX_REPLAY, 0);
    this.types = options.types ?? [];
  }

  get isFirstStart(): boolean {
    return !this.state.initialised;
  }

  /** Takes the next page (the first one fetched without `starting_after`) and says what to do. */
  accept(page: ListPage): WalkStep {
    if (this.result) throw new Error("PollWalk.accept called after the walk was done");
    this.pagesRead += 1;
    const { cursorMet, lastId } = this.collect(page.data);

    if (this.isFirstStart || cursorMet) return this.finish(true);
    if (!page.has_more) return this.finish(this.state.cursor === undefined);
    if (this.pagesRead >= this.maxPages || lastId === undefined || this.requestedCursors.has(lastId)) {
      // Cap reached, or a page that cannot be walked on from (no IDs, or the server repeating itself).
      return this.finish(false);
    }
    this.requestedCursors.add(lastId);
    return { next: lastId };
  }

  /** Keeps the page's new events, stopping at the cursor; everything after it is old. */
  private collect(entries: readonly unknown[]): { cursorMet: boolean; lastId: string | undefined } {
    let lastId: string | undefined;
    for (const entry of entries) {
      if (!isFlatpeakEvent(entry)) {
        this.skipped += 1;
        continue;
      }
      this.newestId ??= entry.id;
      if (entry.id === this.state.cursor) return { cursorMet: true, lastId: entry.id };
      lastId = entry.id;
      if (this.seenIds.has(entry.id)) continue;
      this.seenIds.add(entry.id);
      this.collected.push(entry);
    }
    return { cursorMet: false, lastId };
  }

  private finish(cursorFound: boolean): { done: PollResult } {
    const newCursor = this.newestId ?? this.state.cursor;
    const wanted = this.collected.filter((event) => matchesTypes(event.type, this.types));
    // The first start sends only the `replay` newest of the wanted events.
    const newestFirst = this.isFirstStart ? wanted.slice(0, this.replay) : wanted;
    this.result = {
      newEvents: newestFirst.reverse(),
      newCursor,
      newState: newCursor === undefined ? { initialised: true } : { cursor: newCursor, initialised: true },
      cursorFound,
      skipped: this.skipped,
      pagesRead: this.pagesRead,
    };
    return { done: this.result };
  }
}

function clampInteger(value: number | undefined, min: number, max: number, fallback: number): number {
  if (typeof value !== "number" || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}
