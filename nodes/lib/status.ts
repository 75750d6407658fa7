/**
 * The status under a node, kept in one place for every node: a status is sent
 * only when it changes (a busy node would otherwise send the editor thousands),
 * "busy" shows once for overlapping work, and a success carries its time, as
 * users of integration nodes expect ("did it work, and when?").
 */

/** The shape of Node-RED's NodeStatus, without importing Node-RED. */
export interface StatusView {
  fill?: "red" | "green" | "yellow" | "blue" | "grey";
  shape?: "ring" | "dot";
  text?: string;
}

export class StatusBoard {
  private shown = "";
  private busyCount = 0;

  constructor(
    private readonly show: (status: StatusView) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Overlapping work: only the first start shows `text`; call `idle()` when each one ends. */
  busy(text: string): void {
    if (this.busyCount++ === 0) this.set({ fill: "blue", shape: "dot", text });
  }

  idle(): void {
    if (this.busyCount > 0) this.busyCount -= 1;
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
    this.shown = "";
    this.show({});
  }
}

/** `14:03:09`, local time: the status has little room, and the day is almost always today. */
export function clockTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}
