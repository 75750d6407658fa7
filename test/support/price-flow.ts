/**
 * A flatpeak price node wired to recording helpers (output 1 `prices`, output 2
 * `now`), a Catch and a Complete node, inside Node-RED through the test helper.
 */
import type { NodeMessage } from "node-red";
import flatpeakConfig = require("../../nodes/flatpeak-config");
import flatpeakPrice = require("../../nodes/flatpeak-price");
import type { Simulator } from "../../simulator/server";
import { SIMULATOR_CREDENTIALS, helper, hooks, waitFor } from "./harness";

export interface PriceFlow {
  /** Messages each helper got, in order: `prices` (output 1), `now` (output 2), `caught`, `completed`. */
  received(id: "prices" | "now" | "caught" | "completed"): NodeMessage[];
  /** Sends a message to the price node and waits until it ends (Complete or Catch). */
  run(message: Record<string, unknown>): Promise<{ prices: NodeMessage[]; now: NodeMessage[]; error?: any }>;
  node(): any;
  redeploy(): Promise<void>;
  /** When (Date.now()) a message reached its helper. */
  receivedAt(msg: NodeMessage): number;
}

let counter = 0;

export async function deployPrice(sim: Simulator, settings: Record<string, unknown>, config: Record<string, unknown> = {}): Promise<PriceFlow> {
  const flow: any[] = [
    { id: "tab1", type: "tab", label: "prices" },
    { id: "config1", type: "flatpeak-config", baseUrl: sim.url, apiVersion: "", timeout: 5, retries: 0, maxBackoff: 1, cacheSize: 0, ...config },
    { id: "price1", z: "tab1", type: "flatpeak-price", server: "config1", hours: 24, direction: "IMPORT", refresh: true, ...settings, wires: [["prices"], ["now"]] },
    { id: "prices", z: "tab1", type: "helper" },
    { id: "now", z: "tab1", type: "helper" },
    { id: "catcher", z: "tab1", type: "catch", scope: ["price1"], uncaught: false, wires: [["caught"]] },
    { id: "caught", z: "tab1", type: "helper" },
    { id: "completer", z: "tab1", type: "complete", scope: ["price1"], uncaught: false, wires: [["completed"]] },
    { id: "completed", z: "tab1", type: "helper" },
  ];
  const received = new Map<string, NodeMessage[]>(["prices", "now", "caught", "completed"].map((id) => [id, []]));
  const arrival = new Map<NodeMessage, number>();
  // Through the runtime's onReceive hook: it sees a message however early after a deploy it arrives.
  hooks.remove("onReceive.flatpeakPrice");
  hooks.add("onReceive.flatpeakPrice", (event: { msg: NodeMessage; destination: { id: string } }) => {
    const list = received.get(event.destination.id);
    if (!list) return;
    list.push(event.msg);
    arrival.set(event.msg, Date.now());
  });
  await helper.load([flatpeakConfig, flatpeakPrice], flow, { config1: SIMULATOR_CREDENTIALS });
  const byId = (msgid: string) => (m: NodeMessage) => m._msgid === msgid;
  return {
    received: (id) => received.get(id)!,
    node: () => helper.getNode("price1"),
    receivedAt: (msg) => arrival.get(msg)!,
    redeploy: async () => {
      await helper.setFlows(flow, "full", { config1: SIMULATOR_CREDENTIALS });
    },
    run: async (message) => {
      const msgid = `price-test-${++counter}`;
      helper.getNode("price1").receive({ _msgid: msgid, ...message });
      await waitFor(() => received.get("caught")!.some(byId(msgid)) || received.get("completed")!.some(byId(msgid)), 10_000, `message ${msgid} ends`);
      return {
        prices: received.get("prices")!.filter(byId(msgid)),
        now: received.get("now")!.filter(byId(msgid)),
        error: received.get("caught")!.find(byId(msgid)),
      };
    },
  };
}

/** Removes the hook this file adds; call after each test. */
export function removePriceHook(): void {
  hooks.remove("onReceive.flatpeakPrice");
}
