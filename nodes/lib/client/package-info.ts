import { readFileSync } from "node:fs";
import { join } from "node:path";

/** `node-red-contrib-flatpeak/<version>`, sent as User-Agent so Flatpeak can tell integrations apart. */
export const USER_AGENT = `node-red-contrib-flatpeak/${readVersion()}`;

function readVersion(): string {
  try {
    // Compiled code sits in dist/nodes/lib/client/; package.json is at the package root.
    const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "..", "package.json"), "utf8")) as { version?: unknown };
    return typeof manifest.version === "string" ? manifest.version : "unknown";
  } catch {
    return "unknown";
  }
}
