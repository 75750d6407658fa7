/**
 * A flatpeak plan node wired to recording helpers (output 1 `switch`, output 2
 * `plan`) and a Catch node, inside Node-RED through the test helper. Arrival
 * times are recorded, so a test can check that a switch came at its instant.
 */
import type { NodeMessage } from "node-red";
import flatpeakConfig = require("../../nodes/flatpeak-config");
import flatpeakPlan = require("../../nodes/flatpeak-plan");
import flatpeakPrice = require("../../nodes/flatpeak-price");
import { SIMULATOR_CREDENTIALS, helper, hooks, waitFor } from "./harness";

export interface PlanFlow {
  received(id: "switch" | "plan" | "chart" | "caught"): NodeMessage[];
  receivedAt(msg: NodeMessage): number;
  /** Sends a message to the plan node and waits until it ends (its outputs, or a Catch). */
  run(message: Record<string, unknown>): Promise<{ switch: any[]; plan: any[]; chart: any[]; error?: any }>;
  node(): any;
  redeploy(): Promise<void>;
}

let counter = 0;
const HOOK = "onReceive.flatpeakPlan";

/** `extra.price`: a flatpeak price node (against `extra.simulatorUrl`) wired into the plan node. */
export async function deployPlan(settings: Record<string, unknown>, extra: { price?: Record<string, unknown>; simulatorUrl?: string } = {}): Promise<PlanFlow> {
  const flow: any[] = [
    { id: "tab1", type: "tab", label: "plans" },
    { id: "plan1", z: "tab1", type: "flatpeak-plan", minutes: 60, from: "00:00", until: "00:00", contiguous: false, minRun: 0, goal: "lowest", store: "", ...settings, wires: [["switch"], ["plan"], ["chart"]] },
    { id: "switch", z: "tab1", type: "helper" },
    { id: "chart", z: "tab1", type: "helper" },
    { id: "plan", z: "tab1", type: "helper" },
    { id: "catcher", z: "tab1", type: "catch", scope: ["plan1"], uncaught: false, wires: [["caught"]] },
    { id: "caught", z: "tab1", type: "helper" },
    { id: "completer", z: "tab1", type: "complete", scope: ["plan1"], uncaught: false, wires: [["completed"]] },
    { id: "completed", z: "tab1", type: "helper" },
  ];
  const credentials: Record<string, unknown> = {};
  if (extra.price) {
    flow.push({ id: "config1", type: "flatpeak-config", baseUrl: extra.simulatorUrl, apiVersion: "", timeout: 5, retries: 0, cacheSize: 0 });
    flow.push({ id: "price1", z: "tab1", type: "flatpeak-price", server: "config1", hours: 24, direction: "IMPORT", refresh: true, ...extra.price, wires: [["plan1"], []] });
    credentials.config1 = SIMULATOR_CREDENTIALS;
  }
  const received = new Map<string, NodeMessage[]>(["switch", "plan", "chart", "caught", "completed"].map((id) => [id, []]));
  const arrival = new Map<NodeMessage, number>();
  hooks.remove(HOOK);
  hooks.add(HOOK, (event: { msg: NodeMessage; destination: { id: string } }) => {
    const list = received.get(event.destination.id);
    if (!list) return;
    list.push(event.msg);
    arrival.set(event.msg, Date.now());
  });
  await helper.load([flatpeakConfig, flatpeakPrice, flatpeakPlan], flow, credentials);
  const byId = (msgid: string) => (m: NodeMessage) => m._msgid === msgid;
  return {
    received: (id) => received.get(id)!,
    receivedAt: (msg) => arrival.get(msg)!,
    node: () => helper.getNode("plan1"),
    redeploy: async () => {
      await helper.setFlows(flow, "full", credentials);
    },
    run: async (message) => {
      const msgid = `plan-test-${++counter}`;
      helper.getNode("plan1").receive({ _msgid: msgid, ...message });
      await waitFor(() => received.get("caught")!.some(byId(msgid)) || received.get("completed")!.some(byId(msgid)), 10_000, `message ${msgid} ends`);
      return {
        switch: received.get("switch")!.filter(byId(msgid)),
        plan: received.get("plan")!.filter(byId(msgid)),
        chart: received.get("chart")!.filter(byId(msgid)),
        error: received.get("caught")!.find(byId(msgid)),
      };
    },
  };
}

export function removePlanHook(): void {
  hooks.remove(HOOK);
}
