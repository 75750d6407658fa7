/** Plain HTTP against the simulator, for the simulator's own tests: no client of ours in between. */
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, type Simulator } from "../../simulator/server";

export const BASIC = `Basic ${Buffer.from(`${SIMULATOR_ACCOUNT_ID}:${SIMULATOR_API_KEY}`).toString("base64")}`;

export interface PlainAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** GET with the body parsed as JSON when it is JSON, else kept as text. */
export async function get(sim: Simulator, path: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<PlainAnswer> {
  return exchange(sim, "GET", path, headers, undefined, signal);
}

/** POST of a JSON body (or none), answered like `get`. */
export async function post(sim: Simulator, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<PlainAnswer> {
  return exchange(sim, "POST", path, body === undefined ? headers : { "Content-Type": "application/json", ...headers }, body === undefined ? undefined : JSON.stringify(body));
}

/** Logs in at the simulator's default (busbar) login path and answers the Authorization header to use. */
export async function bearerFor(sim: Simulator): Promise<string> {
  const login = await post(sim, "/auth/tokens", undefined, { Authorization: BASIC });
  return `Bearer ${login.body.bearer_token}`;
}

async function exchange(sim: Simulator, method: string, path: string, headers: Record<string, string>, sent: string | undefined, signal?: AbortSignal): Promise<PlainAnswer> {
  const response = await fetch(sim.url + path, { method, headers, body: sent, signal });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}
