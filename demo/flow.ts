/**
 * The demo's Node-RED flow: inject buttons for the simulator's sample events,
 * one flatpeak-event node, a Debug node per output and a Catch node for errors;
 * below them, the two paths by which new events arrive by themselves (a
 * flatpeak-watch that polls, and an http in + flatpeak-webhook that the
 * simulator delivers to), each into its own flatpeak-event node.
 * Pure: builds JSON, writes nothing.
 */
import { SAMPLES, type SampleName } from "../simulator/sample-events";
import { commentNode, debugNode, leftAligned, nodeId, nodeWidth, ROW, snap, type FlowNode } from "./flow-parts";
import { pricesTab } from "./prices-tab";

export type { FlowNode } from "./flow-parts";

export interface DemoFlow {
  nodes: FlowNode[];
  /** Keyed by config node id, as in an unencrypted flows_cred.json. */
  credentials: Record<string, Record<string, string>>;
}

export interface DemoFlowOptions {
  simulatorUrl: string;
  accountId: string;
  apiKey: string;
  /** Where the simulator delivers webhooks: Node-RED's http root + WEBHOOK_PATH (for the comment's curl example). */
  webhookUrl: string;
  /** How often the simulator creates a new event (for the comment). */
  newEventEverySeconds: number;
}

/** The `http in` node's path; the simulator delivers to `<http root>` + this. */
export const WEBHOOK_PATH = "/flatpeak/webhook";
/** How often the demo's flatpeak watch polls `GET /events`. */
export const WATCH_INTERVAL_S = 10;

/** Samples that each show a different path through the node, in canvas order. */
const DEMO_SAMPLES: SampleName[] = [
  "fullDevice",
  "batteryOnly",
  "pvOnly",
  "evChargerOnly",
  "busbarFlatA",
  "busbarFlatB",
  "heatPumpOnly",
  "noProperties",
  "deletedDevice",
  "customer",
  "tariff",
  "updateFailed",
];

/** Returned by the simulator as 404: valid in form, unknown to Flatpeak. */
const UNKNOWN_EVENT_ID = "evt_000000000000000000000000";

interface InjectValue {
  payload: string;
  payloadType: "str" | "json" | "num";
}

/** Inputs other than a plain event ID: the webhook shape and the two error paths. */
const EXTRA_INJECTS: Array<{ key: string; name: string; value: InjectValue }> = [
  {
    key: "webhook",
    name: "webhook delivery: object with id",
    value: { payload: JSON.stringify({ id: SAMPLES.fullDevice.event.id, type: "device.update" }), payloadType: "json" },
  },
  { key: "unknown", name: "unknown event ID (404)", value: { payload: UNKNOWN_EVENT_ID, payloadType: "str" } },
  { key: "bad", name: "bad input: the number 42", value: { payload: "42", payloadType: "num" } },
];

const TAB_LABEL = "Flatpeak demo";
const OUTPUT_DEBUG_NAMES = ["battery", "PV", "EV charger", "whole event"];
/** The sections of the source paths' flatpeak-event nodes (no whole-event output there). */
const SECTION_NAMES = ["battery", "PV", "EV charger"];

// Canvas layout (node centres): injects on the left, the event node in the middle, debug nodes on the right.
const EVENT_X = 560;
const FIRST_INJECT_Y = 100;

export function buildDemoFlow(options: DemoFlowOptions): DemoFlow {
  const tab = nodeId("tab");
  const config = nodeId("config");
  const eventNode = nodeId("event");
  const debugIds = OUTPUT_DEBUG_NAMES.map((name) => nodeId(`debug:${name}`));

  const sampleInjects = DEMO_SAMPLES.map((name, row) =>
    injectNode(tab, nodeId(`inject:${name}`), SAMPLES[name].title, { payload: SAMPLES[name].event.id, payloadType: "str" }, FIRST_INJECT_Y + row * ROW, eventNode),
  );
  const extrasTop = FIRST_INJECT_Y + sampleInjects.length * ROW + ROW / 2;
  const extraInjects = EXTRA_INJECTS.map((extra, row) =>
    injectNode(tab, nodeId(`inject:${extra.key}`), extra.name, extra.value, extrasTop + (row + 1) * ROW, eventNode),
  );
  const injects = [...sampleInjects, ...extraInjects];
  const lastInjectY = extrasTop + extraInjects.length * ROW;
  const eventY = snap((FIRST_INJECT_Y + lastInjectY) / 2);
  const catchY = lastInjectY + ROW * 1.5;

  const nodes: FlowNode[] = [
    { id: tab, type: "tab", label: TAB_LABEL, disabled: false, info: "Rewritten by `npm start` on every run." },
    configNode(config, options.simulatorUrl),
    commentNode(tab, nodeId("comment:intro"), "Flatpeak demo: click an inject button, watch the Debug sidebar", introText(options.simulatorUrl), 40),
    ...injects,
    commentNode(tab, nodeId("comment:extras"), "A webhook delivery, an unknown event and bad input", extrasText(), extrasTop),
    {
      id: eventNode,
      type: "flatpeak-event",
      z: tab,
      name: "",
      server: config,
      property: "payload",
      propertyType: "msg",
      eventOutput: true,
      outputs: 4,
      x: EVENT_X,
      y: eventY,
      wires: debugIds.map((id) => [id]),
    },
    ...OUTPUT_DEBUG_NAMES.map((name, index) => debugNode(tab, debugIds[index], name, "payload", eventY + (index - 1.5) * ROW * 1.5)),
    {
      id: nodeId("catch"),
      type: "catch",
      z: tab,
      name: "errors of flatpeak event",
      scope: [eventNode],
      uncaught: false,
      x: EVENT_X,
      y: catchY,
      wires: [[nodeId("debug:errors")]],
    },
    // The whole message, so that msg.error and msg.statusCode are visible.
    debugNode(tab, nodeId("debug:errors"), "errors", "true", catchY),
    ...sourceNodes(tab, config, catchY + ROW * 2, options),
    ...pricesTab(config),
  ];

  return {
    nodes,
    credentials: { [config]: { accountId: options.accountId, apiKey: options.apiKey } },
  };
}

/**
 * Below the inject section: a comment, the watch path, the webhook path and a
 * Catch node for the four new nodes. Each path ends in its own flatpeak-event
 * node (three outputs) and debug nodes named "<source>: <section>", so the
 * Debug sidebar tells the two apart.
 */
function sourceNodes(tab: string, config: string, top: number, options: DemoFlowOptions): FlowNode[] {
  const watch = nodeId("watch");
  const watchEvent = nodeId("watch:event");
  const httpIn = nodeId("webhook:http-in");
  const webhook = nodeId("webhook");
  const webhookEvent = nodeId("webhook:event");
  const watchY = top + ROW * 2;
  const webhookY = watchY + ROW * 4;
  const catchY = webhookY + ROW * 2.5;

  const httpInLabel = `[post] ${WEBHOOK_PATH}`;
  const httpInX = leftAligned(httpInLabel);
  // The webhook node sits midway between the http in node and the flatpeak event nodes.
  const eventLeft = EVENT_X - nodeWidth("flatpeak event") / 2;
  const webhookX = snap((httpInX + nodeWidth(httpInLabel) / 2 + eventLeft) / 2);

  return [
    commentNode(tab, nodeId("comment:sources"), "New events arrive by themselves: a watch path and a webhook path", sourcesText(options), top),
    {
      id: watch,
      type: "flatpeak-watch",
      z: tab,
      name: "",
      server: config,
      interval: WATCH_INTERVAL_S,
      eventTypes: "",
      replay: 0,
      store: "",
      x: leftAligned("flatpeak watch"),
      y: watchY,
      wires: [[watchEvent]],
    },
    sectionEventNode(tab, watchEvent, config, watchY, "watch"),
    ...sectionDebugNodes(tab, "watch", watchY),
    {
      id: httpIn,
      type: "http in",
      z: tab,
      name: "",
      url: WEBHOOK_PATH,
      method: "post",
      upload: false,
      // "Do not parse request body" (Node-RED 4.1+): flatpeak webhook needs the raw bytes the signature covers.
      skipBodyParsing: true,
      swaggerDoc: "",
      x: httpInX,
      y: webhookY,
      wires: [[webhook]],
    },
    {
      id: webhook,
      type: "flatpeak-webhook",
      z: tab,
      name: "",
      server: config,
      tolerance: 300,
      allowUnsigned: false,
      store: "",
      x: webhookX,
      y: webhookY,
      wires: [[webhookEvent]],
    },
    sectionEventNode(tab, webhookEvent, config, webhookY, "webhook"),
    ...sectionDebugNodes(tab, "webhook", webhookY),
    {
      id: nodeId("catch:sources"),
      type: "catch",
      z: tab,
      name: "errors of watch and webhook",
      scope: [watch, watchEvent, webhook, webhookEvent],
      uncaught: false,
      x: EVENT_X,
      y: catchY,
      wires: [[nodeId("debug:source-errors")]],
    },
    debugNode(tab, nodeId("debug:source-errors"), "watch/webhook errors", "true", catchY),
  ];
}

/** A flatpeak-event node with the three section outputs, wired to the path's debug nodes. */
function sectionEventNode(tab: string, id: string, config: string, y: number, path: "watch" | "webhook"): FlowNode {
  return {
    id,
    type: "flatpeak-event",
    z: tab,
    name: "",
    server: config,
    property: "payload",
    propertyType: "msg",
    eventOutput: false,
    outputs: SECTION_NAMES.length,
    x: EVENT_X,
    y,
    wires: SECTION_NAMES.map((section) => [nodeId(`debug:${path}:${section}`)]),
  };
}

function sectionDebugNodes(tab: string, path: "watch" | "webhook", y: number): FlowNode[] {
  return SECTION_NAMES.map((section, index) =>
    debugNode(tab, nodeId(`debug:${path}:${section}`), `${path}: ${section}`, "payload", y + (index - 1) * ROW),
  );
}

function configNode(id: string, simulatorUrl: string): FlowNode {
  return { id, type: "flatpeak-config", name: "Flatpeak simulator", baseUrl: simulatorUrl, apiVersion: "", timeout: 15 };
}

function injectNode(tab: string, id: string, name: string, value: InjectValue, y: number, target: string): FlowNode {
  return {
    id,
    type: "inject",
    z: tab,
    name,
    props: [{ p: "payload" }],
    repeat: "",
    crontab: "",
    once: false,
    onceDelay: 0.1,
    topic: "",
    payload: value.payload,
    payloadType: value.payloadType,
    x: leftAligned(name),
    y,
    wires: [[target]],
  };
}

function introText(simulatorUrl: string): string {
  return [
    `This flow talks to the **Flatpeak simulator** at ${simulatorUrl}, started by \`npm start\` with a demo account: no Flatpeak account is needed.`,
    "",
    "1. Click the button on the left of an inject node. Each one sends a Flatpeak event ID to the **flatpeak event** node.",
    "2. The node fetches the event and sends the device's **battery** on output 1, **PV** on output 2 and **EV charger** on output 3; " +
      "output 4 (enabled here) carries the **whole event**.",
    "3. Open the **Debug** sidebar (bug icon, top right). Each message shows `msg.topic` (`flatpeak/<device id>/<section>`) and the section as `msg.payload`.",
    "",
    "A section the device does not have sends nothing. Events that are not about a device (customer, tariff, …) send only the whole event; " +
      "the node's status says so. Errors reach the Catch node and the **errors** debug node, with `msg.error` and `msg.statusCode`.",
    "",
    "Make the simulator misbehave, for example answer the next event request with HTTP 503:",
    "",
    `    curl -X POST ${simulatorUrl}/_simulator/faults -H 'Content-Type: application/json' -d '{"route":"event","kind":"status","status":503,"times":1}'`,
    "",
    `and clear all faults with \`curl -X DELETE ${simulatorUrl}/_simulator/faults\`.`,
    "",
    "New events also arrive by themselves, without a click: see the watch and webhook paths below the inject buttons.",
    "",
    "`npm start` rewrites this flow on every run: export anything you want to keep.",
  ].join("\n");
}

function sourcesText(options: DemoFlowOptions): string {
  const { simulatorUrl, webhookUrl, newEventEverySeconds } = options;
  return [
    `The simulator creates a new \`device.update\` event every ${newEventEverySeconds} s. Two source nodes bring such events in by themselves, ` +
      "each wired straight into a **flatpeak event** node, which shapes the event as delivered (no second request) into battery, PV and EV charger:",
    "",
    `- **Watch** (top): **flatpeak watch** polls the events list (\`GET /events\`) every ${WATCH_INTERVAL_S} s and sends each new event once, oldest first. ` +
      "Nothing is needed from the outside: this is the path for a Pi behind a home router. Its debug nodes are named **watch: …**.",
    `- **Webhook** (bottom): the simulator POSTs each new event, signed, to ${webhookUrl}. The **http in** node (method POST, ` +
      "*Do not parse request body* ticked, Node-RED 4.1+) hands the raw body to **flatpeak webhook**, which checks the signature against the keys at " +
      `${simulatorUrl}/jwks.json, answers 200 itself and sends the event on. Its debug nodes are named **webhook: …**.`,
    "",
    "So every new event shows up twice in the Debug sidebar, once per path. Refused deliveries and failed polls reach the **watch/webhook errors** debug node.",
    "",
    "Create an event now instead of waiting:",
    "",
    `    curl -X POST ${simulatorUrl}/_simulator/events -H 'Content-Type: application/json' -d '{}'`,
    "",
    "Send a delivery that is not signed (refused with HTTP 401, code `FLATPEAK_WEBHOOK_SIGNATURE`):",
    "",
    `    curl -i -X POST ${webhookUrl} -H 'Content-Type: application/json' -d '{}'`,
  ].join("\n");
}

function extrasText(): string {
  return [
    "- **webhook delivery**: an object with the event ID in `id`, as Flatpeak POSTs it to a webhook; the node reads `id` and fetches the event.",
    `- **unknown event ID**: well-formed but unknown (${UNKNOWN_EVENT_ID}); the simulator answers 404 and the **errors** debug node shows it.`,
    "- **bad input**: the number 42 is rejected before any request is made.",
  ].join("\n");
}
