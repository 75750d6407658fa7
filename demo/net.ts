/** Small loopback helpers for the demo: free ports and JSON GETs. Standard library only. */
import http from "node:http";
import net from "node:net";

export const LOOPBACK = "127.0.0.1";

/** A port from the environment: unset or empty gives the default; anything else must be 0–65535 (0 = any free port). */
export function readPortSetting(name: string, fallback: number): number {
  const text = process.env[name]?.trim();
  if (!text) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number from 0 to 65535, not "${text}"`);
  }
  return port;
}

/** True when nothing listens on host:port (we could bind it ourselves). */
export function isPortFree(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** A port the system has just handed out as free. */
export function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface PortChoice {
  port: number;
  /** Set when the wanted port was taken and another one is used. */
  takenPort?: number;
}

/** The wanted port if it is free, otherwise (or for 0) a free one. */
export async function choosePort(wanted: number, host = LOOPBACK): Promise<PortChoice> {
  if (wanted !== 0 && (await isPortFree(wanted, host))) return { port: wanted };
  const port = await freePort(host);
  return wanted === 0 ? { port } : { port, takenPort: wanted };
}

export interface JsonAnswer {
  status: number;
  body: unknown;
}

/** GET with `Accept: application/json`; rejects on network errors and after `timeoutMs`. */
export function getJson(url: string, timeoutMs: number): Promise<JsonAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { Accept: "application/json" }, timeout: timeoutMs }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: parseJson(text) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
