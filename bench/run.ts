/**
 * `npm run bench`: our flatpeak-event node against the flow a user would
 * build without it (core http request node + function nodes) and against a
 * bare axios loop, all in one run, with login, cache and memory checks.
 * See the report's definitions, and bench/README.md.
 *
 * Layout: the simulator runs in child processes (it must not share the event
 * loop with what is measured); Node-RED runs embedded in this process.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY } from "../simulator/server";
import type { Launch } from "./closed-loop";
import { buildFlow, FLOOR, HTTP_FLOWS, OURS } from "./flows";
import { startNodeRed, type NodeRedHost } from "./node-red-host";
import {
  ConnectionCounter,
  generatedIds,
  measureBurst,
  measureComparison,
  measureConnectionBurst,
  measureFootprint,
  measureMemory,
  measureRenewal,
  type VariantSpec,
} from "./phases";
import { runPlannerBench } from "./planner";
import { printReport } from "./report";
import { readSettings, type BenchSettings } from "./settings";
import { startSimulatorProcess, type SimulatorProcess } from "./simulator-child";
import { bareAxios, bareNodeHttp, clientLauncher, FlowTracker, loginOnce } from "./variants";

async function main(): Promise<number> {
  const began = performance.now();
  const settings = readSettings();
  const simulator = await startSimulatorProcess(3600);
  const renewalSimulator = await startSimulatorProcess(settings.renewalTokenLifetime);
  let host: NodeRedHost | undefined;
  try {
    // The user flow and the axios loop log in once, before anything is measured.
    const token = await loginOnce(simulator.url, SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY);
    host = await startNodeRed({ flatpeakToken: token });
    const flow = buildFlow({ simulatorUrl: simulator.url, renewalSimulatorUrl: renewalSimulator.url, concurrency: settings.concurrency, burst: settings.burst });
    await host.deploy(flow);
    const outcome = await measureAll(host, settings, simulator, renewalSimulator, token, began);
    // Failed events make the figures meaningless; unmet targets fail the run only when asked (BENCH_STRICT=1).
    if (outcome.errors > 0) return 1;
    return outcome.targetsMet || process.env.BENCH_STRICT !== "1" ? 0 : 2;
  } finally {
    await host?.stop();
    await Promise.all([simulator.stop(), renewalSimulator.stop()]);
  }
}

async function measureAll(
  host: NodeRedHost,
  settings: BenchSettings,
  simulator: SimulatorProcess,
  renewalSimulator: SimulatorProcess,
  token: string,
  began: number,
): Promise<{ targetsMet: boolean; errors: number }> {
  const tracker = new FlowTracker(host);
  const connections = new ConnectionCounter();
  const loops = { axios: bareAxios(simulator.url, token), nodeHttp: bareNodeHttp(simulator.url, token) };
  const specs = variantSpecs(host, tracker, settings, loops);
  log(`Comparing ${specs.length} variants: ${settings.warmup} warm-up events each, then ${settings.rounds} rounds...`);
  const measures = await measureComparison(specs, settings, simulator, connections);
  loops.axios.close();
  loops.nodeHttp.close();
  log(`Login burst: ${settings.burst} messages at once...`);
  const burst = await measureBurst(tracker.launcher(OURS.burst.node, generatedIds("Burst")), settings.burst, simulator);
  log(`Token renewal: ${settings.renewalSeconds} s against ${settings.renewalTokenLifetime} s tokens...`);
  const renewal = await measureRenewal(tracker.launcher(OURS.renewal.node, generatedIds("Renew")), settings, renewalSimulator);
  log(`Connections: ${settings.burst} messages at once into our node at the defaults and into the http request flows...`);
  const connectionBursts = {
    oursDefaults: await measureConnectionBurst(tracker.launcher(OURS.defaults.node, generatedIds("ConnOurs")), settings.burst, connections),
    httpDefault: await measureConnectionBurst(tracker.launcher(HTTP_FLOWS.default.entry, generatedIds("ConnHttp")), settings.burst, connections),
    httpKeepAlive: await measureConnectionBurst(tracker.launcher(HTTP_FLOWS.keepAlive.entry, generatedIds("ConnKeep")), settings.burst, connections),
  };
  log(`Memory: ${settings.memoryEvents} events...`);
  const memory = await measureMemory((tag) => tracker.launcher(OURS.memory.node, generatedIds(tag)), settings);
  // Last, with this process idle: each sample is a fresh Node-RED process.
  log(`Footprint: ${settings.footprintRuns} idle Node-RED processes with this package and ${settings.footprintRuns} without...`);
  const footprint = await measureFootprint(settings.footprintRuns);
  if (tracker.errorSamples.length > 0) log(`Errors seen (first ${tracker.errorSamples.length}):\n  ${tracker.errorSamples.join("\n  ")}`);
  const targetsMet = printReport({
    settings,
    environment: environment(settings),
    labels: new Map(specs.map((spec) => [spec.key, spec.label])),
    measures,
    burst,
    renewal,
    memory,
    connectionBursts,
    footprint,
    elapsedSeconds: (performance.now() - began) / 1000,
  });
  console.log(`\n${(await runPlannerBench()).join("\n")}`);
  const errors = [...measures.values()].reduce((sum, m) => sum + m.runs.reduce((n, run) => n + run.errors, 0), 0) + burst.errors + renewal.errors + memory.figures.errors +
    Object.values(connectionBursts).reduce((n, b) => n + b.errors, 0);
  return { targetsMet, errors };
}

type LoopLauncher = (idOf: (index: number) => string) => Launch;

function variantSpecs(host: NodeRedHost, tracker: FlowTracker, settings: BenchSettings, loops: Record<"axios" | "nodeHttp", { launcher: LoopLauncher }>): VariantSpec[] {
  // Cached repeats: one ID per window slot, fetched once during the warm-up, then served from the cache.
  const repeatedIds = (index: number): string => `evt_genCachedx${index % settings.concurrency}`;
  return [
    { key: "ours", label: "flatpeak event node, uncached (cache 0)", launcher: (tag) => tracker.launcher(OURS.uncached.node, generatedIds(`Ours${tag}`)) },
    { key: "oursDefaults", label: "flatpeak event node at the defaults (concurrency 4), uncached", launcher: (tag) => tracker.launcher(OURS.defaults.node, generatedIds(`Def${tag}`)) },
    { key: "httpDefault", label: "http request flow, defaults (persist off)", launcher: (tag) => tracker.launcher(HTTP_FLOWS.default.entry, generatedIds(`Http${tag}`)) },
    { key: "httpKeepAlive", label: "http request flow, keep-alive on (persist)", launcher: (tag) => tracker.launcher(HTTP_FLOWS.keepAlive.entry, generatedIds(`Keep${tag}`)) },
    { key: "axios", label: "bare axios loop (keep-alive agent)", launcher: (tag) => loops.axios.launcher(generatedIds(`Axios${tag}`)) },
    { key: "oursCached", label: `flatpeak event node, cached repeats (${settings.concurrency} IDs)`, launcher: () => tracker.launcher(OURS.cached.node, repeatedIds) },
    { key: "clientUncached", label: "our client alone: getEvent, uncached (cache 0)", launcher: (tag) => clientLauncher(host, OURS.uncached.config, generatedIds(`Client${tag}`)) },
    { key: "clientCached", label: "our client alone: getEvent, cached repeats", launcher: () => clientLauncher(host, OURS.cached.config, repeatedIds) },
    { key: "floor", label: "Node-RED floor: 3 prepared messages out, no fetch", launcher: (tag) => tracker.launcher(FLOOR, generatedIds(`Floor${tag}`)) },
    { key: "nodeHttp", label: "reference: bare node:http loop (no axios)", launcher: (tag) => loops.nodeHttp.launcher(generatedIds(`Raw${tag}`)) },
    // One event at a time: latency without queueing behind other events (a fifth of the events).
    { key: "oursSerial", label: "flatpeak event node, uncached, window 1", window: 1, scale: 0.2, launcher: (tag) => tracker.launcher(OURS.uncached.node, generatedIds(`OneOurs${tag}`)) },
    { key: "axiosSerial", label: "bare axios loop, window 1", window: 1, scale: 0.2, launcher: (tag) => loops.axios.launcher(generatedIds(`OneAxios${tag}`)) },
    { key: "clientSerial", label: "our client alone: getEvent, uncached, window 1", window: 1, scale: 0.2, launcher: (tag) => clientLauncher(host, OURS.uncached.config, generatedIds(`OneClient${tag}`)) },
    { key: "floorSerial", label: "Node-RED floor, window 1", window: 1, scale: 0.2, launcher: (tag) => tracker.launcher(FLOOR, generatedIds(`OneFloor${tag}`)) },
  ];
}

function environment(settings: BenchSettings): string[] {
  const cpu = cpus();
  return [
    `Node.js ${process.version} (${process.execArgv.join(" ")}), Node-RED ${packageVersion("node-red")}, axios ${packageVersion("axios")}, ${cpu.length} x ${cpu[0]?.model ?? "unknown CPU"}, ${process.platform} ${process.arch}`,
    "Simulator: a child process (generated device events over loopback HTTP); Node-RED: embedded in the benchmark process.",
    `Measured: ${settings.events} events per variant in ${settings.rounds} rounds (order rotated each round), after ${settings.warmup} warm-up events each.`,
    `Our config nodes: concurrency ${settings.concurrency} (but "at the defaults": 4, the default); retries, timeout, backoff cap and queue at their defaults (3, 15 s, 30 s, 1000); cache 0 for uncached runs, default (100) for cached and memory runs.`,
    "User flow: function (msg.url, Authorization: Bearer <token from one /login>) -> http request (GET, ret obj, defaults) -> function (status check, split into 3 outputs).",
    `Keep-alive: the http request node with persist off brings no agent, so got uses Node's global agent, whose keepAlive is ${String(globalAgentKeepAlive())} here; persist on gives it a keep-alive agent of its own. Our client and the bare loops use keep-alive agents.`,
  ];
}

/** The installed version (RED.version adds "-git" whenever a .git sits above node_modules, as in a clone). */
function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string }).version;
}

function globalAgentKeepAlive(): boolean {
  return (http.globalAgent as unknown as { options: { keepAlive?: boolean } }).options.keepAlive === true;
}

function log(text: string): void {
  console.error(`[bench] ${text}`);
}

/** Memory figures need a forced GC: run again with --expose-gc unless it is already on. */
function relaunchWithGc(): number {
  const child = spawnSync(process.execPath, ["--expose-gc", ...process.execArgv, __filename, ...process.argv.slice(2)], { stdio: "inherit" });
  return child.status ?? 1;
}

if (typeof globalThis.gc !== "function") {
  process.exitCode = relaunchWithGc();
} else {
  // Ctrl-C: exit through process.exit so that the temporary user directory is removed ("exit" handler).
  process.once("SIGINT", () => process.exit(130));
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}
