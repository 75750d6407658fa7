/**
 * Shared by the dev tools (demo/, bench/, scripts/): the repository's paths and
 * manifest, loopback ports, small HTTP helpers, waiting until a server answers,
 * and the pieces of a Node-RED user directory. Standard library only; none of
 * it ships (package.json `files` holds dist/nodes/ only).
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { dirname, join, resolve } from "node:path";

/** dist/scripts/support.js → the repository root. */
export const REPO = resolve(__dirname, "..", "..");
export const LOOPBACK = "127.0.0.1";
export const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

// ---------------------------------------------------------------------------
// The package.

export interface PackageManifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  "node-red": { nodes: Record<string, string> };
}

/** `<root>/package.json`; throws when it has no name. */
export function readManifest(root = REPO): PackageManifest {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name?: unknown };
  if (typeof manifest.name !== "string") throw new Error("package.json has no name");
  return manifest as PackageManifest;
}

/** The version of the node-red package in `packageDir` (the folder that holds red.js). */
export function nodeRedVersion(packageDir: string): string {
  const file = join(packageDir, "package.json");
  if (!existsSync(file)) throw new Error(`no Node-RED at ${packageDir}`);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

// ---------------------------------------------------------------------------
// Values.

export function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at a dotted path (`"a.b.c"`) in nested records, or undefined. */
export function valueAt(value: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((entry, part) => (isRecord(entry) ? entry[part] : undefined), value);
}

// ---------------------------------------------------------------------------
// Ports.

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
  return new Promise((resolvePromise) => {
    const probe = net.createServer();
    probe.once("error", () => resolvePromise(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolvePromise(true)));
  });
}

/** A port the system has just handed out as free. */
export function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolvePromise(port));
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

// ---------------------------------------------------------------------------
// HTTP.

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Fails the request after this long without an answer; default: no limit. */
  timeoutMs?: number;
}

/**
 * One HTTP request on its own connection (agent: false), so that it never
 * takes a socket from a pool someone measures or keeps alive.
 */
export function request(url: string, options: RequestOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolvePromise, reject) => {
    const req = http.request(url, { method: options.method ?? "GET", headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString("utf8") });
      });
      res.on("error", reject);
    });
    const { timeoutMs } = options;
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

export interface JsonAnswer {
  status: number;
  /** The parsed body; undefined when it is not JSON. */
  body: unknown;
}

/** GET with `Accept: application/json`; rejects on network errors and after `timeoutMs`. */
export async function getJson(url: string, timeoutMs: number): Promise<JsonAnswer> {
  const answer = await request(url, { headers: { Accept: "application/json" }, timeoutMs });
  return { status: answer.status, body: parseJsonOrUndefined(answer.text) };
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface WaitForHttpOptions {
  headers?: Record<string, string>;
  /** Per try. */
  requestTimeoutMs: number;
  /** Between tries. */
  intervalMs: number;
  /** In all. */
  timeoutMs: number;
  /** Asked before every try: why to stop waiting (the server's process ended, a stop was asked), or undefined. */
  stopReason?: () => string | undefined;
}

export type WaitOutcome = { kind: "ready"; ms: number } | { kind: "stopped"; reason: string } | { kind: "timeout" };

/** Polls `url` until it answers HTTP 200 (as Node-RED's admin API does once it has started), a stop reason comes up, or time runs out. */
export async function waitForHttp(url: string, options: WaitForHttpOptions): Promise<WaitOutcome> {
  const started = Date.now();
  for (;;) {
    const reason = options.stopReason?.();
    if (reason !== undefined) return { kind: "stopped", reason };
    if (Date.now() - started >= options.timeoutMs) return { kind: "timeout" };
    const answer = await request(url, { headers: options.headers, timeoutMs: options.requestTimeoutMs }).catch(() => undefined);
    if (answer?.status === 200) return { kind: "ready", ms: Date.now() - started };
    await sleep(options.intervalMs);
  }
}

// ---------------------------------------------------------------------------
// Node-RED user directories.

/**
 * Links `root` into `<userDir>/node_modules/<its name>`: Node-RED loads modules
 * from there and follows links, so the freshly built dist/ loads with no
 * `npm pack`. Replaces a link or an installed copy that is already there. A
 * junction needs no special rights on Windows; elsewhere the type is ignored.
 */
export function linkPackage(root: string, userDir: string): void {
  const modules = join(userDir, "node_modules");
  const link = join(modules, readManifest(root).name);
  mkdirSync(modules, { recursive: true });
  removeEntry(link);
  symlinkSync(root, link, "junction");
}

/**
 * Links a package installed in `root`'s node_modules (a dev dependency such as
 * Dashboard 2) into a Node-RED user directory, so that Node-RED loads its nodes.
 */
export function linkInstalledPackage(root: string, userDir: string, name: string): void {
  const installed = dirname(require.resolve(`${name}/package.json`, { paths: [root] }));
  const link = join(userDir, "node_modules", name);
  mkdirSync(dirname(link), { recursive: true });
  removeEntry(link);
  symlinkSync(installed, link, "junction");
}

/** Removes a link without following it, or an installed copy that would shadow the link. */
function removeEntry(path: string): void {
  let isLink: boolean;
  try {
    isLink = lstatSync(path).isSymbolicLink();
  } catch {
    return;
  }
  if (isLink) unlinkSync(path);
  else rmSync(path, { recursive: true, force: true });
}

/** The text of a settings.js that exports `settings`, after an optional comment line. */
export function settingsModule(settings: object, comment?: string): string {
  return `${comment ? `// ${comment}\n` : ""}module.exports = ${JSON.stringify(settings, null, 2)};\n`;
}
