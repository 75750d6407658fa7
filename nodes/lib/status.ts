/**
 * The status under a node, kept in one place for every node: a status is sent
 * only when it changes (a busy node would otherwise send the editor thousands),
 * "busy" shows once for overlapping work, and a success carries its time, as
 * users of integration nodes expect ("did it work, and when?").
 */

/** How long a fetch runs before its node says "fetching…". */
export const BUSY_STATUS_DELAY_MS = 500;

/** The shape of Node-RED's NodeStatus, without importing Node-RED. */
export interface StatusView {
  fill?: "red" | "green" | "yellow" | "blue" | "grey";
  shape?: "ring" | "dot";
  text?: string;
}

/** Starts `action` after `ms`; the function it returns cancels it. Replaceable in tests. */
export type Schedule = (action: () => void, ms: number) => () => void;

const scheduleWithTimer: Schedule = (action, ms) => {
  const timer = setTimeout(action, ms);
  return () => clearTimeout(timer);
};

export class StatusBoard {
  private shown = "";
  private busyCount = 0;
  private cancelBusy: (() => void) | undefined;

  constructor(
    private readonly show: (status: StatusView) => void,
    private readonly now: () => Date = () => new Date(),
    private readonly schedule: Schedule = scheduleWithTimer,
  ) {}

  /**
   * Overlapping work: only the first start shows `text`; call `idle()` when each
   * one ends. With `afterMs`, `text` shows only if the work is still under way
   * by then: a quick fetch then changes the status once, not twice (a status
   * goes to every open editor, so a fast flow would otherwise flicker and pay for it).
   */
  busy(text: string, afterMs = 0): void {
    if (this.busyCount++ !== 0) return;
    const showBusy = (): void => this.set({ fill: "blue", shape: "dot", text });
    if (afterMs <= 0) return showBusy();
    this.cancelBusy = this.schedule(() => {
      this.cancelBusy = undefined;
      showBusy();
    }, afterMs);
  }

  idle(): void {
    if (this.busyCount > 0) this.busyCount -= 1;
    if (this.busyCount === 0) this.stopWaiting();
  }

  /** A result that worked (green) or half worked (yellow), with the time it happened. */
  success(text: string, fill: "green" | "yellow" = "green", shape: "dot" | "ring" = "dot"): void {
    this.set({ fill, shape, text: `${text} · ${clockTime(this.now())}` });
  }

  failure(text: string): void {
    this.set({ fill: "red", shape: "ring", text });
  }

  set(status: StatusView): void {
    const key = `${status.fill ?? ""}|${status.shape ?? ""}|${status.text ?? ""}`;
    if (key === this.shown) return;
    this.shown = key;
    this.show(status);
  }

  clear(): void {
    this.stopWaiting();
    this.shown = "";
    this.show({});
  }

  private stopWaiting(): void {
    this.cancelBusy?.();
    this.cancelBusy = undefined;
  }
}

/** `14:03:09`, local time: the status has little room, and the day is almost always today. */
export function clockTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}
