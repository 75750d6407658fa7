/**
 * The flows the benchmark deploys into one Node-RED: our node under several
 * config nodes, and the flow a user would build without us (function node →
 * core http request → function node), all ending in one `bench-sink`. The
 * `net*` ones talk to the second simulator, whose event answers come a
 * simulated network round trip late; the others to the one that answers at once.
 */
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY } from "../simulator/server";

const TAB = "bench";
export const SINK = "sink";
export const ERRORS = "errors";
/** Node-RED's own cost of one message in and three section messages out (bench-nodes.ts). */
export const FLOOR = "floor";
/** The least a node around our client can do (bench-nodes.ts), behind the uncached config node. */
export const MINIMAL = "minimal";

/** Our event node behind each config node; `cacheSize` "" means the node's default (100). */
export const OURS = {
  uncached: { node: "ours-uncached", config: "cfg-uncached", cacheSize: "0" },
  /** Concurrency left at the config node's default (4), every other setting as well, cache 0. */
  defaults: { node: "ours-defaults", config: "cfg-defaults", cacheSize: "0" },
  cached: { node: "ours-cached", config: "cfg-cached", cacheSize: "" },
  memory: { node: "ours-memory", config: "cfg-memory", cacheSize: "" },
  burst: { node: "ours-burst", config: "cfg-burst", cacheSize: "0" },
  renewal: { node: "ours-renewal", config: "cfg-renewal", cacheSize: "0" },
  /** The same as uncached and cached, against the simulator with the network round trip. */
  netUncached: { node: "ours-net-uncached", config: "cfg-net-uncached", cacheSize: "0" },
  netCached: { node: "ours-net-cached", config: "cfg-net-cached", cacheSize: "" },
} as const;
export type OursVariant = keyof typeof OURS;

/** The http request flows: first node (builds msg.url) by keep-alive setting. */
export const HTTP_FLOWS = {
  default: { entry: "url-default", persist: false, network: false },
  keepAlive: { entry: "url-keepalive", persist: true, network: false },
  netDefault: { entry: "url-net-default", persist: false, network: true },
  netKeepAlive: { entry: "url-net-keepalive", persist: true, network: true },
} as const;
export type HttpVariant = keyof typeof HTTP_FLOWS;

/** Global context keys of the bearer tokens the http request flows send (each simulator accepts only its own). */
export const DIRECT_TOKEN = "flatpeakToken";
export const NETWORK_TOKEN = "flatpeakNetworkToken";

export interface FlowSettings {
  simulatorUrl: string;
  /** The simulator whose event answers come a simulated network round trip late. */
  networkSimulatorUrl: string;
  /** The simulator with short-lived tokens, for the renewal check. */
  renewalSimulatorUrl: string;
  concurrency: number;
  /** Messages the burst check sends at once: its config node's queue must hold them. */
  burst: number;
}

export function buildFlow(settings: FlowSettings): object[] {
  const nodes: object[] = [{ id: TAB, type: "tab", label: "benchmark" }];
  for (const [name, variant] of Object.entries(OURS)) {
    const baseUrl = name === "renewal" ? settings.renewalSimulatorUrl : name.startsWith("net") ? settings.networkSimulatorUrl : settings.simulatorUrl;
    // The burst checks send `burst` messages at once: the queue must hold them (1000 is the default).
    const queueSize = name === "burst" || name === "defaults" ? String(Math.max(settings.burst, 1000)) : "";
    const concurrency = name === "defaults" ? "" : String(settings.concurrency);
    nodes.push(configNode(variant.config, baseUrl, concurrency, variant.cacheSize, queueSize));
    nodes.push(eventNode(variant.node, variant.config));
  }
  for (const [name, variant] of Object.entries(HTTP_FLOWS)) {
    const [url, token] = variant.network ? [settings.networkSimulatorUrl, NETWORK_TOKEN] : [settings.simulatorUrl, DIRECT_TOKEN];
    nodes.push(...httpRequestFlow(name, variant.entry, variant.persist, url, token));
  }
  nodes.push({ id: FLOOR, z: TAB, type: "bench-floor", wires: [[SINK], [SINK], [SINK]] });
  nodes.push({ id: MINIMAL, z: TAB, type: "bench-minimal", server: OURS.uncached.config, wires: [[SINK], [SINK], [SINK]] });
  nodes.push({ id: SINK, z: TAB, type: "bench-sink", wires: [] });
  // Every error any node reports (ours through done(err), the user flow's through node.error) ends here.
  nodes.push({ id: "catch-errors", z: TAB, type: "catch", scope: null, uncaught: false, wires: [[ERRORS]] });
  nodes.push({ id: ERRORS, z: TAB, type: "bench-sink", wires: [] });
  return nodes;
}

/** Default settings ("" = default) except the cache size and (but for "defaults") the concurrency, raised to the benchmark's window. */
function configNode(id: string, baseUrl: string, concurrency: string, cacheSize: string, queueSize: string): object {
  return {
    id,
    type: "flatpeak-config",
    name: `benchmark: ${id}`,
    baseUrl,
    apiVersion: "",
    timeout: "",
    retries: "",
    maxBackoff: "",
    concurrency,
    queueSize,
    cacheSize,
    // As the editor deploys them: the runtime moves these into its credential store.
    credentials: { accountId: SIMULATOR_ACCOUNT_ID, apiKey: SIMULATOR_API_KEY },
  };
}

function eventNode(id: string, config: string): object {
  return {
    id,
    z: TAB,
    type: "flatpeak-event",
    name: `benchmark: ${id}`,
    server: config,
    property: "payload",
    propertyType: "msg",
    eventOutput: false,
    outputs: 3,
    wires: [[SINK], [SINK], [SINK]],
  };
}

/**
 * What a user builds without us: a function node sets msg.url and the bearer
 * header (the token, fetched once from /login, in global context `tokenKey`), the core
 * http request node with its defaults (ret "obj"), and a function node that
 * checks the status and splits data.properties into three outputs.
 */
function httpRequestFlow(name: string, entry: string, persist: boolean, simulatorUrl: string, tokenKey: string): object[] {
  const request = `http-${name}`;
  const split = `split-${name}`;
  const buildUrl = [
    `msg.url = ${JSON.stringify(`${simulatorUrl}/events/`)} + encodeURIComponent(msg.payload);`,
    `msg.headers = { Authorization: "Bearer " + global.get(${JSON.stringify(tokenKey)}) };`,
    "return msg;",
  ].join("\n");
  const splitSections = [
    "if (msg.statusCode !== 200) {",
    '  node.error("Flatpeak answered " + msg.statusCode, msg);',
    "  return null;",
    "}",
    "const device = (msg.payload && msg.payload.data) || {};",
    "const props = device.properties || {};",
    "const out = (section) => props[section] === undefined ? null",
    '  : { ...msg, payload: props[section], topic: "flatpeak/" + device.id + "/" + section };',
    'return [out("battery"), out("pv"), out("ev_charger")];',
  ].join("\n");
  return [
    functionNode(entry, "build url", buildUrl, [[request]]),
    {
      id: request,
      z: TAB,
      type: "http request",
      name: "http request",
      method: "GET",
      ret: "obj",
      paytoqs: "ignore",
      url: "",
      tls: "",
      persist,
      proxy: "",
      insecureHTTPParser: false,
      authType: "",
      senderr: false,
      headers: [],
      wires: [[split]],
    },
    functionNode(split, "split sections", splitSections, [[SINK], [SINK], [SINK]]),
  ];
}

function functionNode(id: string, name: string, func: string, wires: string[][]): object {
  return { id, z: TAB, type: "function", name, func, outputs: wires.length, timeout: 0, noerr: 0, initialize: "", finalize: "", libs: [], wires };
}
