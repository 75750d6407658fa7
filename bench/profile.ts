/**
 * `npm run build && node dist/bench/profile.js`: where the time of one event
 * goes. Not part of `npm run bench`; a look before changing code.
 *
 * For our node (uncached), our client alone, bare axios, the Node-RED floor
 * and the minimal node (bench-nodes.ts), against a simulator that answers at once (or, with
 * PROFILE_NETWORK_MS, one whose event answers wait that long):
 *
 * 1. a per-phase trace, one event at a time: timestamps at the message going
 *    in, the node's input handler, getEvent called, the request started and
 *    its response in (the http.client diagnostics channels), getEvent
 *    resolved, the node's send (Node-RED's onSend hook), the first and the
 *    third output at the sink. Medians per phase. The hooks and the wrapper
 *    around getEvent add a little to what they time.
 * 2. a CPU profile of a run without the trace (the inspector, in this
 *    process), at PROFILE_WINDOW events in flight: busy time per event by
 *    where it runs (our package, Node-RED, axios, Node core, the benchmark,
 *    GC) and the functions with the most self time.
 *
 * Settings: PROFILE_EVENTS (default 4000 per variant), PROFILE_WINDOW (default 1),
 * PROFILE_NETWORK_MS (default: none), PROFILE_TOP (default 12 functions),
 * PROFILE_CPU=0 (the trace only), PROFILE_TRACE=0 (the CPU profiles only).
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { Session, type Profiler } from "node:inspector";
import { performance } from "node:perf_hooks";
import RED from "node-red";
import type { NodeMessageInFlow } from "node-red";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY } from "../simulator/server";
import type { FlatpeakConfigNode } from "../nodes/types";
import { onSinkMessage } from "./bench-nodes";
import { runClosedLoop, type Launch } from "./closed-loop";
import { buildFlow, DIRECT_TOKEN, FLOOR, MINIMAL, NETWORK_TOKEN, OURS } from "./flows";
import { startNodeRed, type NodeRedHost } from "./node-red-host";
import { generatedIds } from "./phases";
import { startSimulatorProcess } from "./simulator-child";
import { median } from "./stats";
import { bareAxios, clientLauncher, loginOnce } from "./variants";

const PHASES = ["in", "input handler", "getEvent called", "request started", "response in", "getEvent resolved", "send", "first output", "third output"] as const;
type Phase = (typeof PHASES)[number];

const EVENTS = setting("PROFILE_EVENTS", 4000, 10);
const WINDOW = setting("PROFILE_WINDOW", 1, 1);
const NETWORK_MS = setting("PROFILE_NETWORK_MS", 0, 0);
const TOP = setting("PROFILE_TOP", 12, 1);
/** PROFILE_CPU=0: the trace only; PROFILE_TRACE=0: the CPU profiles only. */
const CPU = process.env.PROFILE_CPU?.trim() !== "0";
const TRACE = process.env.PROFILE_TRACE?.trim() !== "0";
const SAMPLING_US = 100;

/** The timestamps of the event being traced (one at a time). */
let marks: Partial<Record<Phase, number>> | undefined;
function mark(phase: Phase): void {
  if (marks && marks[phase] === undefined) marks[phase] = performance.now();
}

interface Subject {
  name: string;
  launcher(tag: string): Launch;
}

async function main(): Promise<void> {
  const simulator = await startSimulatorProcess({ tokenLifetimeSeconds: 3600, ...(NETWORK_MS > 0 ? { eventDelayMs: NETWORK_MS } : {}) });
  let host: NodeRedHost | undefined;
  try {
    const token = await loginOnce(simulator.url, SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY);
    host = await startNodeRed({ [DIRECT_TOKEN]: token, [NETWORK_TOKEN]: token });
    await host.deploy(buildFlow({ simulatorUrl: simulator.url, networkSimulatorUrl: simulator.url, renewalSimulatorUrl: simulator.url, concurrency: 16, burst: 1000 }));
    const axios = bareAxios(simulator.url, token);
    const sink = new Sink();
    const subjects: Subject[] = [
      { name: "flatpeak event node, uncached", launcher: (tag) => sink.launcher(host!, OURS.uncached.node, generatedIds(`Ours${tag}`)) },
      { name: "our client alone: getEvent, uncached", launcher: (tag) => clientLauncher(host!, OURS.uncached.config, generatedIds(`Client${tag}`)) },
      { name: "bare axios", launcher: (tag) => axios.launcher(generatedIds(`Axios${tag}`)) },
      { name: "Node-RED floor", launcher: (tag) => sink.launcher(host!, FLOOR, generatedIds(`Floor${tag}`)) },
      { name: "minimal node: getEvent, then the floor's messages", launcher: (tag) => sink.launcher(host!, MINIMAL, generatedIds(`Min${tag}`)) },
    ];
    console.log(`Profile: ${EVENTS} events per variant, simulator round trip ${NETWORK_MS > 0 ? `${NETWORK_MS} ms` : "none (answers at once)"}.`);
    for (const subject of subjects) await runClosedLoop(500, WINDOW, subject.launcher("W"));
    if (TRACE) {
      console.log("\nPer-phase trace, one event at a time, the variants taking turns in 10 rounds: median ms from the phase before (n: events that passed it)\n");
      const trace = new Trace(host, OURS.uncached.node, OURS.uncached.config);
      for (const [subject, phases] of await trace.run(subjects, 10)) console.log(`${subject.name}: ${phases}`);
      trace.close();
    }
    if (CPU) {
      console.log(`\nCPU profile at ${WINDOW} in flight (inspector, ${SAMPLING_US} us sampling; the profiler adds to every variant)\n`);
      for (const subject of subjects) console.log(describeProfile(subject.name, await profileRun(subject), EVENTS));
    }
    axios.close();
  } finally {
    await host?.stop();
    await simulator.stop();
  }
}

/** Ends a flow event when its third output reaches the sink; marks the first and third output. */
class Sink {
  private readonly pending = new Map<string, { finish: (ok: boolean) => void; arrivals: number }>();
  private counter = 0;

  constructor() {
    onSinkMessage((_sinkId, msg: NodeMessageInFlow) => {
      const entry = this.pending.get(msg._msgid);
      if (!entry) return;
      mark("first output");
      if (++entry.arrivals < 3) return;
      mark("third output");
      this.pending.delete(msg._msgid);
      entry.finish(true);
    });
  }

  launcher(host: NodeRedHost, nodeId: string, idOf: (index: number) => string): Launch {
    const node = host.node(nodeId);
    return (index, finish) => {
      const msgid = `profile${++this.counter}`;
      this.pending.set(msgid, { finish, arrivals: 0 });
      node.receive({ _msgid: msgid, payload: idOf(index) });
    };
  }
}

/** The per-phase trace: hooks, diagnostics channels and a wrapper around getEvent, removed by close(). */
class Trace {
  private readonly onRequest = (): void => mark("request started");
  private readonly onResponse = (): void => mark("response in");
  private readonly api: FlatpeakConfigNode["api"];

  constructor(host: NodeRedHost, nodeId: string, configId: string) {
    subscribe("http.client.request.start", this.onRequest);
    subscribe("http.client.response.finish", this.onResponse);
    const watched = new Set([nodeId, FLOOR, MINIMAL]);
    RED.hooks.add("onReceive.profile", (event: { destination: { id: string } }) => {
      if (watched.has(event.destination.id)) mark("input handler");
    });
    RED.hooks.add("onSend.profile", (events: Array<{ source: { id: string } }>) => {
      if (watched.has(events[0]?.source.id)) mark("send");
    });
    this.api = (host.node(configId) as FlatpeakConfigNode).api;
    const original = this.api.getEvent.bind(this.api);
    // An own property in front of the client's method; close() deletes it.
    this.api.getEvent = (id, signal) => {
      mark("getEvent called");
      return original(id, signal).then((event) => {
        mark("getEvent resolved");
        return event;
      });
    };
  }

  /** One event at a time, the subjects taking turns in `rounds` rounds; each event's marks from its start to its end. */
  async run(subjects: Subject[], rounds: number): Promise<Map<Subject, string>> {
    const samples = new Map(subjects.map((subject) => [subject, [] as Sample[]]));
    for (let round = 0; round < rounds; round++) {
      for (const subject of subjects) {
        const launch = subject.launcher(`T${round}`);
        const traced: Launch = (index, finish) => {
          marks = { in: performance.now() };
          launch(index, (ok) => {
            samples.get(subject)!.push({ ...marks, end: performance.now() });
            marks = undefined;
            finish(ok);
          });
        };
        await runClosedLoop(Math.ceil(EVENTS / rounds), 1, traced);
      }
    }
    return new Map([...samples].map(([subject, list]) => [subject, summarize(list)]));
  }

  close(): void {
    unsubscribe("http.client.request.start", this.onRequest);
    unsubscribe("http.client.response.finish", this.onResponse);
    RED.hooks.remove("*.profile");
    Reflect.deleteProperty(this.api, "getEvent");
  }
}

type Sample = Partial<Record<Phase | "end", number>>;

function summarize(samples: Sample[]): string {
  const order = [...PHASES, "end"] as const;
  const parts: string[] = [];
  let total: number[] = [];
  for (let i = 1; i < order.length; i++) {
    const phase = order[i];
    const gaps: number[] = [];
    for (const sample of samples) {
      const at = sample[phase];
      if (at === undefined) continue;
      // From the latest earlier phase this event passed.
      const before = order.slice(0, i).reverse().find((p) => sample[p] !== undefined);
      if (before !== undefined) gaps.push(at - sample[before]!);
    }
    if (gaps.length > 0 && phase !== "end") parts.push(`${phase} +${median(gaps).toFixed(3)} (n ${gaps.length})`);
    if (phase === "end") total = samples.map((s) => s.end! - s.in!);
  }
  return `${parts.join(", ")}; whole event ${median(total).toFixed(3)} ms`;
}

async function profileRun(subject: Subject): Promise<Profiler.Profile> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object): Promise<T> =>
    new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))));
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: SAMPLING_US });
  await post("Profiler.start");
  await runClosedLoop(EVENTS, WINDOW, subject.launcher("P"));
  const { profile } = await post<{ profile: Profiler.Profile }>("Profiler.stop");
  session.disconnect();
  return profile;
}

/** Busy time per event by where the code lives, and the functions with the most self time. */
function describeProfile(name: string, profile: Profiler.Profile, events: number): string {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Each sample's time is the delta to the next sample.
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + (deltas[i + 1] ?? 0));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const oursByFunction = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const place = placeOf(node.callFrame);
    if (place === "idle") continue;
    busy += us;
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
    const fn = `${node.callFrame.functionName || "(anonymous)"} ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    if (place === "ours") oursByFunction.set(fn, (oursByFunction.get(fn) ?? 0) + us);
  }
  const perEvent = (us: number): string => `${(us / events).toFixed(1)} us`;
  const places = [...byPlace].sort((a, b) => b[1] - a[1]).map(([place, us]) => `${place} ${perEvent(us)}`);
  const top = (functions: Map<string, number>): string[] =>
    [...functions].sort((a, b) => b[1] - a[1]).slice(0, TOP).map(([fn, us]) => `    ${perEvent(us).padStart(9)}  ${fn}`);
  const ours = oursByFunction.size > 0 ? ["  of which in our package:", ...top(oursByFunction)] : [];
  return [`${name}: busy ${perEvent(busy)} per event (${places.join(", ")})`, ...top(byFunction), ...ours, ""].join("\n");
}

function placeOf(frame: Profiler.ProfileNode["callFrame"]): string {
  const url = frame.url;
  if (frame.functionName === "(idle)") return "idle";
  if (frame.functionName === "(garbage collector)") return "GC";
  if (frame.functionName === "(program)" || url === "") return "V8/native";
  if (url.includes("/dist/nodes/")) return "ours";
  if (url.includes("/dist/bench/")) return "bench";
  if (url.includes("/node-red") || url.includes("/@node-red/")) return "Node-RED";
  if (url.includes("/axios/") || url.includes("/follow-redirects/") || url.includes("/form-data/")) return "axios";
  if (url.startsWith("node:")) return "Node core";
  return "other modules";
}

function shortUrl(url: string): string {
  const dist = url.lastIndexOf("/dist/");
  if (dist >= 0) return url.slice(dist + 1);
  const modules = url.lastIndexOf("/node_modules/");
  return modules >= 0 ? url.slice(modules + "/node_modules/".length) : url;
}

function setting(name: string, fallback: number, least: number): number {
  const text = process.env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < least) throw new Error(`${name} must be a number >= ${least}, not "${text}"`);
  return value;
}

process.once("SIGINT", () => process.exit(130));
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
