/**
 * Prepares the demo's Node-RED user directory (`.demo/`): a link to this
 * package, settings.js, and a fresh flow with its credentials on every start.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOOPBACK, linkInstalledPackage, linkPackage, settingsModule } from "../scripts/support";
import type { DemoFlow } from "./flow";

export interface UserDirOptions {
  root: string;
  userDir: string;
  uiPort: number;
  flow: DemoFlow;
}

/**
 * Where Node-RED serves `http in` routes (Node-RED's default, written out so
 * the demo can tell the simulator where to deliver webhooks).
 */
export const HTTP_NODE_ROOT = "/";

export const DASHBOARD_PACKAGE = "@flowfuse/node-red-dashboard";

/** Runtime state from an earlier run: flows, their backups, and the `.config.*.json` registry/user/runtime files. */
const STALE_FILE = /^(\.?flows(_cred)?\.json(\.backup)?|\.config\..+\.json(\.backup)?)$/;

export function prepareUserDir(options: UserDirOptions): void {
  mkdirSync(options.userDir, { recursive: true });
  removeStaleFiles(options.userDir);
  linkPackage(options.root, options.userDir);
  // The prices-and-plan page of the demo is a FlowFuse Dashboard 2 page (a dev dependency, never a runtime one).
  linkInstalledPackage(options.root, options.userDir, DASHBOARD_PACKAGE);
  writeFileSync(join(options.userDir, "settings.js"), settingsFile(options.uiPort));
  writeJson(join(options.userDir, "flows.json"), options.flow.nodes);
  // Plain JSON, readable because settings.js sets credentialSecret: false (demo credentials only).
  writeJson(join(options.userDir, "flows_cred.json"), options.flow.credentials);
}

function removeStaleFiles(userDir: string): void {
  for (const name of readdirSync(userDir)) {
    if (STALE_FILE.test(name)) rmSync(join(userDir, name), { force: true });
  }
}

function settingsFile(uiPort: number): string {
  const settings = {
    uiPort,
    // The demo has no admin login: keep the editor on this machine.
    uiHost: LOOPBACK,
    httpNodeRoot: HTTP_NODE_ROOT,
    flowFile: "flows.json",
    flowFilePretty: true,
    // Lets the demo write its credentials as plain JSON; never do this with real keys.
    credentialSecret: false,
    // No contextStorage: the watch cursor and the webhook's recent IDs stay in memory. The simulator starts
    // afresh on every run too, so a cursor kept on disk would point at an event that no longer exists.
    logging: { console: { level: "info", metrics: false, audit: false } },
    // No update-check consent prompt and no tours over the demo.
    telemetry: { enabled: false },
    editorTheme: { tours: false },
  };
  return settingsModule(settings, "Written by `npm start` (demo/user-dir.ts) on every run: changes here are lost.");
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
