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
import { buildFlow, DIRECT_TOKEN, FLOOR, HTTP_FLOWS, MINIMAL, NETWORK_TOKEN, OURS } from "./flows";
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
  type VariantGroup,
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
  const simulators: Simulators = {
    direct: await startSimulatorProcess({ tokenLifetimeSeconds: 3600 }),
    // A process of its own rather than a fault switched on and off: both kinds of variant take turns in every round.
    network: await startSimulatorProcess({ tokenLifetimeSeconds: 3600, eventDelayMs: settings.networkMs }),
    renewal: await startSimulatorProcess({ tokenLifetimeSeconds: settings.renewalTokenLifetime }),
  };
  let host: NodeRedHost | undefined;
  try {
    // The user flows and the axios loops log in once, before anything is measured (each simulator accepts only its own tokens).
    const tokens = {
      direct: await loginOnce(simulators.direct.url, SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY),
      network: await loginOnce(simulators.network.url, SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY),
    };
    host = await startNodeRed({ [DIRECT_TOKEN]: tokens.direct, [NETWORK_TOKEN]: tokens.network });
    const flow = buildFlow({
      simulatorUrl: simulators.direct.url,
      networkSimulatorUrl: simulators.network.url,
      renewalSimulatorUrl: simulators.renewal.url,
      concurrency: settings.concurrency,
      burst: settings.burst,
    });
    await host.deploy(flow);
    const outcome = await measureAll(host, settings, simulators, tokens, began);
    // Failed events make the figures meaningless; unmet targets fail the run only when asked (BENCH_STRICT=1).
    if (outcome.errors > 0) return 1;
    return outcome.targetsMet || process.env.BENCH_STRICT !== "1" ? 0 : 2;
  } finally {
    await host?.stop();
    await Promise.all([simulators.direct, simulators.network, simulators.renewal].map((simulator) => simulator.stop()));
  }
}

/** The simulator processes: one that answers at once, one a simulated network round trip late, one with short-lived tokens. */
interface Simulators {
  direct: SimulatorProcess;
  network: SimulatorProcess;
  renewal: SimulatorProcess;
}

interface Loops {
  axios: { launcher: LoopLauncher; close(): void };
  axiosNet: { launcher: LoopLauncher; close(): void };
  nodeHttp: { launcher: LoopLauncher; close(): void };
}

async function measureAll(
  host: NodeRedHost,
  settings: BenchSettings,
  simulators: Simulators,
  tokens: Record<"direct" | "network", string>,
  began: number,
): Promise<{ targetsMet: boolean; errors: number }> {
  const tracker = new FlowTracker(host);
  const connections = new ConnectionCounter();
  const { direct: simulator, renewal: renewalSimulator } = simulators;
  const loops: Loops = {
    axios: bareAxios(simulator.url, tokens.direct),
    axiosNet: bareAxios(simulators.network.url, tokens.network),
    nodeHttp: bareNodeHttp(simulator.url, tokens.direct),
  };
  const groups = variantGroups(host, tracker, settings, simulators, loops);
  const specs = groups.flatMap((group) => group.specs);
  log(`Comparing ${specs.length} variants in ${groups.length} groups (${settings.networkMs} ms round trip for those marked so): ${settings.warmup} warm-up events each, then ${settings.rounds} rounds...`);
  const measures = await measureComparison(groups, settings, connections);
  for (const loop of [loops.axios, loops.axiosNet, loops.nodeHttp]) loop.close();
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

/** Share of the per-round events a window-1 variant runs: one at a time is slow, at a network round trip most of all. */
const SERIAL_SCALE = 0.4;
const SERIAL_NET_SCALE = 0.15;
/** Blocks per round: about 0.1-0.3 s of each variant at a time, so that the members of a group meet the same machine. */
const BLOCKS = { parallel: 4, serial: 20, serialNet: 10 };

/**
 * Four groups: each setting (no round trip, the simulated one) at full window and one at a time. Every judged
 * ratio pairs two members of one group.
 */
function variantGroups(host: NodeRedHost, tracker: FlowTracker, settings: BenchSettings, simulators: Simulators, loops: Loops): VariantGroup[] {
  // Cached repeats: one ID per window slot, fetched once during the warm-up, then served from the cache.
  const repeatedIds = (index: number): string => `evt_genCachedx${index % settings.concurrency}`;
  const direct = simulators.direct;
  const network = simulators.network;
  const net = `[${settings.networkMs} ms]`;
  const serial = (specs: VariantSpec[], scale: number): VariantSpec[] => specs.map((spec) => ({ ...spec, window: 1, scale }));
  return [
    {
      // Zero round trip: the code's own cost. "ours" comes first: it logs its config node in (the login row reads it).
      name: "0 ms, parallel",
      blocks: BLOCKS.parallel,
      specs: [
        { key: "ours", label: "[0 ms] flatpeak event node, uncached (cache 0)", simulator: direct, launcher: (tag) => tracker.launcher(OURS.uncached.node, generatedIds(`Ours${tag}`)) },
        { key: "oursDefaults", label: "[0 ms] flatpeak event node at the defaults (concurrency 4), uncached", simulator: direct, launcher: (tag) => tracker.launcher(OURS.defaults.node, generatedIds(`Def${tag}`)) },
        { key: "httpDefault", label: "[0 ms] http request flow, defaults (persist off)", simulator: direct, launcher: (tag) => tracker.launcher(HTTP_FLOWS.default.entry, generatedIds(`Http${tag}`)) },
        { key: "httpKeepAlive", label: "[0 ms] http request flow, keep-alive on (persist)", simulator: direct, launcher: (tag) => tracker.launcher(HTTP_FLOWS.keepAlive.entry, generatedIds(`Keep${tag}`)) },
        { key: "axios", label: "[0 ms] bare axios loop (keep-alive agent)", simulator: direct, launcher: (tag) => loops.axios.launcher(generatedIds(`Axios${tag}`)) },
        { key: "oursCached", label: `flatpeak event node, cached repeats (${settings.concurrency} IDs)`, simulator: direct, launcher: () => tracker.launcher(OURS.cached.node, repeatedIds) },
        { key: "clientUncached", label: "[0 ms] our client alone: getEvent, uncached (cache 0)", simulator: direct, launcher: (tag) => clientLauncher(host, OURS.uncached.config, generatedIds(`Client${tag}`)) },
        { key: "clientCached", label: "our client alone: getEvent, cached repeats", simulator: direct, launcher: () => clientLauncher(host, OURS.cached.config, repeatedIds) },
        { key: "floor", label: "Node-RED floor: 3 prepared messages out, no fetch", simulator: direct, launcher: (tag) => tracker.launcher(FLOOR, generatedIds(`Floor${tag}`)) },
        { key: "nodeHttp", label: "[0 ms] reference: bare node:http loop (no axios)", simulator: direct, launcher: (tag) => loops.nodeHttp.launcher(generatedIds(`Raw${tag}`)) },
      ],
    },
    {
      // One event at a time: latency without queueing behind other events.
      name: "0 ms, window 1",
      blocks: BLOCKS.serial,
      specs: serial(
        [
          { key: "oursSerial", label: "[0 ms] flatpeak event node, uncached, window 1", simulator: direct, launcher: (tag) => tracker.launcher(OURS.uncached.node, generatedIds(`OneOurs${tag}`)) },
          { key: "axiosSerial", label: "[0 ms] bare axios loop, window 1", simulator: direct, launcher: (tag) => loops.axios.launcher(generatedIds(`OneAxios${tag}`)) },
          { key: "clientSerial", label: "[0 ms] our client alone: getEvent, uncached, window 1", simulator: direct, launcher: (tag) => clientLauncher(host, OURS.uncached.config, generatedIds(`OneClient${tag}`)) },
          { key: "floorSerial", label: "Node-RED floor, window 1", simulator: direct, launcher: (tag) => tracker.launcher(FLOOR, generatedIds(`OneFloor${tag}`)) },
          { key: "minimalSerial", label: "[0 ms] minimal node: getEvent, then the floor's messages, window 1", simulator: direct, launcher: (tag) => tracker.launcher(MINIMAL, generatedIds(`OneMin${tag}`)) },
        ],
        SERIAL_SCALE,
      ),
    },
    {
      // A network round trip, as a user's flow meets Flatpeak (tens of ms away): the simulator answers events late.
      name: `${settings.networkMs} ms, parallel`,
      blocks: BLOCKS.parallel,
      specs: [
        { key: "oursNet", label: `${net} flatpeak event node, uncached (cache 0)`, simulator: network, launcher: (tag) => tracker.launcher(OURS.netUncached.node, generatedIds(`NetOurs${tag}`)) },
        { key: "httpDefaultNet", label: `${net} http request flow, defaults (persist off)`, simulator: network, launcher: (tag) => tracker.launcher(HTTP_FLOWS.netDefault.entry, generatedIds(`NetHttp${tag}`)) },
        { key: "httpKeepAliveNet", label: `${net} http request flow, keep-alive on (persist)`, simulator: network, launcher: (tag) => tracker.launcher(HTTP_FLOWS.netKeepAlive.entry, generatedIds(`NetKeep${tag}`)) },
        { key: "axiosNet", label: `${net} bare axios loop (keep-alive agent)`, simulator: network, launcher: (tag) => loops.axiosNet.launcher(generatedIds(`NetAxios${tag}`)) },
      ],
    },
    {
      name: `${settings.networkMs} ms, window 1`,
      blocks: BLOCKS.serialNet,
      specs: serial(
        [
          { key: "oursSerialNet", label: `${net} flatpeak event node, uncached, window 1`, simulator: network, launcher: (tag) => tracker.launcher(OURS.netUncached.node, generatedIds(`NetOneOurs${tag}`)) },
          { key: "oursCachedSerialNet", label: `${net} flatpeak event node, cached repeats, window 1`, simulator: network, launcher: () => tracker.launcher(OURS.netCached.node, repeatedIds) },
          { key: "axiosSerialNet", label: `${net} bare axios loop, window 1`, simulator: network, launcher: (tag) => loops.axiosNet.launcher(generatedIds(`NetOneAxios${tag}`)) },
        ],
        SERIAL_NET_SCALE,
      ),
    },
  ];
}

function environment(settings: BenchSettings): string[] {
  const cpu = cpus();
  return [
    `Node.js ${process.version} (${process.execArgv.join(" ")}), Node-RED ${packageVersion("node-red")}, axios ${packageVersion("axios")}, ${cpu.length} x ${cpu[0]?.model ?? "unknown CPU"}, ${process.platform} ${process.arch}`,
    "Simulators: child processes (generated device events over loopback HTTP); Node-RED: embedded in the benchmark process.",
    `Round trip: [0 ms] variants ask a simulator that answers at once (the code's own cost); [${settings.networkMs} ms] variants ask a second one whose`,
    `  event answers wait ${settings.networkMs} ms (its "slow" fault on the event route; logins are not delayed), as a network would. Both take turns in every round.`,
    `Measured: ${settings.events} events per variant in ${settings.rounds} rounds, after ${settings.warmup} warm-up events each; window-1 variants run ${SERIAL_SCALE} of that`,
    `  at [0 ms] and ${SERIAL_NET_SCALE} at [${settings.networkMs} ms]. Four groups (each round trip at ${settings.concurrency} in flight and at window 1) take turns each round,`,
    `  their order rotated; within a group the variants alternate in blocks (${BLOCKS.parallel} per round at ${settings.concurrency} in flight, ${BLOCKS.serial} and ${BLOCKS.serialNet} at window 1).`,
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
