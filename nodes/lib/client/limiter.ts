/**
 * At most `concurrency` requests to Flatpeak at a time per config node, and at
 * most `queueSize` waiting for a turn: a burst of messages neither opens a
 * socket each nor grows memory without bound. `pauseFor` holds back new
 * requests while Flatpeak has asked us to slow down (429).
 *
 * Invariant after every call: the queue is empty, or every slot is busy (a
 * release drains it), or a pause is on and its timer is armed. A timer that
 * fires early re-arms itself, so a pause always ends.
 */
import { CancelledError } from "./abort";

/** Time as the limiter sees it: monotonic, and replaceable in tests. */
export interface Clock {
  now(): number;
  /** Calls `fire` after about `ms` (maybe a little early or late); returns a function that cancels it. */
  setTimer(fire: () => void, ms: number): () => void;
}

const SYSTEM_CLOCK: Clock = {
  now: () => performance.now(),
  setTimer: (fire, ms) => {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  },
};

export interface LimiterOptions {
  concurrency: number;
  queueSize: number;
  /** Error for a task that finds the queue full. */
  queueFull: () => Error;
  clock?: Clock;
}

interface Waiter {
  start: () => void;
  cancel: () => void;
}

export class RequestLimiter {
  private active = 0;
  private readonly queue: Waiter[] = [];
  private pausedUntil = 0;
  private cancelPauseTimer: (() => void) | undefined;
  private closed = false;
  private readonly clock: Clock;

  constructor(private readonly options: LimiterOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
  }

  /** Runs `task` when a slot is free. Rejects at once when the queue is full or the limiter closed. */
  async run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.drain();
    }
  }

  /** Starts nothing new for `ms` from now; a pause that ends later wins. */
  pauseFor(ms: number): void {
    if (this.closed) return;
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
    this.drain();
  }

  /** Rejects everything waiting, now and later, and clears the pause timer. */
  close(): void {
    this.closed = true;
    this.disarm();
    for (const waiter of this.queue.splice(0)) waiter.cancel();
  }

  private acquire(signal: AbortSignal): Promise<void> {
    if (this.closed || signal.aborted) return Promise.reject(new CancelledError());
    if (!this.canStartNow() && this.queue.length >= this.options.queueSize) return Promise.reject(this.options.queueFull());
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
        waiter.cancel();
      };
      const waiter: Waiter = {
        start: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
        cancel: () => {
          signal.removeEventListener("abort", onAbort);
          reject(new CancelledError());
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
      // Everyone joins the queue and the queue is drained here: a newcomer never waits behind a stuck queue.
      this.drain();
    });
  }

  private canStartNow(): boolean {
    return this.queue.length === 0 && this.hasFreeSlot() && this.clock.now() >= this.pausedUntil;
  }

  private hasFreeSlot(): boolean {
    return this.active < this.options.concurrency;
  }

  /** Starts waiters in order while slots are free and no pause is on; arms the pause timer otherwise. */
  private drain(): void {
    if (this.closed) return;
    const remaining = this.pausedUntil - this.clock.now();
    if (remaining > 0) {
      if (this.queue.length > 0 && !this.cancelPauseTimer) this.arm(remaining);
      return;
    }
    this.disarm();
    while (this.queue.length > 0 && this.hasFreeSlot()) {
      this.active += 1;
      this.queue.shift()!.start();
    }
  }

  private arm(ms: number): void {
    this.cancelPauseTimer = this.clock.setTimer(() => {
      this.cancelPauseTimer = undefined;
      this.drain();
    }, Math.ceil(ms));
  }

  private disarm(): void {
    this.cancelPauseTimer?.();
    this.cancelPauseTimer = undefined;
  }
}
