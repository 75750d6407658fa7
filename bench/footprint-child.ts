/**
 * One idle Node-RED, started in a process of its own so that its RSS and
 * start-up time are its own: the core nodes, no flows, no editor, and — with
 * the argument "with" — this package linked into the user directory, so that
 * its nodes are loaded. No benchmark nodes (they import code of this package).
 * Sends `{ startupMs, rss, heapUsed, loaded }` to the parent over IPC and exits.
 */
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as wait } from "node:timers/promises";
import type NodeRed from "node-red";
import { REPO, linkPackage } from "../scripts/support";

export interface FootprintSample {
  /** From before `require("node-red")` until the (empty) flows have started, in ms. */
  startupMs: number;
  /** After a forced GC, once idle. */
  rss: number;
  heapUsed: number;
  /** Whether the flatpeak-event type is registered (it must be exactly when the package is linked). */
  loaded: boolean;
}

async function main(withPackage: boolean): Promise<FootprintSample> {
  const userDir = mkdtempSync(join(tmpdir(), "flatpeak-footprint-"));
  process.once("exit", () => rmSync(userDir, { recursive: true, force: true }));
  if (withPackage) linkPackage(REPO, userDir);
  const began = performance.now();
  // Required here, not imported, so that loading Node-RED itself counts in the start-up time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require("node-red") as typeof NodeRed;
  RED.init(http.createServer(), {
    uiPort: 0,
    uiHost: "127.0.0.1",
    userDir,
    flowFile: "flows.json",
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    // "error": the start-up warnings (projects disabled, unencrypted credentials) would repeat for every sample.
    logging: { console: { level: "error", metrics: false, audit: false } },
  });
  const started = new Promise<void>((resolve) => RED.events.once("flows:started", () => resolve()));
  await RED.start();
  await started;
  const startupMs = performance.now() - began;
  const registry = RED.nodes as unknown as { getType(type: string): unknown };
  const loaded = typeof registry.getType("flatpeak-event") === "function";
  // Idle: let start-up timers settle, then collect garbage until the heap stops shrinking.
  await wait(500);
  let heap = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    globalThis.gc?.();
    await wait(20);
    const now = process.memoryUsage().heapUsed;
    if (now >= heap) break;
    heap = now;
  }
  const { rss, heapUsed } = process.memoryUsage();
  await RED.stop();
  return { startupMs, rss, heapUsed, loaded };
}

main(process.argv[2] === "with").then(
  (sample) => process.send?.(sample, () => process.exit(0)),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
