import { CancelledError, sharedAbortController } from "./abort";

/**
 * One request per key at a time: callers asking for the same event while it is
 * being fetched wait for that one fetch. Each caller can leave on its own
 * signal; when the last one leaves, the fetch is cancelled.
 */

interface Entry<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
}

export class SharedRequests<T> {
  private readonly pending = new Map<string, Entry<T>>();

  /** Joins the request for `key`, starting it with `start` if none is under way. */
  join(key: string, signal: AbortSignal | undefined, start: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    const entry = this.pending.get(key) ?? this.begin(key, start);
    entry.waiters += 1;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        signal?.removeEventListener("abort", leave);
        entry.waiters -= 1;
        return true;
      };
      const leave = (): void => {
        if (!finish()) return;
        if (entry.waiters === 0) this.cancel(key, entry);
        reject(new CancelledError());
      };
      signal?.addEventListener("abort", leave, { once: true });
      entry.promise.then(
        (value) => finish() && resolve(value),
        (err: unknown) => finish() && reject(err as Error),
      );
    });
  }

  /** Cancels every request under way (their callers get the request's own rejection). */
  abortAll(): void {
    for (const [key, entry] of [...this.pending]) this.cancel(key, entry);
  }

  private begin(key: string, start: (signal: AbortSignal) => Promise<T>): Entry<T> {
    const controller = sharedAbortController();
    const entry: Entry<T> = { controller, waiters: 0, promise: start(controller.signal) };
    const forget = (): void => {
      if (this.pending.get(key) === entry) this.pending.delete(key);
    };
    entry.promise.then(forget, forget);
    this.pending.set(key, entry);
    return entry;
  }

  private cancel(key: string, entry: Entry<T>): void {
    if (this.pending.get(key) === entry) this.pending.delete(key);
    entry.controller.abort();
  }
}
