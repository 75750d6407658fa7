/**
 * `npm start`: runs the Flatpeak simulator in this process and a local
 * Node-RED (in a child process) with this package and a demo flow deployed,
 * so that a person sees battery, PV and EV charger messages in the Debug
 * sidebar without a Flatpeak account. The simulator creates a new event every
 * 15 s, which reaches the flow twice by itself: polled by flatpeak watch, and
 * delivered as a signed webhook to the flow's http in node.
 *
 * Environment: PORT (editor, default 1880), FLATPEAK_SIMULATOR_PORT (default
 * 8787); a port that is taken is replaced by a free one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, startSimulator, type Simulator } from "../simulator/server";
import { LOOPBACK, REPO, choosePort, getJson, readPortSetting, sleep, waitForHttp, type PortChoice } from "../scripts/support";
import { WATCH_INTERVAL_S, WEBHOOK_PATH, buildDemoFlow } from "./flow";
import { DASHBOARD_PATH } from "./prices-tab";
import { HTTP_NODE_ROOT, prepareUserDir } from "./user-dir";

const DEFAULT_EDITOR_PORT = 1880;
const DEFAULT_SIMULATOR_PORT = 8787;
/** A Raspberry Pi can take a while to start Node-RED. */
const EDITOR_START_TIMEOUT_MS = 120_000;
/** Every node type the package registers. */
const FLATPEAK_TYPES = Object.keys((JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { "node-red": { nodes: Record<string, string> } })["node-red"].nodes);
/** The simulator creates a `device.update` event this often. */
const NEW_EVENT_EVERY_MS = 15_000;
/** How long to wait, once the editor answers, for the demo flow to start before delivering anyway. */
const FLOW_START_TIMEOUT_MS = 30_000;

const USER_DIR = join(REPO, ".demo");

interface Demo {
  simulator?: Simulator;
  nodeRed?: ChildProcess;
  stopping: boolean;
  /** Exit code when the demo itself failed, whatever Node-RED's code is. */
  failure?: number;
}

const demo: Demo = { stopping: false };

async function main(): Promise<void> {
  const editorPortWanted = readPortSetting("PORT", DEFAULT_EDITOR_PORT);
  const simulatorPortWanted = readPortSetting("FLATPEAK_SIMULATOR_PORT", DEFAULT_SIMULATOR_PORT);
  listenForStopSignals();

  const simulatorPort = await choosePort(simulatorPortWanted);
  // A taken port is swapped for a free one, so a second demo or another service does not stop this one.
  demo.simulator = await startSimulator({ port: simulatorPort.port, host: LOOPBACK, autoCreateEveryMs: NEW_EVENT_EVERY_MS });
  const editorPort = await choosePort(editorPortWanted);
  const editorUrl = `http://${LOOPBACK}:${editorPort.port}/`;
  const webhookUrl = `http://${LOOPBACK}:${editorPort.port}${HTTP_NODE_ROOT.replace(/\/$/, "")}${WEBHOOK_PATH}`;

  const flow = buildDemoFlow({
    simulatorUrl: demo.simulator.url,
    accountId: SIMULATOR_ACCOUNT_ID,
    apiKey: SIMULATOR_API_KEY,
    webhookUrl,
    newEventEverySeconds: NEW_EVENT_EVERY_MS / 1000,
  });
  prepareUserDir({ root: REPO, userDir: USER_DIR, uiPort: editorPort.port, flow });

  // A stop signal during start-up has already ended the simulator.
  if (demo.stopping) return;
  demo.nodeRed = startNodeRed();
  await waitForEditor(editorUrl, demo.nodeRed);
  if (demo.stopping) return;
  const problems = await checkFlatpeakNodes(editorUrl);
  // Deliver only once the flow runs: a delivery before its http in route exists would just get a 404.
  // (With our node types missing the flow never starts: no point waiting.)
  if (problems.length === 0 && !(await waitForDemoFlow(demo.simulator))) {
    if (demo.stopping) return;
    problems.push(`the demo flow did not poll the simulator within ${FLOW_START_TIMEOUT_MS / 1000} s; webhook deliveries may fail until it runs`);
  }
  demo.simulator.setWebhookTarget(webhookUrl);
  printBanner(editorUrl, demo.simulator.url, webhookUrl, [portNote("Editor", editorPort), portNote("Simulator", simulatorPort)], problems);
}

/**
 * True once the demo flow has started. The admin API answers before Node-RED
 * has started the flows, and a request to the webhook URL cannot tell (the
 * editor answers OPTIONS for every path; anything else would reach the flow).
 * But flatpeak watch lists the events as soon as it starts, and Node-RED
 * creates every node of the tab, the http in node and its route included,
 * before that request (which needs a login first) can be made.
 */
async function waitForDemoFlow(simulator: Simulator): Promise<boolean> {
  const deadline = Date.now() + FLOW_START_TIMEOUT_MS;
  while (Date.now() < deadline && !demo.stopping) {
    if (simulator.stats.listRequests > 0) return true;
    await sleep(200);
  }
  return false;
}

function startNodeRed(): ChildProcess {
  const redJs = require.resolve("node-red/red.js", { paths: [REPO] });
  const child = spawn(process.execPath, [redJs, "-u", USER_DIR], { cwd: REPO, stdio: "inherit" });
  child.on("exit", (code, signal) => void onNodeRedExit(code, signal));
  child.on("error", (err) => {
    console.error(`Could not start Node-RED: ${err.message}`);
    void stopSimulatorAndExit(1);
  });
  return child;
}

/** Whether Node-RED stopped on our request or by itself, this process ends with its code. */
async function onNodeRedExit(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
  if (!demo.stopping) console.error(`Node-RED exited by itself (${signal ? `signal ${signal}` : `code ${code}`}); stopping the simulator.`);
  await stopSimulatorAndExit(demo.failure ?? exitCodeOf(code, signal));
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return signal ? 128 + (constants.signals[signal] ?? 0) : 1;
}

async function stopSimulatorAndExit(code: number): Promise<never> {
  try {
    await demo.simulator?.close();
  } finally {
    process.exit(code);
  }
}

/**
 * Ctrl-C reaches Node-RED directly too (same process group); forwarding the
 * signal covers `kill <pid>` of this process, and Node-RED ignores a repeat.
 * A second signal here stops waiting for a clean shutdown.
 */
function listenForStopSignals(): void {
  const stop = (signal: NodeJS.Signals): void => {
    const child = demo.nodeRed;
    const running = child !== undefined && child.exitCode === null && child.signalCode === null;
    if (demo.stopping && running) {
      console.log("Stopping Node-RED now.");
      child.kill("SIGKILL");
      return;
    }
    demo.stopping = true;
    if (running) {
      console.log("\nStopping Node-RED and the Flatpeak simulator…");
      child.kill(signal);
    } else if (!child) {
      void stopSimulatorAndExit(0);
    }
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/** Polls the admin API until it answers; gives up when Node-RED exits or takes too long. */
async function waitForEditor(editorUrl: string, child: ChildProcess): Promise<void> {
  const outcome = await waitForHttp(`${editorUrl}flows`, {
    headers: { Accept: "application/json" },
    requestTimeoutMs: 2000,
    intervalMs: 300,
    timeoutMs: EDITOR_START_TIMEOUT_MS,
    stopReason: () => (demo.stopping || child.exitCode !== null || child.signalCode !== null ? "stopped" : undefined),
  });
  if (outcome.kind !== "timeout") return;
  console.error(`Node-RED did not answer at ${editorUrl} within ${EDITOR_START_TIMEOUT_MS / 1000} s; stopping.`);
  fail(1);
}

/** Says what is wrong when our node types are missing or failed to load (the flow would then wait for missing types). */
async function checkFlatpeakNodes(editorUrl: string): Promise<string[]> {
  try {
    const answer = await getJson(`${editorUrl}nodes`, 5000);
    const sets = Array.isArray(answer.body) ? (answer.body as Array<{ types?: string[]; err?: string; id?: string }>) : [];
    const problems = sets.filter((set) => set.err && set.types?.some((type) => FLATPEAK_TYPES.includes(type))).map((set) => `${set.id}: ${set.err}`);
    const loaded = new Set(sets.filter((set) => !set.err).flatMap((set) => set.types ?? []));
    for (const type of FLATPEAK_TYPES) if (!loaded.has(type)) problems.push(`node type ${type} is not loaded`);
    return problems;
  } catch (err) {
    return [`could not list the installed nodes: ${err instanceof Error ? err.message : String(err)}`];
  }
}

function portNote(what: string, choice: PortChoice): string | undefined {
  return choice.takenPort !== undefined ? `${what} port ${choice.takenPort} is in use, so port ${choice.port} is used instead.` : undefined;
}

function printBanner(editorUrl: string, simulatorUrl: string, webhookUrl: string, notes: Array<string | undefined>, problems: string[]): void {
  const fault = `'{"route":"event","kind":"status","status":503,"times":1}'`;
  const lines = [
    "",
    "=".repeat(72),
    "Flatpeak demo is running",
    "",
    `  Node-RED editor:     ${editorUrl}`,
    `  Flatpeak simulator:  ${simulatorUrl}  (demo account ${SIMULATOR_ACCOUNT_ID})`,
    `  Webhook endpoint:    ${webhookUrl}  (the simulator delivers here)`,
    ...notes.filter((note): note is string => note !== undefined).map((note) => `  ${note}`),
    "",
    `  New events arrive every ${NEW_EVENT_EVERY_MS / 1000} s, by watch (polled every ${WATCH_INTERVAL_S} s) and by signed webhook.`,
    "",
    `  Open the editor and its Debug sidebar (bug icon, top right): the "watch: …" and`,
    `  "webhook: …" messages come by themselves. Inject buttons on the "Flatpeak demo"`,
    "  tab send the sample events; a new event now:",
    `    curl -X POST ${simulatorUrl}/_simulator/events -H 'Content-Type: application/json' -d '{}'`,
    "",
    `  Prices and plans: the "Flatpeak prices and plan" tab; a plan that switches within`,
    `  minutes, drawn on a Dashboard 2 page: ${editorUrl.replace(/\/$/, "")}${DASHBOARD_PATH}`,
    "",
    "  Make the simulator misbehave, e.g. answer the next event request with HTTP 503:",
    `    curl -X POST ${simulatorUrl}/_simulator/faults -H 'Content-Type: application/json' -d ${fault}`,
    `  Clear faults: curl -X DELETE ${simulatorUrl}/_simulator/faults`,
    "",
    "  Press Ctrl-C to stop Node-RED and the simulator.",
    "=".repeat(72),
    "",
  ];
  console.log(lines.join("\n"));
  for (const problem of problems) console.warn(`WARNING: ${problem}`);
}

/** Stops everything and exits with `code` once Node-RED (if started) has stopped. */
function fail(code: number): void {
  demo.stopping = true;
  demo.failure = code;
  const child = demo.nodeRed;
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  else void stopSimulatorAndExit(code);
}

main().catch((err: unknown) => {
  console.error(`The demo could not start: ${err instanceof Error ? err.message : String(err)}`);
  fail(1);
});
