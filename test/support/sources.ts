/**
 * Flows for the source nodes (watch, webhook) wired into recording helpers and
 * a Catch node, inside Node-RED through the test helper.
 */
import type { NodeMessage } from "node-red";
import flatpeakConfig = require("../../nodes/flatpeak-config");
import flatpeakEvent = require("../../nodes/flatpeak-event");
import flatpeakWatch = require("../../nodes/flatpeak-watch");
import flatpeakWebhook = require("../../nodes/flatpeak-webhook");
import type { Simulator } from "../../simulator/server";
import { SIMULATOR_CREDENTIALS, helper, hooks } from "./harness";

export interface SourceFlow {
  /**
   * Deploys the same flow again ("full": every node closed and created anew). Node
   * context stays only when a context store is configured: without contextStorage
   * Node-RED deletes the context of every node it closes.
   */
  redeploy(): Promise<void>;
  /** Messages each helper got: `out` (the source), `caught` (Catch), `battery` (the event node's first output). */
  received(id: "out" | "caught" | "battery"): NodeMessage[];
  node(id: string): any;
}

export async function deploySource(
  sim: Simulator,
  source: Record<string, unknown>,
  extra: { retries?: number; withEventNode?: boolean; baseUrl?: string } = {},
): Promise<SourceFlow> {
  const flow: any[] = [
    { id: "tab1", type: "tab", label: "sources" },
    { id: "config1", type: "flatpeak-config", baseUrl: extra.baseUrl ?? sim.url, timeout: 5, retries: extra.retries ?? 0, maxBackoff: 1, cacheSize: 0 },
    { id: "source", z: "tab1", ...source, server: "config1", wires: [extra.withEventNode ? ["out", "event1"] : ["out"]] },
    { id: "out", z: "tab1", type: "helper" },
    { id: "catcher", z: "tab1", type: "catch", scope: ["source", "event1"], uncaught: false, wires: [["caught"]] },
    { id: "caught", z: "tab1", type: "helper" },
  ];
  if (extra.withEventNode) {
    flow.push({ id: "event1", z: "tab1", type: "flatpeak-event", server: "config1", property: "payload", propertyType: "msg", outputs: 3, wires: [["battery"], [], []] });
    flow.push({ id: "battery", z: "tab1", type: "helper" });
  }
  await helper.load([flatpeakConfig, flatpeakEvent, flatpeakWatch, flatpeakWebhook], flow, { config1: SIMULATOR_CREDENTIALS });
  const received = new Map<string, NodeMessage[]>();
  for (const id of ["out", "caught", "battery"]) received.set(id, []);
  // Through the runtime's onReceive hook: it sees a message however early after a (re)deploy it arrives.
  hooks.remove("onReceive.flatpeakSources");
  hooks.add("onReceive.flatpeakSources", (event: { msg: NodeMessage; destination: { id: string } }) => {
    received.get(event.destination.id)?.push(event.msg);
  });
  return {
    redeploy: async () => {
      await helper.setFlows(flow, "full", { config1: SIMULATOR_CREDENTIALS });
    },
    received: (id) => received.get(id)!,
    node: (id) => helper.getNode(id),
  };
}

/** The message a core `http in` node (POST, "Do not parse request body") sends for one request. */
export function httpInMessage(body: Buffer | string | object, headers: Record<string, string>): { msg: Record<string, unknown>; answer: { status?: number; body?: unknown } } {
  const answer: { status?: number; body?: unknown } = {};
  const res = {
    headersSent: false,
    status(code: number) {
      answer.status = code;
      return {
        json: (value: unknown) => {
          answer.body = value;
          res.headersSent = true;
        },
      };
    },
  };
  const lowerCased = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { msg: { payload: typeof body === "string" ? Buffer.from(body) : body, req: { headers: lowerCased }, res: { _res: res } }, answer };
}
