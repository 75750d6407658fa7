/**
 * Node-RED looks for a node's editor html, `locales/` and `icons/` next to the
 * node's .js file, and tsc copies none of them. Run after tsc.
 */
import { cpSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(__dirname, "..", "..");
const target = join(root, "dist", "nodes");

for (const file of readdirSync(join(root, "nodes"))) {
  if (file.endsWith(".html")) cpSync(join(root, "nodes", file), join(target, file));
}
for (const folder of ["locales", "icons"]) {
  cpSync(join(root, folder), join(target, folder), { recursive: true });
}
