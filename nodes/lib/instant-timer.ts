/**
 * A timer for an instant (UTC epoch milliseconds), not for a delay. It looks
 * at the clock when it wakes and sleeps again if woken early, and it never
 * sleeps longer than `maxSleepMs`, so a clock that jumps (NTP setting the time
 * of a Pi without a real-time clock, a laptop waking up) is noticed within
 * that, and nothing drifts as a chain of delays would. One instant at a time:
 * arming again replaces the previous one.
 */
export class InstantTimer {
  private handle: NodeJS.Timeout | undefined;
  private target: number | undefined;
  private action: (() => void) | undefined;

  constructor(
    private readonly maxSleepMs = 30_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Runs `action` once the clock reads `instant` or later (at once if it already does, on the next tick). */
  armAt(instant: number, action: () => void): void {
    this.cancel();
    this.target = instant;
    this.action = action;
    this.sleep();
  }

  /** The instant it is armed for, if any. */
  get armedFor(): number | undefined {
    return this.target;
  }

  cancel(): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    this.target = undefined;
    this.action = undefined;
  }

  private sleep(): void {
    const wait = Math.min(Math.max(0, this.target! - this.now()), this.maxSleepMs);
    this.handle = setTimeout(() => this.wake(), wait);
  }

  private wake(): void {
    if (this.target === undefined) return;
    if (this.now() < this.target) return this.sleep();
    const action = this.action!;
    this.cancel();
    action();
  }
}
