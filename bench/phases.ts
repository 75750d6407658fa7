/** The benchmark's measurements, one function per phase. Each returns raw results; report.ts turns them into figures. */
import { fork } from "node:child_process";
import { subscribe } from "node:diagnostics_channel";
import { join } from "node:path";
import { setTimeout as wait } from "node:timers/promises";
import { runClosedLoop, runForDuration, type Launch } from "./closed-loop";
import type { BenchSettings } from "./settings";
import type { SimulatorProcess } from "./simulator-child";
import type { FootprintSample } from "./footprint-child";
import { figuresOf, type Figures, type RunResult } from "./stats";

export type VariantKey =
  | "axios"
  | "ours"
  | "oursDefaults"
  | "httpDefault"
  | "httpKeepAlive"
  | "oursCached"
  | "floor"
  | "clientUncached"
  | "clientCached"
  | "nodeHttp"
  | "oursSerial"
  | "axiosSerial"
  | "clientSerial"
  | "floorSerial"
  | "minimalSerial"
  // Against the simulator with the network round trip:
  | "oursNet"
  | "httpDefaultNet"
  | "httpKeepAliveNet"
  | "axiosNet"
  | "oursSerialNet"
  | "oursCachedSerialNet"
  | "axiosSerialNet";

export interface VariantSpec {
  key: VariantKey;
  label: string;
  /** The simulator this variant asks (its requests and CPU time are counted). */
  simulator: SimulatorProcess;
  /** A launcher whose event IDs carry `tag`, so that every run asks for IDs no run asked for before. */
  launcher(tag: string): Launch;
  /** Events in flight; default: the benchmark's concurrency. */
  window?: number;
  /** Share of the warm-up and per-round events this variant runs (default 1). */
  scale?: number;
}

export interface VariantMeasure {
  /** One per round, in round order. */
  runs: RunResult[];
  /** New TCP connections the benchmark process opened during this variant's warm-up and measured runs. */
  connections: number;
  /** What the simulator saw during this variant's warm-up and measured runs. */
  logins: number;
  eventRequests: number;
  /** CPU time of the benchmark process (Node-RED and the client) and of the simulator during the measured runs, in ms. */
  benchCpuMs: number;
  simulatorCpuMs: number;
}

/** Evenly spread event IDs that the simulator answers with a generated device event. */
export function generatedIds(tag: string): (index: number) => string {
  return (index) => `evt_gen${tag}x${index}`;
}

/** Counts TCP connections this process opens (all clients: axios, got, our transport). */
export class ConnectionCounter {
  count = 0;
  constructor() {
    subscribe("net.client.socket", () => {
      this.count += 1;
    });
  }
}

/**
 * Variants that take turns in short blocks within a round: the ratios judged pair variants of one group, and
 * a busy moment of the (shared) machine then lands on all of them rather than on one.
 */
export interface VariantGroup {
  name: string;
  /** Blocks per round: each member runs its round's events in this many pieces, the members alternating. */
  blocks: number;
  specs: VariantSpec[];
}

/**
 * Warms every variant up, then runs the groups in turns, round after round
 * (the order of the groups rotated each round). Within a group the members
 * alternate in blocks (their order rotated each block); a member's run for
 * the round is its blocks pooled.
 */
export async function measureComparison(
  groups: VariantGroup[],
  settings: BenchSettings,
  connections: ConnectionCounter,
): Promise<Map<VariantKey, VariantMeasure>> {
  const specs = groups.flatMap((group) => group.specs);
  const measures = new Map<VariantKey, VariantMeasure>(specs.map((spec) => [spec.key, { runs: [], connections: 0, logins: 0, eventRequests: 0, benchCpuMs: 0, simulatorCpuMs: 0 }]));
  const perRound = Math.ceil(settings.events / settings.rounds);
  const events = (spec: VariantSpec, count: number): number => Math.ceil(count * (spec.scale ?? 1));
  const window = (spec: VariantSpec): number => spec.window ?? settings.concurrency;
  for (const spec of specs) {
    const measure = measures.get(spec.key)!;
    await observe(spec.simulator, connections, measure, false, () => runClosedLoop(events(spec, settings.warmup), window(spec), spec.launcher("W")));
  }
  for (let round = 0; round < settings.rounds; round++) {
    for (const group of rotate(groups, round)) {
      const pieces = new Map<VariantKey, RunResult[]>(group.specs.map((spec) => [spec.key, []]));
      for (let block = 0; block < group.blocks; block++) {
        for (const spec of rotate(group.specs, block + round)) {
          const count = Math.ceil(events(spec, perRound) / group.blocks);
          const run = (): Promise<RunResult> => runClosedLoop(count, window(spec), spec.launcher(`R${round}B${block}`));
          pieces.get(spec.key)!.push(await observe(spec.simulator, connections, measures.get(spec.key)!, true, run));
        }
      }
      for (const [key, blocks] of pieces) measures.get(key)!.runs[round] = pooled(blocks);
    }
  }
  return measures;
}

function pooled(runs: RunResult[]): RunResult {
  return {
    events: runs.reduce((n, run) => n + run.events, 0),
    seconds: runs.reduce((n, run) => n + run.seconds, 0),
    latencies: runs.flatMap((run) => run.latencies),
    errors: runs.reduce((n, run) => n + run.errors, 0),
  };
}

/**
 * Runs `work` and adds to `measure` what the simulator saw (logins, event
 * requests) and the connections opened; for a measured run also the CPU time
 * of both processes.
 */
async function observe(
  simulator: SimulatorProcess,
  connections: ConnectionCounter,
  measure: VariantMeasure,
  measured: boolean,
  work: () => Promise<RunResult>,
): Promise<RunResult> {
  const before = await simulator.stats();
  const simulatorCpu = await simulator.cpuMs();
  const opened = connections.count;
  const benchCpu = process.cpuUsage();
  const run = await work();
  const benchUsed = process.cpuUsage(benchCpu);
  measure.connections += connections.count - opened;
  const simulatorUsed = (await simulator.cpuMs()) - simulatorCpu;
  const after = await simulator.stats();
  measure.logins += after.logins - before.logins;
  measure.eventRequests += after.eventRequests - before.eventRequests;
  if (measured) {
    measure.benchCpuMs += (benchUsed.user + benchUsed.system) / 1000;
    measure.simulatorCpuMs += simulatorUsed;
  }
  return run;
}

function rotate<T>(items: T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

export interface LoginCheck {
  events: number;
  errors: number;
  logins: number;
  seconds: number;
}

/** `burst` messages at once into a config node that has not logged in yet. */
export async function measureBurst(launch: Launch, burst: number, simulator: SimulatorProcess): Promise<LoginCheck> {
  const before = await simulator.stats();
  const run = await runClosedLoop(burst, burst, launch);
  const after = await simulator.stats();
  return { events: run.events, errors: run.errors, logins: after.logins - before.logins, seconds: run.seconds };
}

/** Keeps `concurrency` messages in flight against short-lived tokens for `seconds`. */
export async function measureRenewal(launch: Launch, settings: BenchSettings, simulator: SimulatorProcess): Promise<LoginCheck> {
  const before = await simulator.stats();
  const run = await runForDuration(settings.renewalSeconds, settings.concurrency, launch);
  const after = await simulator.stats();
  return { events: run.events, errors: run.errors, logins: after.logins - before.logins, seconds: run.seconds };
}

export interface ConnectionBurst {
  events: number;
  errors: number;
  /** New TCP connections this process opened while the burst ran. */
  connections: number;
}

/** `burst` messages at once into an already warmed-up flow: how many connections does it open for them? */
export async function measureConnectionBurst(launch: Launch, burst: number, connections: ConnectionCounter): Promise<ConnectionBurst> {
  const opened = connections.count;
  const run = await runClosedLoop(burst, burst, launch);
  return { events: run.events, errors: run.errors, connections: connections.count - opened };
}

export interface FootprintResult {
  /** Idle Node-RED without and with this package's nodes loaded, one pair per run (run i: fresh processes, order alternated). */
  without: FootprintSample[];
  with: FootprintSample[];
}

/** Idle Node-RED in fresh processes, alternately without and with this package (footprint-child.ts). */
export async function measureFootprint(runs: number): Promise<FootprintResult> {
  const samples: FootprintResult = { with: [], without: [] };
  for (let i = 0; i < runs; i++) {
    for (const mode of i % 2 === 0 ? (["without", "with"] as const) : (["with", "without"] as const)) {
      const sample = await footprintProcess(mode);
      if (sample.loaded !== (mode === "with")) throw new Error(`footprint: package nodes ${sample.loaded ? "loaded" : "not loaded"} in the "${mode}" run`);
      samples[mode].push(sample);
    }
  }
  return samples;
}

function footprintProcess(mode: "with" | "without"): Promise<FootprintSample> {
  return new Promise((resolve, reject) => {
    // Plain node plus --expose-gc: none of the benchmark's own flags (e.g. --cpu-prof).
    const child = fork(join(__dirname, "footprint-child.js"), [mode], { execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let sample: FootprintSample | undefined;
    child.once("message", (message) => {
      sample = message as FootprintSample;
    });
    child.once("error", reject);
    child.once("exit", (code) => (sample ? resolve(sample) : reject(new Error(`footprint child (${mode}) exited with code ${code}`))));
  });
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
}

export interface MemoryResult {
  before: MemorySample;
  after: MemorySample;
  figures: Figures;
}

/** Memory after a warm-up and after `memoryEvents` more events, each after a forced GC. */
export async function measureMemory(launcher: (tag: string) => Launch, settings: BenchSettings): Promise<MemoryResult> {
  await runClosedLoop(settings.warmup, settings.concurrency, launcher("MemW"));
  const before = await settledMemory();
  // Only the figures are kept: the run's latency list would itself count as growth.
  const figures = figuresOf([await runClosedLoop(settings.memoryEvents, settings.concurrency, launcher("Mem"))]);
  const after = await settledMemory();
  return { before, after, figures };
}

/** Lets sockets and timers of the last events settle, then collects garbage until the heap stops shrinking. */
async function settledMemory(): Promise<MemorySample> {
  const gc = globalThis.gc;
  if (!gc) throw new Error("run node with --expose-gc");
  await wait(200);
  let heapUsed = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    gc();
    await wait(20);
    const now = process.memoryUsage().heapUsed;
    if (now >= heapUsed) break;
    heapUsed = now;
  }
  const { rss, heapUsed: heap } = process.memoryUsage();
  return { rss, heapUsed: heap };
}
