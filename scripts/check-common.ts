/**
 * Shared by the checks that run the packed package in a real Node-RED
 * (`check-package.ts`, `check-editor.ts`): console reporting, clean-up of
 * children and temp dirs, commands and requests that fail a check, `npm pack`,
 * installing the tarball into a fresh user directory, and Node-RED as a child
 * process. What the other dev tools need too (ports, HTTP, waiting, paths) is
 * in support.ts.
 *
 * Env:
 *   CHECK_NODE_BINARY   node binary that runs Node-RED (default: this one)
 *   CHECK_NODE_RED_DIR  a directory with node_modules/node-red, or the node-red package itself
 *                       (default: this repository's devDependency)
 *   KEEP_CHECK_DIRS=1   keep the temporary directories and print their paths
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY } from "../simulator/server";
import {
  LOOPBACK,
  NPM,
  REPO,
  freePort,
  nodeRedVersion,
  readManifest,
  request as httpRequest,
  settingsModule,
  sleep,
  valueAt,
  waitForHttp,
  type HttpAnswer,
  type RequestOptions,
} from "./support";

export const MANIFEST = readManifest();
export const PKG = MANIFEST.name;
const START_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 15_000;
/** npm pack / npm install (the install may download axios). */
const COMMAND_TIMEOUT_MS = 300_000;
const CREDENTIAL_SECRET = "flatpeak-package-check-fixed-secret";
const KEEP_DIRS = process.env.KEEP_CHECK_DIRS === "1";
/** Any JWT (the simulator's bearer tokens are JWTs): none may leak into logs, flows or answers. */
export const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/;
const BASIC_AUTH = Buffer.from(`${SIMULATOR_ACCOUNT_ID}:${SIMULATOR_API_KEY}`).toString("base64");

export class CheckFailure extends Error {}

export function ok(text: string): void {
  console.log(`  ok    ${text}`);
}
export function warn(text: string): void {
  console.log(`  WARN  ${text}`);
}
export function note(text: string): void {
  console.log(`  skip  ${text}`);
}
export function section(title: string): void {
  console.log(`\n${title}`);
}
export function fail(text: string): never {
  throw new CheckFailure(text);
}
export function expect(condition: unknown, text: string): asserts condition {
  if (!condition) fail(text);
}

// ---------------------------------------------------------------------------
// Clean-up: child processes, servers and temp dirs, whatever happens.

const cleanups: Array<() => Promise<void> | void> = [];

/** Runs `task` at clean-up, before the tasks registered earlier. */
export function onCleanUp(task: () => Promise<void> | void): void {
  cleanups.push(task);
}

export async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const task = cleanups.pop();
    try {
      await task?.();
    } catch (err) {
      console.error(`clean-up step failed: ${String(err)}`);
    }
  }
}

export function makeTempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `flatpeak-check-${label}-`));
  cleanups.push(() => {
    if (KEEP_DIRS) console.log(`kept ${label} dir: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

// ---------------------------------------------------------------------------
// Processes and HTTP.

export function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: process.env, timeout: COMMAND_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) reject(new CheckFailure(`${command} ${args.join(" ")} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolvePromise(stdout);
    });
  });
}

/** A check's request: its own connection, and a failure after 15 s without an answer. */
export function request(url: string, options: Omit<RequestOptions, "timeoutMs"> = {}): Promise<HttpAnswer> {
  return httpRequest(url, { ...options, timeoutMs: REQUEST_TIMEOUT_MS });
}

export function parseJson(answer: HttpAnswer, what: string): unknown {
  try {
    return JSON.parse(answer.text);
  } catch {
    fail(`${what}: answer is not JSON (HTTP ${answer.status}): ${answer.text.slice(0, 300)}`);
  }
}

// ---------------------------------------------------------------------------
// The tarball and the user directory.

/** `npm pack` into packDir; the path of the tarball. */
export async function packTarball(packDir: string): Promise<string> {
  const out = await run(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", packDir], REPO);
  const start = out.indexOf("[");
  const info = JSON.parse(out.slice(start)) as Array<{ filename: string }>;
  // npm ≥ 7 names scoped packages scope-name-version.tgz; either way it is the only file there.
  const files = readdirSync(packDir).filter((file) => file.endsWith(".tgz"));
  expect(files.length === 1, `expected one tarball in ${packDir}, found ${files.join(", ") || "none"}`);
  const tarball = join(packDir, files[0]);
  ok(`packed ${info[0]?.filename ?? files[0]}`);
  return tarball;
}

/** Files under a folder, as posix paths relative to it. */
export function listFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? listFiles(join(folder, entry.name)).map((inner) => `${entry.name}/${inner}`)
      : [entry.name],
  );
}

/** `npm install <tarball>` into a fresh user directory, as the palette manager installs; the installed package's folder. */
export async function installIntoUserDir(tarball: string, userDir: string): Promise<string> {
  writeFileSync(
    join(userDir, "package.json"),
    JSON.stringify({ name: "node-red-project", description: "package check", version: "0.0.1", private: true }, null, 2),
  );
  // --engine-strict as Node-RED's palette manager installs.
  await run(NPM, ["install", "--omit=dev", "--engine-strict", "--no-audit", "--no-fund", "--no-package-lock", tarball], userDir);
  const installed = join(userDir, "node_modules", PKG);
  expect(existsSync(join(installed, "package.json")), `${PKG} is not in ${userDir}/node_modules after npm install`);
  expect(!lstatSync(installed).isSymbolicLink(), `${PKG} was installed as a symlink, not from the tarball`);
  ok(`installed ${PKG}@${MANIFEST.version} with --omit=dev`);
  return installed;
}

// ---------------------------------------------------------------------------
// Node-RED as a child process.

export interface NodeRed {
  readonly url: string;
  readonly version: string;
  /** Everything the child wrote to stdout and stderr, in order. */
  output(): string;
  /** SIGINT, then SIGKILL after 5 s; says how it ended. */
  stop(): Promise<string>;
}

function locateRedJs(): string {
  const dir = process.env.CHECK_NODE_RED_DIR ? resolve(process.env.CHECK_NODE_RED_DIR) : REPO;
  const candidates = [join(dir, "node_modules", "node-red", "red.js"), join(dir, "red.js")];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) fail(`no node-red found: looked for ${candidates.join(" and ")}`);
  return found;
}

function writeSettings(userDir: string, port: number): string {
  const settings = {
    uiPort: port,
    uiHost: LOOPBACK,
    flowFile: "flows.json",
    credentialSecret: CREDENTIAL_SECRET,
    logging: { console: { level: "info", metrics: false, audit: false } },
    // "file" lets flatpeak watch keep its cursor and flatpeak plan its plan across a restart (the package check restarts Node-RED).
    contextStorage: { default: { module: "memory" }, file: { module: "localfilesystem" } },
    editorTheme: { tours: false, projects: { enabled: false } },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    externalModules: { autoInstall: false },
  };
  const file = join(userDir, "settings.js");
  writeFileSync(file, settingsModule(settings));
  return file;
}

export async function startNodeRed(userDir: string): Promise<NodeRed> {
  const nodeBinary = process.env.CHECK_NODE_BINARY ? resolve(process.env.CHECK_NODE_BINARY) : process.execPath;
  const redJs = locateRedJs();
  const version = nodeRedVersion(dirname(redJs));
  const port = await freePort();
  const settingsFile = writeSettings(userDir, port);
  const url = `http://${LOOPBACK}:${port}`;

  let output = "";
  const child: ChildProcess = spawn(nodeBinary, [redJs, "-u", userDir, "-p", String(port), "-s", settingsFile], {
    cwd: userDir,
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: "", NODE_OPTIONS: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  let exited: string | undefined;
  const exitPromise = new Promise<void>((resolvePromise) =>
    child.on("exit", (code, signal) => {
      exited = `exited with ${signal ?? `code ${String(code)}`}`;
      resolvePromise();
    }),
  );
  child.on("error", (err) => (exited = `could not start: ${err.message}`));

  const nodeRed: NodeRed = {
    url,
    version,
    output: () => output,
    stop: async () => {
      if (exited !== undefined) return exited;
      child.kill("SIGINT");
      const stopped = await Promise.race([exitPromise.then(() => true), sleep(5_000).then(() => false)]);
      if (stopped) return exited ?? "exited";
      child.kill("SIGKILL");
      await exitPromise;
      return "did not stop within 5 s of SIGINT and was killed";
    },
  };
  cleanups.push(async () => {
    await nodeRed.stop();
  });
  runningNodeRed = nodeRed;

  const nodeVersion = (await run(nodeBinary, ["--version"], userDir)).trim();
  console.log(`  Node-RED ${version} (${redJs}) on Node ${nodeVersion} (${nodeBinary}), port ${port}`);
  const outcome = await waitForHttp(`${url}/settings`, {
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    intervalMs: 250,
    timeoutMs: START_TIMEOUT_MS,
    stopReason: () => exited,
  });
  if (outcome.kind === "stopped") fail(`Node-RED ${outcome.reason} before its admin API answered\n${tail(output)}`);
  if (outcome.kind === "timeout") fail(`Node-RED's admin API did not answer within ${START_TIMEOUT_MS / 1000} s\n${tail(output)}`);
  ok(`admin API answers after ${(outcome.ms / 1000).toFixed(1)} s`);
  return nodeRed;
}

/** en-US texts of a node set, read from the package's own catalogs so that a check follows their wording: `text("label.name")`. */
export function readCatalog(set: string): (key: string) => string {
  const catalog = JSON.parse(readFileSync(join(REPO, "locales", "en-US", `${set}.json`), "utf8")) as Record<string, unknown>;
  return (key) => {
    const value = valueAt(catalog, `${set}.${key}`);
    if (typeof value !== "string") throw new Error(`locales/en-US/${set}.json has no text for ${key}`);
    return value;
  };
}

export function tail(text: string, lines = 60): string {
  return `--- Node-RED output (last ${lines} lines) ---\n${text.split("\n").slice(-lines).join("\n")}\n---`;
}

/** The simulator's API key, its Basic auth header value, or a bearer token (any JWT). */
export function hasSecret(text: string): boolean {
  return text.includes(SIMULATOR_API_KEY) || text.includes(BASIC_AUTH) || JWT_PATTERN.test(text);
}

// ---------------------------------------------------------------------------
// Running a check.

/** For diagnostics when a check fails. */
let runningNodeRed: NodeRed | undefined;

/**
 * Runs `main`, then cleans up whatever happens (also on SIGINT/SIGTERM). A
 * failure prints `FAIL <reason>` and the tail of Node-RED's output, and sets
 * exit code 1.
 */
export function runCheck(main: () => Promise<void>): void {
  let interrupted = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      console.error(`\n${signal}: cleaning up`);
      void cleanUp().finally(() => process.exit(130));
    });
  }

  main()
    .then(cleanUp)
    .catch(async (err: unknown) => {
      const text = err instanceof CheckFailure ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.error(`\nFAIL  ${text}`);
      if (runningNodeRed && !text.includes("--- Node-RED output")) console.error(tail(runningNodeRed.output()));
      await cleanUp();
      process.exitCode = 1;
    });
}
