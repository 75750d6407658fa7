/**
 * The things measured, each as a `Launch` for the closed loop: a message into
 * a Node-RED flow (ended when all three section messages reach the sink, or
 * an error reaches the Catch node), or a bare axios request.
 */
import http from "node:http";
import axios, { type AxiosInstance } from "axios";
import type { NodeMessageInFlow } from "node-red";
import type { FlatpeakConfigNode } from "../nodes/types";
import type { Launch } from "./closed-loop";
import { ERRORS } from "./flows";
import type { NodeRedHost } from "./node-red-host";
import { onSinkMessage } from "./bench-nodes";

/** A generated device event has all three sections: battery, PV and EV charger. */
const SECTIONS_PER_EVENT = 3;

interface Pending {
  finish: (ok: boolean) => void;
  arrivals: number;
}

/** Routes what reaches the sinks back to the event that caused it, by `_msgid`. */
export class FlowTracker {
  private readonly pending = new Map<string, Pending>();
  private counter = 0;
  /** The first few error texts, to show why a run had errors. */
  readonly errorSamples: string[] = [];

  constructor(private readonly host: NodeRedHost) {
    onSinkMessage((sinkId, msg) => this.arrive(sinkId, msg));
  }

  /** Sends each event's ID (from `idOf`) into the node `entryId`. */
  launcher(entryId: string, idOf: (index: number) => string): Launch {
    const entry = this.host.node(entryId);
    return (index, finish) => {
      const msgid = `bench${++this.counter}`;
      this.pending.set(msgid, { finish, arrivals: 0 });
      entry.receive({ _msgid: msgid, payload: idOf(index) });
    };
  }

  private arrive(sinkId: string, msg: NodeMessageInFlow): void {
    const pending = this.pending.get(msg._msgid);
    if (!pending) return;
    if (sinkId === ERRORS) {
      this.pending.delete(msg._msgid);
      if (this.errorSamples.length < 5) this.errorSamples.push(errorText(msg));
      pending.finish(false);
    } else if (++pending.arrivals === SECTIONS_PER_EVENT) {
      this.pending.delete(msg._msgid);
      pending.finish(true);
    }
  }
}

function errorText(msg: NodeMessageInFlow): string {
  const message = (msg as { error?: { message?: unknown } }).error?.message;
  return typeof message === "string" ? message : "unknown error";
}

/** The floor: axios with one keep-alive agent for all runs, the bearer header, JSON parsed by axios. */
export function bareAxios(simulatorUrl: string, token: string): { launcher: (idOf: (index: number) => string) => Launch; close: () => void } {
  const agent = new http.Agent({ keepAlive: true });
  const client: AxiosInstance = axios.create({ httpAgent: agent, headers: { Authorization: `Bearer ${token}` } });
  const launcher = (idOf: (index: number) => string): Launch => (index, finish) => {
    client.get<{ data?: { properties?: unknown } }>(`${simulatorUrl}/events/${idOf(index)}`).then(
      (response) => finish(response.status === 200 && typeof response.data.data?.properties === "object"),
      () => finish(false),
    );
  };
  return { launcher, close: () => agent.destroy() };
}

/** Below axios: node:http with a keep-alive agent, the bearer header, JSON.parse. For reference only. */
export function bareNodeHttp(simulatorUrl: string, token: string): { launcher: (idOf: (index: number) => string) => Launch; close: () => void } {
  const agent = new http.Agent({ keepAlive: true });
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  const launcher = (idOf: (index: number) => string): Launch => (index, finish) => {
    const request = http.get(`${simulatorUrl}/events/${idOf(index)}`, { agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => finish(response.statusCode === 200 && isDeviceEvent(Buffer.concat(chunks).toString("utf8"))));
      response.on("error", () => finish(false));
    });
    request.on("error", () => finish(false));
  };
  return { launcher, close: () => agent.destroy() };
}

function isDeviceEvent(text: string): boolean {
  try {
    const body = JSON.parse(text) as { data?: { properties?: unknown } };
    return typeof body.data?.properties === "object";
  } catch {
    return false;
  }
}

/** Our client alone (the config node's API, no Node-RED message): what a fetch costs, cached or not. */
export function clientLauncher(host: NodeRedHost, configId: string, idOf: (index: number) => string): Launch {
  const { api } = host.node(configId) as FlatpeakConfigNode;
  return (index, finish) => {
    api.getEvent(idOf(index)).then(
      () => finish(true),
      () => finish(false),
    );
  };
}

/**
 * Logs in once, as a user would before wiring the token into an http request flow: `POST /auth/tokens`
 * (the current API version), or `GET /login` where the account's version still logs in there.
 */
export async function loginOnce(simulatorUrl: string, accountId: string, apiKey: string): Promise<string> {
  const options = { auth: { username: accountId, password: apiKey }, httpAgent: new http.Agent({ keepAlive: false }), validateStatus: () => true };
  let response = await axios.post<{ bearer_token?: string }>(`${simulatorUrl}/auth/tokens`, undefined, options);
  if (response.status === 404 || response.status === 405) response = await axios.get<{ bearer_token?: string }>(`${simulatorUrl}/login`, options);
  const token = response.data.bearer_token;
  if (response.status !== 200 || typeof token !== "string") throw new Error(`login to the simulator failed: ${response.status}`);
  return token;
}
