/** Plain HTTP against the simulator, for the simulator's own tests: no client of ours in between. */
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, type Simulator } from "../../simulator/server";

export const BASIC = `Basic ${Buffer.from(`${SIMULATOR_ACCOUNT_ID}:${SIMULATOR_API_KEY}`).toString("base64")}`;

/** GET with the body parsed as JSON when it is JSON, else kept as text. */
export async function get(sim: Simulator, path: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(sim.url + path, { headers, signal });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}
