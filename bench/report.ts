/** Turns the measurements into the printed report: tables, targets, definitions and how to reproduce. */
import type { FootprintSample } from "./footprint-child";
import type { ConnectionBurst, FootprintResult, LoginCheck, MemoryResult, VariantKey, VariantMeasure } from "./phases";
import { ENV_NAMES, type BenchSettings } from "./settings";
import { figuresOf, median, type Figures, type RunResult } from "./stats";

export interface ReportInput {
  settings: BenchSettings;
  environment: string[];
  labels: Map<VariantKey, string>;
  measures: Map<VariantKey, VariantMeasure>;
  burst: LoginCheck;
  renewal: LoginCheck;
  memory: MemoryResult;
  /** `burst` messages at once, after the comparison (connections warm). */
  connectionBursts: Record<"oursDefaults" | "httpDefault" | "httpKeepAlive", ConnectionBurst>;
  footprint: FootprintResult;
  elapsedSeconds: number;
}

/** The config node's default concurrency (nodes/lib/settings.ts): what "at the defaults" runs with. */
const DEFAULT_CONCURRENCY = 4;

interface Check {
  name: string;
  measured: string;
  target: string;
  perRound: string;
  met: boolean | undefined;
}

/** How often the token manager logs in again: it renews at lifetime − min(60 s, lifetime/10) (token-manager.ts). */
export function renewalIntervalSeconds(lifetime: number): number {
  return lifetime - Math.min(60, lifetime / 10);
}

export function printReport(input: ReportInput): boolean {
  const { settings, measures } = input;
  const figures = new Map([...measures].map(([key, measure]) => [key, figuresOf(measure.runs)]));
  const lines: string[] = [];
  lines.push("", "Flatpeak benchmark (npm run bench)", "", ...input.environment, "");
  lines.push(`Variants: throughput and per-event latency; ${settings.concurrency} events in flight for every variant except those marked "window 1"`, "");
  lines.push(...table(["Variant", "Events", "Errors", "Events/s", "ms/event", "Median ms", "p99 ms", "Requests seen", "New TCP conns", "CPU ms/event: bench", "simulator"], variantRows(input, figures)));
  const failed = [...figures.values()].reduce((sum, f) => sum + f.errors, 0) + input.burst.errors + input.renewal.errors + input.memory.figures.errors +
    Object.values(input.connectionBursts).reduce((sum, b) => sum + b.errors, 0);
  if (failed > 0) lines.push("", `WARNING: ${failed} events ended in an error (see [bench] lines above): the figures are not valid.`);
  const checks = targetChecks(input, figures);
  lines.push(
    "",
    `Targets, from this run (1: Parallel ${settings.concurrency}, 2: defaults, 3: one at a time, 4: cache, logins, memory, 5: footprint; R: reference, not judged).`,
    `[${settings.networkMs} ms]: against the simulator with a ${settings.networkMs} ms round trip (as a network); [0 ms]: the one that answers at once (code overhead).`,
    "",
  );
  lines.push(...table(["Check", "Measured", "Target", "Per round (min-max)", "Met"], checks.map(checkRow)));
  const judged = checks.filter((check) => check.met !== undefined);
  lines.push("", `Targets met: ${judged.filter((check) => check.met).length} of ${judged.length} judged.`);
  lines.push("", ...definitions(input), "", ...reproduce(settings), "");
  lines.push(`Benchmark took ${formatDuration(input.elapsedSeconds)}.`, "");
  console.log(lines.join("\n"));
  return judged.every((check) => check.met === true);
}

function variantRows(input: ReportInput, figures: Map<VariantKey, Figures>): string[][] {
  return [...input.measures].map(([key, measure]) => {
    const f = figures.get(key)!;
    return [
      input.labels.get(key) ?? key,
      String(f.events),
      String(f.errors),
      f.eventsPerSecond.toFixed(0),
      f.msPerEvent.toFixed(3),
      f.medianMs.toFixed(2),
      f.p99Ms.toFixed(2),
      String(measure.eventRequests),
      String(measure.connections),
      (measure.benchCpuMs / f.events).toFixed(3),
      (measure.simulatorCpuMs / f.events).toFixed(3),
    ];
  });
}

function targetChecks(input: ReportInput, figures: Map<VariantKey, Figures>): Check[] {
  const { measures, settings, memory, burst, renewal } = input;
  const get = (key: VariantKey): Figures => figures.get(key)!;
  const runs = (key: VariantKey): RunResult[] => measures.get(key)!.runs;
  const net = `[${settings.networkMs} ms]`;
  const parallel = `Parallel ${settings.concurrency} (${settings.concurrency} in flight, concurrency ${settings.concurrency})`;
  const interval = renewalIntervalSeconds(settings.renewalTokenLifetime);
  const renewalBound = 1 + Math.floor(renewal.seconds / interval);
  const rssGrowth = memory.after.rss - memory.before.rss;
  const heapGrowth = memory.after.heapUsed - memory.before.heapUsed;
  const cpuPerEvent = (key: VariantKey): number => measures.get(key)!.benchCpuMs / get(key).events;
  const bursts = input.connectionBursts;
  const perBurst = (b: ConnectionBurst): string => `${b.connections} for ${b.events} messages${b.errors > 0 ? ` (${b.errors} errors)` : ""}`;
  const { footprint } = input;
  return [
    ratioCheck(`1 ${net} ${parallel}: throughput ours / http request flow (defaults)`, 1.5, perRoundThroughput(runs("oursNet"), runs("httpDefaultNet"))),
    ratioCheck(`1 ${net} ${parallel}: throughput ours / http request flow (keep-alive on)`, 1.5, perRoundThroughput(runs("oursNet"), runs("httpKeepAliveNet"))),
    ratioCheck(`1 [0 ms] ${parallel}: throughput ours / http request flow (defaults)`, 1.5, perRoundThroughput(runs("ours"), runs("httpDefault"))),
    ratioCheck(`1 [0 ms] ${parallel}: throughput ours / http request flow (keep-alive on)`, 1.5, perRoundThroughput(runs("ours"), runs("httpKeepAlive"))),
    withinCheck(`2 [0 ms] Throughput at the defaults (concurrency ${DEFAULT_CONCURRENCY}, ${settings.concurrency} in flight): ours / http request flow (defaults)`, 0.9, perRoundThroughput(runs("oursDefaults"), runs("httpDefault"))),
    withinCheck(`2 [0 ms] Throughput at the defaults (concurrency ${DEFAULT_CONCURRENCY}, ${settings.concurrency} in flight): ours / http request flow (keep-alive on)`, 0.9, perRoundThroughput(runs("oursDefaults"), runs("httpKeepAlive"))),
    {
      name: `2 New TCP connections per burst of ${bursts.oursDefaults.events} messages at once: ours at the defaults`,
      measured: perBurst(bursts.oursDefaults),
      target: `<= ${DEFAULT_CONCURRENCY}`,
      perRound: "",
      met: bursts.oursDefaults.connections <= DEFAULT_CONCURRENCY && bursts.oursDefaults.errors === 0,
    },
    { name: "2 New TCP connections per burst: http request flow (defaults)", measured: perBurst(bursts.httpDefault), target: "(reported)", perRound: "", met: undefined },
    { name: "2 New TCP connections per burst: http request flow (keep-alive on)", measured: perBurst(bursts.httpKeepAlive), target: "(reported)", perRound: "", met: undefined },
    atMostRatio(`3 ${net} One event at a time (window 1): median latency ours / bare axios`, 1.1, perRoundLatencyRatio(runs("oursSerialNet"), runs("axiosSerialNet"))),
    atMostRatio("3 [0 ms] One at a time, code overhead: median latency our client alone (getEvent) / bare axios", 1.15, perRoundLatencyRatio(runs("clientSerial"), runs("axiosSerial"))),
    atMostMs(
      "3 [0 ms] One at a time, code overhead: the node's added time per event over the Node-RED floor (median latency ours - client alone - floor)",
      0.1,
      perRoundNodeAddedMs(runs("oursSerial"), runs("clientSerial"), runs("floorSerial")),
    ),
    ratioCheck(`4 ${net} Cache speed-up through the node, one at a time (window 1): median latency uncached / cached`, 20, perRoundLatencySpeedup(runs("oursSerialNet"), runs("oursCachedSerialNet"))),
    loginCheck(`4 Logins: our uncached runs (${measures.get("ours")!.eventRequests} requests, 3600 s tokens)`, measures.get("ours")!.logins, 1, "= 1"),
    loginCheck(`4 Logins: ${burst.events} messages at once into a fresh config node`, burst.logins, 1, "= 1", burst.errors),
    loginCheck(
      `4 Logins: ${settings.renewalTokenLifetime} s tokens, ${renewal.seconds.toFixed(1)} s at window ${settings.concurrency} (${renewal.events} events)`,
      renewal.logins,
      renewalBound,
      `<= ${renewalBound} (renewal every ${interval.toFixed(1)} s)`,
      renewal.errors,
    ),
    {
      name: `4 Memory: RSS growth over ${memory.figures.events} events (${fmtMb(memory.before.rss)} -> ${fmtMb(memory.after.rss)})`,
      measured: fmtMb(rssGrowth),
      target: "< 10 MB",
      perRound: "",
      met: rssGrowth < 10 * 1024 * 1024 && memory.figures.errors === 0,
    },
    {
      name: `4 Memory: heapUsed growth (${fmtMb(memory.before.heapUsed)} -> ${fmtMb(memory.after.heapUsed)})`,
      measured: fmtMb(heapGrowth),
      target: "(reported)",
      perRound: "",
      met: undefined,
    },
    footprintCheck("5 Footprint: RSS this package adds to an idle Node-RED", footprint, (f) => f.rss, signedMb, fmtMb),
    footprintCheck("5 Footprint: heapUsed it adds", footprint, (f) => f.heapUsed, signedMb, fmtMb),
    footprintCheck("5 Footprint: start-up time it adds (require to flows started)", footprint, (f) => f.startupMs, signedMs, (v) => `${v.toFixed(0)} ms`),
    reportedMs(`R ${net} The simulated round trip as measured: bare axios median latency at window 1`, perRoundMedianMs(runs("axiosSerialNet"))),
    reportedMs("R [0 ms] The same without the delay: bare axios median latency at window 1", perRoundMedianMs(runs("axiosSerial"))),
    boundRatio(`R ${net} Cache speed-up through the node, one at a time: throughput (mean latency) cached / uncached`, perRoundThroughput(runs("oursCachedSerialNet"), runs("oursSerialNet"))),
    boundRatio(`R ${net} Cache speed-up through the node at ${settings.concurrency} in flight: throughput cached / uncached`, perRoundThroughput(runs("oursCached"), runs("oursNet"))),
    boundRatio(`R ${net} Ceiling for any axios-based node: bare axios / http request flow (defaults)`, perRoundThroughput(runs("axiosNet"), runs("httpDefaultNet"))),
    boundRatio(`R ${net} ${parallel}: throughput ours / bare axios`, perRoundThroughput(runs("oursNet"), runs("axiosNet"))),
    boundRatio("R [0 ms] Superseded (was 3, <= 1.10x): one at a time, median latency ours / bare axios", perRoundLatencyRatio(runs("oursSerial"), runs("axiosSerial"))),
    boundRatio(`R [0 ms] Superseded (was 4, >= 20x): cache speed-up through the node at ${settings.concurrency} in flight, throughput cached / uncached`, perRoundThroughput(runs("oursCached"), runs("ours"))),
    boundRatio("R [0 ms] Cache speed-up, client alone: throughput cached / uncached getEvent (was 4, >= 20x)", perRoundThroughput(runs("clientCached"), runs("clientUncached"))),
    boundRatio("R [0 ms] Ceiling for any axios-based node: bare axios / http request flow (defaults)", perRoundThroughput(runs("axios"), runs("httpDefault"))),
    boundRatio("R [0 ms] Ceiling for any axios-based node: bare axios / http request flow (keep-alive on)", perRoundThroughput(runs("axios"), runs("httpKeepAlive"))),
    boundRatio("R [0 ms] Reference without axios: bare node:http / http request flow (defaults)", perRoundThroughput(runs("nodeHttp"), runs("httpDefault"))),
    reportedOverhead("R [0 ms] Overhead vs bare axios: per-event time (ms/event) ours / axios - 1", perRoundOverhead(runs("ours"), runs("axios"), msPerEvent)),
    bound("R [0 ms] Overhead vs bare axios: bench-process CPU per event ours / axios - 1 (all rounds)", cpuPerEvent("ours") / cpuPerEvent("axios") - 1, "+%"),
    reportedMs("R Node-RED floor, median latency at window 1 (what row 3's floor subtracts)", perRoundMedianMs(runs("floorSerial"))),
    reportedMs(
      "R [0 ms] Row 3's added time for a minimal node (getEvent, then the floor's messages): what any node on our client pays",
      perRoundNodeAddedMs(runs("minimalSerial"), runs("clientSerial"), runs("floorSerial")),
    ),
    reportedMs("R [0 ms] Row 3's added time that is our node's own: median latency ours - minimal node, window 1", perRoundDifference(runs("oursSerial"), runs("minimalSerial"))),
    bound("R Bound: highest cache speed-up through Node-RED at 0 ms = ours uncached / floor, ms/event", get("ours").msPerEvent / get("floor").msPerEvent, "x"),
  ];
}

/** Judged on the median of the per-round ratios: a noisy moment on the machine spoils one round, not the figure. */
function ratioCheck(name: string, atLeast: number, perRound: number[]): Check {
  const value = median(perRound);
  const met = value >= atLeast;
  return { name, measured: `${decisive(value, atLeast)}x`, target: `>= ${atLeast}x`, perRound: range(perRound, (v) => `${v.toFixed(2)}x`), met };
}

/** Two decimals, or as many more as it takes not to round onto the target and hide which side of it the figure is on. */
function decisive(value: number, target: number): string {
  let digits = 2;
  while (digits < 6 && value !== target && value.toFixed(digits) === target.toFixed(digits)) digits += 1;
  return value.toFixed(digits);
}

/** "Within 10%" of a baseline: at least `atLeast` times it (being faster is within as well). */
function withinCheck(name: string, atLeast: number, perRound: number[]): Check {
  return { ...ratioCheck(name, atLeast, perRound), target: `>= ${atLeast.toFixed(2)}x (within ${Math.round((1 - atLeast) * 100)}%)` };
}

function atMostRatio(name: string, atMost: number, perRound: number[]): Check {
  const value = median(perRound);
  const met = value <= atMost;
  return { name, measured: `${decisive(value, atMost)}x`, target: `<= ${atMost.toFixed(2)}x`, perRound: range(perRound, (v) => `${v.toFixed(2)}x`), met };
}

function atMostMs(name: string, atMost: number, perRound: number[]): Check {
  const value = median(perRound);
  return { name, measured: fmtMs(value), target: `<= ${atMost.toFixed(2)} ms`, perRound: range(perRound, fmtMs), met: value <= atMost };
}

function reportedMs(name: string, perRound: number[]): Check {
  return { ...atMostMs(name, 0, perRound), target: "(reported)", met: undefined };
}

/** Pairwise (run i with / run i without): median of the differences, and their spread; reported, not judged. */
function footprintCheck(
  name: string,
  footprint: FootprintResult,
  value: (sample: FootprintSample) => number,
  signed: (v: number) => string,
  plain: (v: number) => string,
): Check {
  const differences = footprint.with.map((sample, i) => value(sample) - value(footprint.without[i]));
  const medians = `${plain(median(footprint.without.map(value)))} -> ${plain(median(footprint.with.map(value)))}`;
  return { name: `${name} (medians ${medians})`, measured: signed(median(differences)), target: "(reported)", perRound: range(differences, signed), met: undefined };
}

function reportedOverhead(name: string, perRound: number[]): Check {
  const value = median(perRound);
  return { name, measured: pct(value), target: "(reported)", perRound: range(perRound, pct), met: undefined };
}

/** A ratio that bounds what a target can reach: median of the per-round ratios, reported, not judged. */
function boundRatio(name: string, perRound: number[]): Check {
  return { ...ratioCheck(name, 0, perRound), target: "(reported)", met: undefined };
}

/** A figure that bounds what a target can reach; reported, not judged. */
function bound(name: string, value: number, unit: "%" | "+%" | "x" = "%"): Check {
  const measured = unit === "x" ? `${value.toFixed(2)}x` : unit === "+%" ? pct(value) : `${(value * 100).toFixed(1)}%`;
  return { name, measured, target: "(reported)", perRound: "", met: undefined };
}

function loginCheck(name: string, logins: number, allowed: number, target: string, errors = 0): Check {
  const errorNote = errors > 0 ? ` (${errors} errors)` : "";
  return { name, measured: `${logins}${errorNote}`, target, perRound: "", met: logins >= 1 && logins <= allowed && errors === 0 };
}

function perRoundThroughput(a: RunResult[], b: RunResult[]): number[] {
  return a.map((run, i) => run.events / run.seconds / (b[i].events / b[i].seconds));
}

function perRoundOverhead(a: RunResult[], b: RunResult[], measure: (run: RunResult) => number): number[] {
  return a.map((run, i) => measure(run) / measure(b[i]) - 1);
}

function perRoundLatencyRatio(a: RunResult[], b: RunResult[]): number[] {
  return a.map((run, i) => medianOf(run) / medianOf(b[i]));
}

/** Per round: what our node adds to a fetch by the client alone, beyond what Node-RED's delivery (the floor) costs. */
function perRoundNodeAddedMs(ours: RunResult[], client: RunResult[], floor: RunResult[]): number[] {
  return ours.map((run, i) => medianOf(run) - medianOf(client[i]) - medianOf(floor[i]));
}

function perRoundDifference(a: RunResult[], b: RunResult[]): number[] {
  return a.map((run, i) => medianOf(run) - medianOf(b[i]));
}

function perRoundMedianMs(runs: RunResult[]): number[] {
  return runs.map(medianOf);
}

function perRoundLatencySpeedup(uncached: RunResult[], cached: RunResult[]): number[] {
  return uncached.map((run, i) => medianOf(run) / medianOf(cached[i]));
}

function msPerEvent(run: RunResult): number {
  return (run.seconds * 1000) / run.events;
}

function medianOf(run: RunResult): number {
  return median(run.latencies);
}

function checkRow(check: Check): string[] {
  const met = check.met === undefined ? "-" : check.met ? "met" : "NOT met";
  return [check.name, check.measured, check.target, check.perRound, met];
}

function definitions(input: ReportInput): string[] {
  const { settings } = input;
  return [
    "Definitions:",
    `- Round trip: [${settings.networkMs} ms] rows ask a second simulator process whose event answers wait ${settings.networkMs} ms (its "slow" fault,`,
    "  event route only), as a user's flow meets Flatpeak over a network; [0 ms] rows ask one that answers at once, so they",
    "  show the code's own cost, where Node-RED's delivery weighs most. Rows without a mark fetch nothing (cache hits, the floor).",
    "  Both kinds take turns in every round (order rotated); a ratio always pairs two variants of one setting and one round.",
    `- Every variant runs a closed loop with ${settings.concurrency} events in flight: a new event starts when one ends.`,
    "- An event through Node-RED ends when all three section messages (battery, PV, EV charger) reach the sink node;",
    "  bare axios ends when the parsed response is there. Latency = start to end of one event.",
    "- Events/s = events / wall time of the measured runs; ms/event = its inverse (what one event costs at this window).",
    "- Overhead vs bare axios = ours / axios - 1 at the same window, for per-event time (ms/event, i.e. throughput axios / ours - 1,",
    "  which by Little's law is also the mean-latency ratio) and for median latency; 'window 1' runs one event at a time,",
    "  so its latency has no queueing behind other events in it.",
    `- At the defaults: our config node with concurrency left at its default (${DEFAULT_CONCURRENCY}); ${settings.concurrency} messages are still in flight,`,
    `  the node queues what is over ${DEFAULT_CONCURRENCY}. The http request flow has no such limit: it keeps all ${settings.concurrency} requests open.`,
    `- Connections per burst: ${input.connectionBursts.oursDefaults.events} messages sent at once into a flow that has already run (warm keep-alive`,
    "  sockets are reused); TCP connections this process opened until the last one ended (diagnostics channel net.client.socket).",
    "- One at a time (window 1): median latency per round; no queueing in it. Row 3 [0 ms], the node's added time per event:",
    "  per round, median latency of ours - our client alone (the same getEvent, called directly) - the Node-RED floor, in ms:",
    "  what the node adds to a fetch beyond Node-RED's own delivery. The minimal-node rows split it into what any node that",
    "  fetches through our client and sends three messages pays (bench-minimal) and what is our node's own (ours - minimal).",
    `- Cache speed-up, row 4 [${settings.networkMs} ms]: one event at a time, median latency uncached / cached through the node (cache hits`,
    "  from a config node with the default cache); at 16 in flight it is reported, not judged: there Node-RED's delivery,",
    "  not the fetch, bounds the cached run.",
    "- Footprint: fresh Node-RED processes, idle (core nodes, no flows, no editor), without and with this package linked into the",
    `  user directory, ${input.footprint.with.length} pairs (order alternated); start-up = from require("node-red") to flows started,`,
    "  RSS and heapUsed after a forced GC once idle. Figure = median of the pairwise differences (with - without),",
    "  'per round' their spread: what loading this package adds.",
    "- Ceiling rows: bare axios does only the HTTP part of our node's work, so no node built on axios can beat the",
    "  http request flow by more than bare axios does.",
    "- Each ratio is computed per round (the two variants of one group, alternating in short blocks within the round) and",
    "  the median over the rounds is the figure judged; 'per round' shows the spread. The variant table pools all rounds.",
    "- 'Requests seen' = GET /events/{id} answered by the simulator during the variant's warm-up and rounds;",
    "  'New TCP conns' = client sockets the benchmark process opened meanwhile (with keep-alive, about one per window slot).",
    "- CPU ms/event = CPU time (user + system) of the benchmark process (Node-RED, client) and of the simulator process",
    "  during the measured rounds, per event. A process that keeps one core busy shows CPU ms/event = ms/event.",
    "- Client alone: the config node's getEvent() called directly, same window; no Node-RED message, no output.",
    "- Node-RED floor: a node that sends three prepared messages of our output's shape and does nothing else.",
    "  Every event through our node pays at least this; bare axios does not. The 'Bound' rows follow from it.",
    "- Cached: the same IDs as before (one per window slot), already in the cache; uncached: every event a new ID, cache size 0.",
    "- Memory: process.memoryUsage() after a forced GC (--expose-gc), after a warm-up and after the run; config node with the default cache (100).",
  ];
}

function reproduce(settings: BenchSettings): string[] {
  const envs = (Object.keys(ENV_NAMES) as Array<keyof BenchSettings>).map((key) => `${ENV_NAMES[key]}=${settings[key]}`);
  return [
    "Reproduce: npm ci && npm run bench",
    `  with these settings: ${envs.join(" ")} npm run bench`,
    "  Exit code: 1 when events failed; unmet targets exit 2 only with BENCH_STRICT=1.",
  ];
}

/** Rows padded into a Markdown table (pastes into bench/README.md as it is). */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(" | ")} |`;
  const rule = `|${widths.map((width, i) => (i === 0 ? "-".repeat(width + 2) : `${"-".repeat(width + 1)}:`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)];
}

function range(values: number[], format: (value: number) => string): string {
  if (values.length < 2) return "";
  return `${format(Math.min(...values))} - ${format(Math.max(...values))}`;
}

function fmtMs(ms: number): string {
  return `${ms.toFixed(3)} ms`;
}

function pct(value: number): string {
  return `${value >= 0 ? "+" : ""}${(value * 100).toFixed(1)}%`;
}

function signedMs(ms: number): string {
  return `${ms >= 0 ? "+" : ""}${ms.toFixed(0)} ms`;
}

function signedMb(bytes: number): string {
  return `${bytes >= 0 ? "+" : ""}${fmtMb(bytes)}`;
}

function fmtMb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}
