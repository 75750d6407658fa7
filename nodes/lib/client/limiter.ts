/**
 * At most `concurrency` requests to Flatpeak at a time per config node, and at
 * most `queueSize` waiting for a turn: a burst of messages neither opens a
 * socket each nor grows memory without bound. `pauseUntil` holds back new
 * requests while Flatpeak has asked us to slow down (429).
 */

export interface LimiterOptions {
  concurrency: number;
  queueSize: number;
  /** Error for a task that finds the queue full. */
  queueFull: () => Error;
  /** Error for a task whose signal aborted while it waited. */
  cancelled: () => Error;
  now?: () => number;
}

interface Waiter {
  start: () => void;
  signal: AbortSignal;
  onAbort: () => void;
}

export class RequestLimiter {
  private active = 0;
  private readonly queue: Waiter[] = [];
  private pausedUntil = 0;
  private pauseTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: LimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Runs `task` when a slot is free. Rejects at once when the queue is full. */
  async run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Starts nothing new before `time` (ms since epoch); a later pause wins. */
  pauseUntil(time: number): void {
    if (time <= this.pausedUntil) return;
    this.pausedUntil = time;
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = undefined;
      this.drain();
    }, time - this.now());
  }

  /** Rejects everything waiting and clears the pause timer. */
  close(): void {
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    for (const waiter of this.queue.splice(0)) waiter.onAbort();
  }

  private acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(this.options.cancelled());
    if (this.canStart() && this.queue.length === 0) {
      this.active += 1;
      return Promise.resolve();
    }
    if (this.queue.length >= this.options.queueSize) return Promise.reject(this.options.queueFull());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        signal,
        start: () => {
          signal.removeEventListener("abort", waiter.onAbort);
          resolve();
        },
        onAbort: () => {
          signal.removeEventListener("abort", waiter.onAbort);
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(this.options.cancelled());
        },
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private release(): void {
    this.active -= 1;
    this.drain();
  }

  private canStart(): boolean {
    return this.active < this.options.concurrency && this.now() >= this.pausedUntil;
  }

  private drain(): void {
    while (this.queue.length > 0 && this.canStart()) {
      const waiter = this.queue.shift()!;
      this.active += 1;
      waiter.start();
    }
  }
}
