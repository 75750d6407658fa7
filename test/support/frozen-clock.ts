/**
 * A clock the test sets: `Date.now()` answers the instant the test chose, and
 * stays there until the test moves it. Only `Date.now` is replaced (what the
 * plan node reads the time with); timers, `new Date()` and
 * `performance.now()` run as usual, so Node-RED and mocha keep working. Waits
 * here use `performance.now()`, as `Date.now()` stands still.
 */
export interface FrozenClock {
  now(): number;
  set(instant: number): void;
  restore(): void;
}

export function freezeClock(at: number): FrozenClock {
  const realNow = Date.now.bind(Date);
  let current = at;
  Date.now = () => current;
  return {
    now: () => current,
    set: (instant) => {
      current = instant;
    },
    restore: () => {
      Date.now = realNow;
    },
  };
}

/** Waits (polling every 2 ms of real time) until `condition` holds; throws after `timeoutMs` of real time. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
