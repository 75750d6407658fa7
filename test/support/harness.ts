/**
 * Runs the nodes inside Node-RED (node-red-node-test-helper) against the
 * simulator over loopback HTTP, and records what every message ended in.
 */
import type { Node, NodeMessage } from "node-red";
import { resolve as resolvePath } from "node:path";
import helper = require("node-red-node-test-helper");
import flatpeakConfig = require("../../nodes/flatpeak-config");
import flatpeakEvent = require("../../nodes/flatpeak-event");
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, startSimulator, type Simulator, type SimulatorOptions } from "../../simulator/server";

/**
 * The Node-RED the tests run in: the devDependency, or the node-red package
 * directory named by FLATPEAK_TEST_NODE_RED (the version matrix uses this to
 * run the suite on another major, installed outside this repository).
 */
const NODE_RED_DIR = process.env.FLATPEAK_TEST_NODE_RED;
const NODE_RED_MAIN = require.resolve(NODE_RED_DIR ? resolvePath(NODE_RED_DIR) : "node-red");
helper.init(NODE_RED_MAIN);
// Say which runtime was used, so a matrix log shows the override took effect.
if (NODE_RED_DIR) console.log(`  Node-RED ${(require(NODE_RED_MAIN) as { version(): string }).version()} from ${NODE_RED_MAIN}, Node ${process.version}`);

/** The runtime's hook registry (public API: `RED.hooks`), from the same install the helper uses. */
export const hooks = require(require.resolve("@node-red/util", { paths: [NODE_RED_MAIN] })).hooks as {
  add(id: string, handler: (event: any) => void): void;
  remove(id: string): void;
};

export { helper };

export interface Credentials {
  accountId?: string;
  apiKey?: string;
  bearerToken?: string;
}

export interface FlowOptions {
  baseUrl?: string;
  apiVersion?: string;
  timeout?: number;
  /** Retry and cache settings; the harness turns both off unless a test sets them (null = leave unset, i.e. the node's default). */
  retries?: number | null;
  maxBackoff?: number | null;
  concurrency?: number | null;
  queueSize?: number | null;
  cacheSize?: number | null;
  eventOutput?: boolean;
  property?: string;
  propertyType?: string;
  credentials?: Credentials;
  /** Event nodes sharing the one config node (default 1). */
  eventNodes?: number;
  /** Leave the event node without a config node. */
  withoutConfig?: boolean;
}

/** What one input message ended in. */
export interface Outcome {
  /** Messages per output port (index 0–3), only those with this message's `_msgid`. */
  outputs: NodeMessage[][];
  /** The Catch node's message when the message ended in an error. */
  error?: NodeMessage & { error: { message: string; code?: string }; statusCode?: number; flatpeak?: any };
  /** True when the message ended with `done()` (Complete node fired). */
  completed: boolean;
}

export const SIMULATOR_CREDENTIALS: Credentials = { accountId: SIMULATOR_ACCOUNT_ID, apiKey: SIMULATOR_API_KEY };

const TAB = "tab1";
let messageCounter = 0;

export function buildFlow(simulatorUrl: string, options: FlowOptions = {}): any[] {
  const count = options.eventNodes ?? 1;
  const eventIds = Array.from({ length: count }, (_, i) => `event${i + 1}`);
  const flow: any[] = [{ id: TAB, type: "tab", label: "test" }];
  flow.push({
    id: "config1",
    type: "flatpeak-config",
    name: "simulator",
    baseUrl: options.baseUrl ?? simulatorUrl,
    apiVersion: options.apiVersion ?? "",
    timeout: options.timeout ?? 5,
    ...definedSettings({
      retries: options.retries === undefined ? 0 : options.retries,
      maxBackoff: options.maxBackoff,
      concurrency: options.concurrency,
      queueSize: options.queueSize,
      cacheSize: options.cacheSize === undefined ? 0 : options.cacheSize,
    }),
  });
  eventIds.forEach((id, index) => {
    const ports = [`${id}-battery`, `${id}-pv`, `${id}-ev`, `${id}-event`].slice(0, options.eventOutput ? 4 : 3);
    flow.push({
      id,
      z: TAB,
      type: "flatpeak-event",
      name: `event node ${index + 1}`,
      server: options.withoutConfig ? "" : "config1",
      property: options.property ?? "payload",
      propertyType: options.propertyType ?? "msg",
      eventOutput: options.eventOutput ?? false,
      outputs: ports.length,
      wires: ports.map((port) => [port]),
    });
    for (const port of ports) flow.push({ id: port, z: TAB, type: "helper" });
  });
  flow.push({ id: "catch-all", z: TAB, type: "catch", scope: eventIds, uncaught: false, wires: [["caught"]] });
  flow.push({ id: "caught", z: TAB, type: "helper" });
  flow.push({ id: "complete-all", z: TAB, type: "complete", scope: eventIds, uncaught: false, wires: [["completed"]] });
  flow.push({ id: "completed", z: TAB, type: "helper" });
  return flow;
}

function definedSettings(settings: Record<string, number | null | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined && value !== null)) as Record<string, number>;
}

/** A deployed test flow and what it recorded. */
export class TestFlow {
  /** Every message each helper received, by helper id. */
  readonly received = new Map<string, NodeMessage[]>();
  /** Every `done()` / `done(err)` our event nodes called, through the runtime's onComplete hook. */
  readonly completions: Array<{ nodeId: string; msgid: string; error?: string }> = [];

  constructor(
    readonly flow: any[],
    private credentials: Record<string, Credentials>,
  ) {
    this.listen();
    hooks.remove("onComplete.flatpeakTest");
    hooks.add("onComplete.flatpeakTest", (event: { msg: NodeMessage; error?: unknown; node: { id: string } }) => {
      if (event.node.id.startsWith("event")) {
        this.completions.push({ nodeId: event.node.id, msgid: String(event.msg._msgid), error: event.error instanceof Error ? event.error.message : undefined });
      }
    });
  }

  /** How many times the event node called `done` for this message (must be exactly once). */
  doneCount(msgid: string): number {
    return this.completions.filter((c) => c.msgid === msgid).length;
  }

  /** Deploys the flow again ("full" deploy: every node is closed and created anew). */
  async redeploy(): Promise<void> {
    await helper.setFlows(this.flow, "full", this.credentials);
    this.listen();
  }

  private listen(): void {
    for (const node of this.flow) {
      if (node.type !== "helper") continue;
      if (!this.received.has(node.id)) this.received.set(node.id, []);
      const list = this.received.get(node.id)!;
      helper.getNode(node.id).on("input", (msg: NodeMessage) => list.push(msg));
    }
  }

  node(id = "event1"): Node {
    return helper.getNode(id);
  }

  /** Sends a message to an event node and waits until it ends (output + done, or error). */
  async run(message: Record<string, unknown>, nodeId = "event1", timeoutMs = 10_000): Promise<Outcome> {
    const msgid = `test-${++messageCounter}`;
    this.node(nodeId).receive({ _msgid: msgid, ...message });
    await waitFor(() => this.ended(msgid), timeoutMs, `message ${msgid} did not end`);
    await settle();
    return this.outcome(msgid, nodeId);
  }

  /** Sends without waiting; use `outcome` or `ended` later. */
  send(message: Record<string, unknown>, nodeId = "event1"): string {
    const msgid = `test-${++messageCounter}`;
    this.node(nodeId).receive({ _msgid: msgid, ...message });
    return msgid;
  }

  ended(msgid: string): boolean {
    return this.endings(msgid) > 0;
  }

  /** How many times this message ended (must be exactly once). */
  endings(msgid: string): number {
    const byId = (m: NodeMessage) => m._msgid === msgid;
    return (this.received.get("caught") ?? []).filter(byId).length + (this.received.get("completed") ?? []).filter(byId).length;
  }

  outcome(msgid: string, nodeId = "event1"): Outcome {
    const byId = (m: NodeMessage) => m._msgid === msgid;
    const outputs = [`${nodeId}-battery`, `${nodeId}-pv`, `${nodeId}-ev`, `${nodeId}-event`].map((port) =>
      (this.received.get(port) ?? []).filter(byId),
    );
    const error = (this.received.get("caught") ?? []).find(byId) as Outcome["error"];
    const completed = (this.received.get("completed") ?? []).some(byId);
    return { outputs, error, completed };
  }

  /** Every message any output received. */
  allOutputs(): NodeMessage[] {
    return [...this.received.entries()].filter(([id]) => /-(battery|pv|ev|event)$/.test(id)).flatMap(([, list]) => list);
  }
}

export async function deploy(simulator: Simulator, options: FlowOptions = {}): Promise<TestFlow> {
  const flow = buildFlow(simulator.url, options);
  const credentials = { config1: options.credentials ?? SIMULATOR_CREDENTIALS };
  await helper.load([flatpeakConfig, flatpeakEvent], flow, credentials);
  return new TestFlow(flow, credentials);
}

/** Starts the Node-RED test server and a simulator for one `describe` block. */
export function useSimulator(options: SimulatorOptions = {}): { readonly sim: Simulator } {
  const context: { sim?: Simulator } = {};
  before(async () => {
    await new Promise<void>((resolve) => helper.startServer(resolve));
  });
  after(async () => {
    await new Promise<void>((resolve) => helper.stopServer(resolve));
  });
  beforeEach(async () => {
    context.sim = await startSimulator(options);
  });
  afterEach(async () => {
    hooks.remove("onComplete.flatpeakTest");
    hooks.remove("onReceive.flatpeakSources");
    hooks.remove("onReceive.flatpeakPrice");
    hooks.remove("onReceive.flatpeakPlan");
    await helper.unload();
    await context.sim?.close();
  });
  return {
    get sim(): Simulator {
      if (!context.sim) throw new Error("simulator not started");
      return context.sim;
    },
  };
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets deliveries already scheduled by the runtime arrive. */
export async function settle(ms = 20): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every text the runtime logged (log, warn, error) since the flow was loaded. */
export function loggedTexts(): string[] {
  return helper
    .log()
    .args.map((args: unknown[]) => JSON.stringify(args, (_key, value: unknown) => (value instanceof Error ? String(value) : value)));
}

/** The status objects a node has shown, in order. */
export function statusesOf(node: Node): Array<{ fill?: string; shape?: string; text?: string }> {
  // The helper replaces Node.prototype.status with a sinon spy shared by all nodes.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- read as a spy, not called
  const spy = node.status as unknown as { getCalls(): Array<{ thisValue: unknown; args: unknown[] }> };
  return spy
    .getCalls()
    .filter((call) => call.thisValue === node)
    .map((call) => call.args[0] as { fill?: string; shape?: string; text?: string });
}

/** A success status without its time of day, after checking that it has one (`device.update · 14:03:09`). */
export function untimed(status: { fill?: string; shape?: string; text?: string }): { fill?: string; shape?: string; text?: string } {
  const match = / · \d\d:\d\d:\d\d$/.exec(status.text ?? "");
  if (!match) throw new Error(`the status "${status.text}" does not end with the time of the success`);
  return { ...status, text: status.text!.slice(0, match.index) };
}

/** Records anything that escapes to the process while a fuzz test runs. */
export function watchProcess(): { problems: unknown[]; stop: () => void } {
  const problems: unknown[] = [];
  const record = (err: unknown): void => void problems.push(err);
  process.on("unhandledRejection", record);
  process.on("uncaughtException", record);
  return {
    problems,
    stop: () => {
      process.off("unhandledRejection", record);
      process.off("uncaughtException", record);
    },
  };
}
