/** Starts and stops the benchmark's simulator process, and reads its counters and CPU time. */
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { request } from "../scripts/support";

export interface SimulatorProcess {
  url: string;
  /** Logins and event requests the simulator has answered so far. */
  stats(): Promise<SimulatorCounts>;
  /** CPU time (user + system) the simulator process has used so far, in milliseconds. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

interface SimulatorCounts {
  logins: number;
  eventRequests: number;
}

type ChildMessage = { url: string } | { cpu: NodeJS.CpuUsage } | { stats: SimulatorCounts };

export interface SimulatorProcessOptions {
  /** Seconds a login's token lives. */
  tokenLifetimeSeconds: number;
  /**
   * A simulated network round trip: every `GET /events/{id}` is answered this many ms late (the simulator's
   * "slow" fault, scoped to the event route, so that logins stay fast). None when absent.
   */
  eventDelayMs?: number;
}

export async function startSimulatorProcess({ tokenLifetimeSeconds, eventDelayMs }: SimulatorProcessOptions): Promise<SimulatorProcess> {
  const child = fork(join(__dirname, "simulator-process.js"), [], {
    env: { ...process.env, BENCH_TOKEN_LIFETIME: String(tokenLifetimeSeconds) },
    // Plain node: without the benchmark's own flags (--expose-gc, --cpu-prof).
    execArgv: [],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const { url } = await nextMessage<{ url: string }>(child, (m) => "url" in m);
  if (eventDelayMs !== undefined) await delayEventAnswers(url, eventDelayMs);
  return {
    url,
    // Over IPC: no socket of this process, none taken from a measured pool, no HTTP between the blocks.
    stats: async () => {
      const answer = nextMessage<{ stats: SimulatorCounts }>(child, (m) => "stats" in m);
      child.send("stats");
      return (await answer).stats;
    },
    cpuMs: async () => {
      const answer = nextMessage<{ cpu: NodeJS.CpuUsage }>(child, (m) => "cpu" in m);
      child.send("cpu");
      const { cpu } = await answer;
      return (cpu.user + cpu.system) / 1000;
    },
    stop: () => stopChild(child),
  };
}

/** Switches the simulator's "slow" fault on for the event route: no `times`, so it stays on. */
async function delayEventAnswers(url: string, delayMs: number): Promise<void> {
  const body = JSON.stringify({ kind: "slow", delayMs, route: "event" });
  const answer = await request(`${url}/_simulator/faults`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  if (answer.status !== 201) throw new Error(`the simulator refused the delay fault: ${answer.status} ${answer.text}`);
}

function nextMessage<T extends ChildMessage>(child: ChildProcess, wanted: (message: ChildMessage) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage): void => {
      if (!wanted(message)) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null): void => reject(new Error(`the simulator exited (code ${code})`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.disconnect();
  });
}
