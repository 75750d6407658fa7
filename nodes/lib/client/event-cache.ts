/**
 * Flatpeak events never change once created, so a fetched event can be served
 * again from memory. Least recently used entries go first; size 0 turns it off.
 */
import type { FlatpeakEvent } from "../types";

export class EventCache {
  private readonly entries = new Map<string, FlatpeakEvent>();

  constructor(private readonly maxEntries: number) {}

  get(id: string): FlatpeakEvent | undefined {
    const event = this.entries.get(id);
    if (event !== undefined) {
      // Map keeps insertion order: moving the entry to the end marks it recently used.
      this.entries.delete(id);
      this.entries.set(id, event);
    }
    return event;
  }

  set(id: string, event: FlatpeakEvent): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(id);
    this.entries.set(id, event);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
