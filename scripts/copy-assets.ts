/**
 * Node-RED looks for a node's editor html, `locales/` and `icons/` next to the
 * node's .js file, and tsc copies none of them. Run after tsc.
 */
import { cpSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./support";

const target = join(REPO, "dist", "nodes");

for (const file of readdirSync(join(REPO, "nodes"))) {
  if (file.endsWith(".html")) cpSync(join(REPO, "nodes", file), join(target, file));
}
for (const folder of ["locales", "icons"]) {
  cpSync(join(REPO, folder), join(target, folder), { recursive: true });
}
