/**
 * One Node-RED embedded in the benchmark process, as a user runs it: our
 * package installed in the user directory (a link to this repository, as the
 * demo does), the core nodes, and the benchmark's sink node. No editor and
 * no HTTP endpoints: nothing but the flows runs in it.
 */
import http from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Node } from "node-red";
import RED from "node-red";
import { REPO, linkPackage } from "../scripts/support";

export interface NodeRedHost {
  /** Deploys `flow` (credentials inside the nodes, as the editor sends them) and resolves once it has started. */
  deploy(flow: object[]): Promise<void>;
  node(id: string): Node;
  stop(): Promise<void>;
}

export async function startNodeRed(globalContext: Record<string, unknown>): Promise<NodeRedHost> {
  const userDir = mkdtempSync(join(tmpdir(), "flatpeak-bench-"));
  // Also when the benchmark ends early (an error, Ctrl-C).
  process.once("exit", () => rmSync(userDir, { recursive: true, force: true }));
  linkPackage(REPO, userDir);
  const nodesDir = writeBenchNodes(userDir);
  RED.init(http.createServer(), {
    // Required by the settings type; nothing listens (no editor, no HTTP nodes).
    uiPort: 0,
    uiHost: "127.0.0.1",
    userDir,
    nodesDir,
    flowFile: "flows.json",
    // Temporary directory, simulator credentials only.
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    functionGlobalContext: globalContext,
    logging: { console: { level: "warn", metrics: false, audit: false } },
  });
  // RED.start resolves before the (empty) saved flows are loaded; that load resets the credential
  // store, so a deploy made before it would lose its credentials.
  const initialFlows = nextFlowsStarted();
  await RED.start();
  await initialFlows;
  return {
    deploy: async (flow) => {
      // setFlows resolves before the new flows have started.
      const started = nextFlowsStarted();
      await RED.runtime.flows.setFlows({ flows: { flows: flow, credentials: {} } });
      await started;
    },
    node: (id) => {
      // RED.nodes is the runtime's node registry; its typings leave getNode out.
      const node = (RED.nodes as unknown as { getNode(id: string): Node | null }).getNode(id);
      if (!node) throw new Error(`node ${id} is not deployed`);
      return node;
    },
    stop: async () => {
      await RED.stop();
    },
  };
}

function nextFlowsStarted(): Promise<void> {
  return new Promise((resolve) => RED.events.once("flows:started", () => resolve()));
}

/** A nodesDir file that loads the compiled bench-nodes module (Node-RED wants an .html beside it). */
function writeBenchNodes(userDir: string): string {
  const dir = join(userDir, "bench-nodes");
  mkdirSync(dir);
  const nodesModule = JSON.stringify(join(__dirname, "bench-nodes.js"));
  writeFileSync(join(dir, "bench-nodes.js"), `module.exports = require(${nodesModule}).register;\n`);
  writeFileSync(join(dir, "bench-nodes.html"), "<!-- benchmark nodes: no editor -->\n");
  return dir;
}
