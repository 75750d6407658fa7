/**
 * Packaging smoke test: packs the package with `npm pack`, installs the
 * tarball into a fresh Node-RED user directory (production dependencies only,
 * no TypeScript), starts a real Node-RED on it and checks what only a real
 * install shows: the editor html, help, message catalogs and icons are found
 * beside the compiled .js (each node type's own icons/<type>.svg), every node
 * set loads (CommonJS/`default` handling, runtime dependencies present), the
 * examples are listed (06–08 with the price and plan nodes), credentials are
 * registered at run time and survive a deploy, and a deployed flow fetches
 * events from the simulator.
 * Then the event sources as a user runs them: flatpeak watch with its cursor in
 * a localfilesystem store across a real Node-RED restart (the events made while
 * it was down sent once, oldest first), and flatpeak webhook behind a real
 * `http in` node (Node-RED 4.1+: verified, redelivery dropped, bad signature and
 * stale timestamp refused; older Node-RED: the "body already parsed" answer).
 * Prices and plans: flatpeak price (busbar POST /prices at deploy) → flatpeak
 * plan, every output seen through debug nodes that write one JSON line each to
 * Node-RED's console; and a plan node with a one-off msg.job in the
 * localfilesystem store across the same restart: its state in
 * context/<tab>/<node>.json, then, with no input, the state for now, the same
 * plan and the same status again (any Node-RED: the job comes through an http
 * in node with a parsed JSON body). The version matrix runs this on Node-RED
 * 3.1 and 5 as well.
 *
 * Run with `npm run test:package` (builds first). Env: see check-common.ts
 * (CHECK_NODE_BINARY, CHECK_NODE_RED_DIR, KEEP_CHECK_DIRS).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, posix } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { PlanPayload } from "../nodes/lib/plan/summary";
import { SAMPLES } from "../simulator/sample-events";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, SIMULATOR_LOCATIONS, startSimulator, type Simulator } from "../simulator/server";
import {
  MANIFEST,
  PKG,
  expect,
  fail,
  hasSecret,
  installIntoUserDir,
  listFiles,
  makeTempDir,
  note,
  ok,
  onCleanUp,
  packTarball,
  parseJson,
  readCatalog,
  request,
  run,
  runCheck,
  section,
  startNodeRed,
  tail,
  warn,
  type NodeRed,
} from "./check-common";
import { REPO, isRecord, sleep, valueAt } from "./support";

const TYPES = ["flatpeak-config", "flatpeak-event", "flatpeak-watch", "flatpeak-webhook", "flatpeak-price", "flatpeak-plan"];
/** The node types with a palette entry, each with its own icon `icons/<type>.svg`. */
const FLOW_TYPES = TYPES.filter((type) => type !== "flatpeak-config");

// ---------------------------------------------------------------------------
// 1. The tarball.

async function checkTarballContents(tarball: string): Promise<void> {
  const listing = (await run("tar", ["-tzf", tarball], REPO)).split("\n").filter(Boolean);
  const entries = new Set(listing.filter((entry) => !entry.endsWith("/")));
  const size = statSync(tarball).size;
  ok(`tarball ${(size / 1024).toFixed(1)} KiB, ${entries.size} files`);

  const required: string[] = ["package/package.json"];
  for (const [set, file] of Object.entries(MANIFEST["node-red"].nodes)) {
    const js = posix.normalize(file);
    const folder = posix.dirname(js);
    const base = posix.basename(js, ".js");
    expect(base === set, `node set ${set} points to ${file}: its catalog namespace would not match the file name`);
    required.push(`package/${js}`, `package/${folder}/${base}.html`, `package/${folder}/locales/en-US/${base}.json`);
    // Every locale and icon in the repo must sit beside this .js, where the runtime looks.
    for (const locale of listFiles(join(REPO, "locales"))) required.push(`package/${folder}/locales/${locale}`);
    for (const icon of listFiles(join(REPO, "icons"))) required.push(`package/${folder}/icons/${icon}`);
    for (const icon of iconsUsedBy(join(REPO, "nodes", `${base}.html`))) {
      if (existsSync(join(REPO, "icons", icon))) required.push(`package/${folder}/icons/${icon}`);
      else warn(`${base}.html uses icon ${icon}, which is not in icons/ (a core icon?)`);
    }
  }
  for (const doc of ["README.md", "LICENSE"]) {
    if (existsSync(join(REPO, doc))) required.push(`package/${doc}`);
    else warn(`${doc} does not exist in the repository yet, so it is not checked in the tarball`);
  }
  const examples = exampleFiles();
  for (const example of examples) required.push(`package/examples/${example}`);

  const missing = [...new Set(required)].filter((entry) => !entries.has(entry));
  expect(missing.length === 0, `tarball lacks:\n    ${missing.join("\n    ")}`);
  ok(`tarball has the ${new Set(required).size} required files (node js/html, locales, icons${examples.length ? ", examples" : ""}, docs)`);

  const forbidden = [...entries].filter(isForbiddenInTarball);
  expect(forbidden.length === 0, `tarball contains files that must not be published:\n    ${forbidden.join("\n    ")}`);
  ok("tarball has no TypeScript sources, tests, simulator, demo, scripts, bench or node_modules");
}

function isForbiddenInTarball(entry: string): boolean {
  if (/\.(ts|mts|cts)$/.test(entry) && !/\.d\.(ts|mts|cts)$/.test(entry)) return true;
  if (entry.endsWith(".tgz") || entry.endsWith(".tsbuildinfo")) return true;
  if (entry.split("/").includes("node_modules")) return true;
  // `nodes/` at the root holds the TypeScript sources; the compiled nodes are in dist/nodes/.
  if (entry.startsWith("package/nodes/")) return true;
  const forbiddenFolders = ["test", "simulator", "demo", "scripts", "bench", ".ci", "coverage", ".demo", ".nyc_output"];
  return forbiddenFolders.some((folder) => entry.startsWith(`package/${folder}/`) || entry.startsWith(`package/dist/${folder}/`));
}

function exampleFiles(): string[] {
  return listFiles(join(REPO, "examples")).filter((file) => file.endsWith(".json"));
}

/** `icon: "x.svg"` literals in a node's editor html (font-awesome and core-prefixed icons excluded). */
function iconsUsedBy(htmlFile: string): string[] {
  const html = existsSync(htmlFile) ? readFileSync(htmlFile, "utf8") : "";
  return [...html.matchAll(/\bicon\s*:\s*["']([^"']+)["']/g)]
    .map((match) => match[1])
    .filter((icon) => !icon.includes("/"));
}

// ---------------------------------------------------------------------------
// 2. Install into a fresh user directory.

function checkInstalledModules(userDir: string): void {
  const modules = join(userDir, "node_modules");
  expect(!existsSync(join(modules, "typescript")), "typescript was installed with --omit=dev: it must be a devDependency");
  expect(!existsSync(join(modules, "node-red")), "node-red was installed with --omit=dev: it must be a devDependency");
  expect(existsSync(join(modules, "axios", "package.json")), "axios is not installed: it must be in dependencies");
  ok("node_modules has axios and no typescript or node-red");
}

function checkRequiresAreDeclared(installed: string): void {
  const declared = new Set(Object.keys(MANIFEST.dependencies ?? {}));
  const builtins = new Set(builtinModules);
  const problems: string[] = [];
  for (const file of listFiles(installed).filter((f) => f.endsWith(".js") && !f.startsWith("node_modules/"))) {
    const code = readFileSync(join(installed, file), "utf8");
    for (const match of code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)|\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
      const spec = match[1] ?? match[2];
      if (spec.startsWith(".") || spec.startsWith("/")) continue;
      const bare = spec.replace(/^node:/, "");
      const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
      if (spec.startsWith("node:") || builtins.has(bare) || builtins.has(bare.split("/")[0])) continue;
      if (!declared.has(name)) problems.push(`${file} requires "${spec}", which is not in dependencies`);
    }
  }
  expect(problems.length === 0, problems.join("\n    "));
  ok(`every require() in the shipped code is a Node built-in or one of: ${[...declared].join(", ") || "(none)"}`);
}

// ---------------------------------------------------------------------------
// 5. Checks against the running Node-RED.

async function checkNodeSets(red: NodeRed): Promise<void> {
  section("5. Node-RED admin API");
  const answer = await request(`${red.url}/nodes`, { headers: { Accept: "application/json" } });
  expect(answer.status === 200, `GET /nodes (json) answered HTTP ${answer.status}`);
  const sets = parseJson(answer, "GET /nodes") as Array<Record<string, unknown>>;
  expect(Array.isArray(sets), "GET /nodes (json) did not answer an array");
  const ours = sets.filter((set) => set.module === PKG);
  expect(ours.length > 0, `GET /nodes lists no node set of module ${PKG}: the package was not loaded\n${tail(red.output())}`);
  for (const set of ours) {
    expect(set.err === undefined, `node set ${String(set.id)} failed to load: ${String(set.err)}`);
    expect(set.enabled === true, `node set ${String(set.id)} is not enabled`);
    expect(set.loaded === undefined || set.loaded === true, `node set ${String(set.id)} is not loaded`);
  }
  for (const type of TYPES) {
    const set = ours.find((s) => Array.isArray(s.types) && s.types.includes(type));
    expect(set, `type ${type} is in no node set of ${PKG} (sets: ${ours.map((s) => `${String(s.id)}=${JSON.stringify(s.types)}`).join(", ")})`);
  }
  ok(`GET /nodes: ${ours.map((s) => `${String(s.id)} ${JSON.stringify(s.types)}`).join(", ")}; enabled, no err`);

  const info = await request(`${red.url}/nodes/${PKG}`, { headers: { Accept: "application/json" } });
  const module = parseJson(info, `GET /nodes/${PKG}`) as Record<string, unknown>;
  expect(module.version === MANIFEST.version, `GET /nodes/${PKG} reports version ${String(module.version)}, expected ${MANIFEST.version}`);
  ok(`GET /nodes/${PKG}: version ${String(module.version)}${module.user === true ? ", from the user directory" : ""}`);
}

async function checkEditorHtml(red: NodeRed): Promise<void> {
  for (const language of ["en-US", "de-DE"]) {
    const answer = await request(`${red.url}/nodes`, { headers: { Accept: "text/html", "Accept-Language": language } });
    expect(answer.status === 200, `GET /nodes (html, ${language}) answered HTTP ${answer.status}`);
    const html = answer.text;
    for (const type of TYPES) {
      expect(new RegExp(`registerType\\(\\s*["']${type}["']`).test(html), `GET /nodes (html) has no editor registerType for ${type}: ${type}.html is not beside the .js`);
      expect(html.includes(`data-template-name="${type}"`), `GET /nodes (html) has no edit template for ${type}`);
      expect(html.includes(`data-help-name="${type}"`), `GET /nodes (html, ${language}) has no help for ${type}: locales/en-US/${type}.html is not found beside the .js`);
    }
    ok(`GET /nodes (html, Accept-Language ${language}): registerType, edit template and help for every type`);
  }
}

async function checkCatalogs(red: NodeRed): Promise<void> {
  const all = await request(`${red.url}/nodes/messages?lng=en-US`, { headers: { Accept: "application/json" } });
  expect(all.status === 200, `GET /nodes/messages answered HTTP ${all.status}`);
  const catalogs = parseJson(all, "GET /nodes/messages") as Record<string, unknown>;
  const expectations: Record<string, string[]> = {
    "flatpeak-event": ["flatpeak-event.outputs.battery", "flatpeak-event.outputs.event", "flatpeak-event.errors.invalidInput", "flatpeak-event.label.server"],
    "flatpeak-config": ["flatpeak-config.label.apiKey", "flatpeak-config.errors.notFound", "flatpeak-config.validation.baseUrl"],
    "flatpeak-watch": ["flatpeak-watch.label.interval", "flatpeak-watch.status.polled"],
    "flatpeak-webhook": ["flatpeak-webhook.label.tolerance", "flatpeak-webhook.errors.badSignature"],
    "flatpeak-price": ["flatpeak-price.label.location", "flatpeak-price.label.list", "flatpeak-price.status.price", "flatpeak-price.errors.invalidMsgLocation"],
    "flatpeak-plan": ["flatpeak-plan.label.minutes", "flatpeak-plan.label.chart", "flatpeak-plan.status.offNext", "flatpeak-plan.chart.plan", "flatpeak-plan.problems.jobImpossible"],
  };
  for (const [set, keys] of Object.entries(expectations)) {
    const namespace = `${PKG}/${set}`;
    const fromAll = catalogs[namespace];
    expect(isRecord(fromAll) && Object.keys(fromAll).length > 0, `GET /nodes/messages has no or an empty catalog ${namespace} (keys: ${Object.keys(catalogs).filter((k) => k.includes("flatpeak")).join(", ") || "none"}): locales/ is not beside the .js`);
    const one = await request(`${red.url}/nodes/${namespace}/messages?lng=en-US`, { headers: { Accept: "application/json" } });
    expect(one.status === 200, `GET /nodes/${namespace}/messages answered HTTP ${one.status}`);
    const catalog = parseJson(one, `GET /nodes/${namespace}/messages`);
    expect(isDeepStrictEqual(catalog, fromAll), `GET /nodes/${namespace}/messages differs from its entry in GET /nodes/messages`);
    for (const key of keys) {
      const value = valueAt(catalog, key);
      expect(typeof value === "string" && value.length > 0, `catalog ${namespace} has no text for ${key}`);
    }
    ok(`catalog ${namespace}: ${keys.join(", ")}`);
  }
}

async function checkIcon(red: NodeRed): Promise<void> {
  for (const icon of listFiles(join(REPO, "icons"))) {
    const answer = await request(`${red.url}/icons/${PKG}/${icon}`);
    const expected = readFileSync(join(REPO, "icons", icon));
    expect(answer.status === 200, `GET /icons/${PKG}/${icon} answered HTTP ${answer.status}`);
    expect(answer.body.equals(expected), `GET /icons/${PKG}/${icon} is not our file (${answer.body.length} bytes, expected ${expected.length}): icons/ is not beside the .js and a core icon is served instead`);
    ok(`GET /icons/${PKG}/${icon}: our ${expected.length} bytes`);
  }
  // Each node's palette icon is its own, named after its type, and the editor html asks for that one.
  const html = (await request(`${red.url}/nodes`, { headers: { Accept: "text/html" } })).text;
  for (const type of FLOW_TYPES) {
    expect(existsSync(join(REPO, "icons", `${type}.svg`)), `icons/${type}.svg does not exist: ${type} has no icon of its own`);
    const definition = html.slice(html.search(new RegExp(`registerType\\(\\s*["']${type}["']`)));
    const icon = /\bicon\s*:\s*["']([^"']+)["']/.exec(definition)?.[1];
    expect(icon === `${type}.svg`, `the editor registers ${type} with the icon ${String(icon)}, expected ${type}.svg`);
  }
  ok(`each node type registers its own served icon: ${FLOW_TYPES.map((type) => `icons/${type}.svg`).join(", ")}`);
}

async function checkExamples(red: NodeRed): Promise<void> {
  const examples = exampleFiles();
  if (examples.length === 0) {
    note("examples: the repository has no examples/*.json yet");
    return;
  }
  const usedTypes = new Set<string>();
  for (const example of examples) {
    // Listed where the editor's Import ▸ Examples menu looks: the folder's entries include { fn: <name> }.
    const parts = example.replace(/\.json$/, "").split("/");
    const name = parts.pop() as string;
    const folder = [PKG, ...parts].map(encodeURIComponent).join("/");
    const listing = await request(`${red.url}/library/examples/flows/${folder}`, { headers: { Accept: "application/json" } });
    expect(listing.status === 200, `GET /library/examples/flows/${folder} answered HTTP ${listing.status}: Node-RED found no examples/`);
    const entries = parseJson(listing, "examples listing");
    const listed = Array.isArray(entries) && entries.some((entry) => isRecord(entry) && entry.fn === name);
    expect(listed, `Node-RED does not list example ${example} (listing: ${listing.text})`);

    const flow = await request(`${red.url}/library/examples/flows/${folder}/${encodeURIComponent(name)}`);
    expect(flow.status === 200, `GET example ${example} answered HTTP ${flow.status}`);
    const nodes = parseJson(flow, `example ${example}`);
    expect(Array.isArray(nodes), `example ${example} is not a JSON array of nodes`);
    for (const node of nodes as unknown[]) {
      if (!isRecord(node)) continue;
      if (typeof node.type === "string") usedTypes.add(node.type);
      const creds = isRecord(node.credentials) ? node.credentials : {};
      for (const key of ["apiKey", "bearerToken"]) {
        const value = creds[key];
        expect(value === undefined || value === "" || (typeof value === "string" && /^\$\{[^}]+\}$/.test(value)), `example ${example} carries credentials.${key}: examples must ship without secrets`);
      }
    }
    expect(!hasSecret(flow.text), `example ${example} contains the API key or a bearer token`);
  }
  ok(`examples listed and readable through the library API: ${examples.join(", ")}`);
  if (!usedTypes.has("flatpeak-event")) warn("no example uses flatpeak-event (the Flow Library scorecard check N02 will fail)");
  await checkPriceAndPlanExamples(red, examples);
}

/** The examples of the price and plan nodes (README, "Examples"): listed, and using the nodes they are about. */
const PRICE_PLAN_EXAMPLES: Array<[string, string[]]> = [
  ["06 ", ["flatpeak-price"]],
  ["07 ", ["flatpeak-price", "flatpeak-plan"]],
  ["08 ", ["flatpeak-price", "flatpeak-plan"]],
];

async function checkPriceAndPlanExamples(red: NodeRed, examples: string[]): Promise<void> {
  const folder = encodeURIComponent(PKG);
  const listing = parseJson(await request(`${red.url}/library/examples/flows/${folder}`, { headers: { Accept: "application/json" } }), "examples listing");
  const listed = (Array.isArray(listing) ? listing : []).filter(isRecord).map((entry) => String(entry.fn));
  const found: string[] = [];
  for (const [prefix, types] of PRICE_PLAN_EXAMPLES) {
    const name = listed.find((fn) => fn.startsWith(prefix));
    expect(name !== undefined, `Node-RED lists no example starting with "${prefix}" (lists ${JSON.stringify(listed)}; examples/ holds ${JSON.stringify(examples)})`);
    const flow = await request(`${red.url}/library/examples/flows/${folder}/${encodeURIComponent(name)}`);
    const nodes = (parseJson(flow, `example ${name}`) as unknown[]).filter(isRecord);
    const missing = types.filter((type) => !nodes.some((node) => node.type === type));
    expect(missing.length === 0, `example "${name}" has no ${missing.join(" or ")} node`);
    if (types.includes("flatpeak-plan")) {
      // flatpeak price's prices output (1) feeds flatpeak plan, as the README describes.
      const plans = new Set(nodes.filter((node) => node.type === "flatpeak-plan").map((node) => node.id));
      const wired = nodes.some((node) => node.type === "flatpeak-price" && Array.isArray(node.wires) && Array.isArray(node.wires[0]) && (node.wires[0] as unknown[]).some((id) => plans.has(id)));
      expect(wired, `example "${name}" does not wire flatpeak price's output 1 to flatpeak plan`);
    }
    found.push(`"${name}" (${types.join(" → ")})`);
  }
  ok(`price and plan examples listed: ${found.join(", ")}`);
}

// Deploy and run a flow.

const CONFIG_ID = "fpcheckconfig";

const FLOW_TAB = "fpchecktab";

function buildFlow(simulatorUrl: string): unknown[] {
  const z = FLOW_TAB;
  const nodes: Array<Record<string, unknown>> = [
    { id: z, type: "tab", label: "package check" },
    {
      id: CONFIG_ID,
      type: "flatpeak-config",
      name: "simulator",
      baseUrl: simulatorUrl,
      apiVersion: "",
      timeout: 10,
      credentials: { accountId: SIMULATOR_ACCOUNT_ID, apiKey: SIMULATOR_API_KEY },
    },
    // GET /fp-check?id=… → event node (4 outputs); the whole event answers the request.
    { id: "in-check", z, type: "http in", url: "/fp-check", method: "get", upload: false, swaggerDoc: "", wires: [["id-check"]] },
    idFromQuery("id-check", z, "event-check"),
    {
      id: "event-check", z, type: "flatpeak-event", name: "fp-check event", server: CONFIG_ID,
      property: "payload", propertyType: "msg", eventOutput: true, outputs: 4,
      wires: [[], [], [], ["response-check"]],
    },
    response("response-check", z),
    // GET /fp-battery?id=… → event node (3 outputs); output 1 answers the request.
    { id: "in-battery", z, type: "http in", url: "/fp-battery", method: "get", upload: false, swaggerDoc: "", wires: [["id-battery"]] },
    idFromQuery("id-battery", z, "event-battery"),
    {
      id: "event-battery", z, type: "flatpeak-event", name: "fp-battery event", server: CONFIG_ID,
      property: "payload", propertyType: "msg", eventOutput: false, outputs: 3,
      wires: [["response-battery"], [], []],
    },
    response("response-battery", z),
    // Errors from either event node answer with msg.statusCode (or 500) and msg.error.
    { id: "catch-errors", z, type: "catch", name: "", scope: ["event-check", "event-battery"], uncaught: false, wires: [["error-status"]] },
    {
      id: "error-status", z, type: "change", name: "",
      rules: [
        { t: "set", p: "statusCode", pt: "msg", to: "$exists(statusCode) ? statusCode : 500", tot: "jsonata" },
        { t: "set", p: "payload", pt: "msg", to: "error", tot: "msg" },
      ],
      wires: [["response-error"]],
    },
    response("response-error", z),
    ...eventSourceNodes(z),
    ...pricePlanNodes(z),
  ];
  // The runtime treats a node on a tab without x/y as a config node, so place every flow node.
  return nodes.map((node, index) => (node.z ? { x: 150 + 200 * (index % 4), y: 60 + 60 * Math.floor(index / 4), ...node } : node));
}

/** The context store the watch node keeps its cursor in: a file, so that it outlives a restart. */
const WATCH_STORE = "file";
const HOOK_PATH = "/fp-hook";

/**
 * The two source paths, each feeding a flatpeak event node whose battery output a
 * debug node writes to Node-RED's console (how the check sees what arrived):
 * GET /fp-watch-poll → flatpeak watch (5 s) → event → debug "watch-seen";
 * POST /fp-hook (http in, body not parsed) → flatpeak webhook → event → debug "webhook-seen".
 */
function eventSourceNodes(z: string): Array<Record<string, unknown>> {
  const seen = (id: string) => ({
    id, z, type: "debug", name: id, active: true, tosidebar: false, console: true, tostatus: false,
    complete: "flatpeak.event.id", targetType: "msg", wires: [],
  });
  const eventNode = (id: string, debug: string) => ({
    id, z, type: "flatpeak-event", name: id, server: CONFIG_ID, property: "payload", propertyType: "msg",
    eventOutput: false, outputs: 3, wires: [[debug], [], []],
  });
  return [
    { id: "in-watch-poll", z, type: "http in", url: "/fp-watch-poll", method: "get", upload: false, swaggerDoc: "", wires: [["watch-check", "response-watch-poll"]] },
    response("response-watch-poll", z),
    { id: "watch-check", z, type: "flatpeak-watch", name: "fp-check watch", server: CONFIG_ID, interval: 5, eventTypes: "", replay: 0, store: WATCH_STORE, wires: [["event-watch"]] },
    eventNode("event-watch", "watch-seen"),
    seen("watch-seen"),
    // skipBodyParsing is the http in option of Node-RED 4.1+; older versions ignore it and parse the body.
    { id: "in-hook", z, type: "http in", url: HOOK_PATH, method: "post", upload: false, skipBodyParsing: true, swaggerDoc: "", wires: [["webhook-check"]] },
    { id: "webhook-check", z, type: "flatpeak-webhook", name: "fp-check webhook", server: CONFIG_ID, tolerance: 300, allowUnsigned: false, store: "", wires: [["event-webhook"]] },
    eventNode("event-webhook", "webhook-seen"),
    seen("webhook-seen"),
    // Refused deliveries are caught, as a user's flow would: they are answered, not logged as errors.
    { id: "catch-webhook", z, type: "catch", name: "", scope: ["webhook-check"], uncaught: false, wires: [["webhook-refused"]] },
    { id: "webhook-refused", z, type: "debug", name: "webhook-refused", active: true, tosidebar: false, console: true, tostatus: false, complete: "error.code", targetType: "msg", wires: [] },
  ];
}

// The price and plan nodes.

/** flatpeak price → flatpeak plan, deployed: the simulator's home location (import and export, Europe/London, GBP). */
const PRICE_LOCATION = SIMULATOR_LOCATIONS.home;
/** The location the restart path fetches: another one, so that its requests tell it apart from the refreshing node's. */
const KEPT_LOCATION = SIMULATOR_LOCATIONS.flat;
const PRICE_ZONE = "Europe/London";
const PLAN_MINUTES = 60;
const PLAN_JOB_PATH = "/fp-plan-job";
/** The node whose plan must outlive a restart of Node-RED, and the context store it keeps the plan in. */
const KEPT_PLAN_ID = "plan-kept";
const PLAN_STORE = "file";
const PLAN_STATE_KEY = "flatpeak-plan-state";
const PLAN_TEXT = readCatalog("flatpeak-plan");

/** The hour `hours` after the present one, `HH:00` on the clocks of `zone`. */
function wallHourFromNow(hours: number, zone: string): string {
  const hour = Number(new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", hourCycle: "h23" }).format(Date.now()));
  return `${String((hour + hours) % 24).padStart(2, "0")}:00`;
}

/** `HH:MM` of an instant on the clocks of `zone` (how the plan node's status names times). */
function wallTime(iso: string, zone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(Date.parse(iso));
}

/**
 * A debug node that writes one line of JSON to Node-RED's console for each
 * message (`[debug:<id>] {...}`): how the check sees what a node sent. The
 * expression picks the properties that matter (a message from http in carries
 * req and res, which must not be serialised).
 */
function jsonSeen(id: string, z: string, expression = `$string({"topic": topic, "payload": payload})`): Record<string, unknown> {
  return { id, z, type: "debug", name: id, active: true, tosidebar: false, console: true, tostatus: false, complete: expression, targetType: "jsonata", wires: [] };
}

/**
 * Two paths:
 * - flatpeak price (home, refresh: fetches at deploy) → flatpeak plan (a daily
 *   window of 3 hours from the next hour on, default store); every output to a
 *   debug node (seen-prices, seen-price-now, seen-plan-switch, seen-plan,
 *   seen-plan-chart).
 * - POST /fp-plan-job (a one-off job as JSON) → msg.job → flatpeak price
 *   (flat, refresh off: fetches on input only, so nothing reaches the plan
 *   after a restart) → flatpeak plan "plan-kept" (store "file") → seen-kept-switch,
 *   seen-kept-plan; a status node on plan-kept → seen-kept-status.
 */
function pricePlanNodes(z: string): Array<Record<string, unknown>> {
  const plan = (id: string, settings: Record<string, unknown>, wires: string[][]): Record<string, unknown> => ({
    id, z, type: "flatpeak-plan", name: "", minutes: PLAN_MINUTES, from: "00:00", until: "00:00", contiguous: false, minRun: 0, goal: "lowest", store: "", ...settings, wires,
  });
  const price = (id: string, location: string, refresh: boolean, wires: string[][]): Record<string, unknown> => ({
    id, z, type: "flatpeak-price", name: id, server: CONFIG_ID, location, direction: "IMPORT", hours: 24, refresh, wires,
  });
  return [
    price("price-check", PRICE_LOCATION.id, true, [["plan-check", "seen-prices"], ["seen-price-now"]]),
    plan("plan-check", { from: wallHourFromNow(1, PRICE_ZONE), until: wallHourFromNow(4, PRICE_ZONE) }, [["seen-plan-switch"], ["seen-plan"], ["seen-plan-chart"]]),
    jsonSeen("seen-prices", z),
    jsonSeen("seen-price-now", z, `$string({"topic": topic, "payload": payload, "price": flatpeak.price})`),
    jsonSeen("seen-plan-switch", z),
    jsonSeen("seen-plan", z),
    jsonSeen("seen-plan-chart", z, `$string({"topic": topic, "series": $distinct(payload.series), "points": $count(payload), "status": flatpeak.status})`),

    { id: "in-plan-job", z, type: "http in", url: PLAN_JOB_PATH, method: "post", upload: false, swaggerDoc: "", wires: [["job-from-body", "response-plan-job"]] },
    response("response-plan-job", z),
    { id: "job-from-body", z, type: "change", name: "", rules: [{ t: "set", p: "job", pt: "msg", to: "payload", tot: "msg" }], wires: [["price-on-input"]] },
    price("price-on-input", KEPT_LOCATION.id, false, [[KEPT_PLAN_ID], []]),
    plan(KEPT_PLAN_ID, { store: PLAN_STORE }, [["seen-kept-switch"], ["seen-kept-plan"], []]),
    jsonSeen("seen-kept-switch", z),
    jsonSeen("seen-kept-plan", z),
    { id: "status-kept", z, type: "status", name: "", scope: [KEPT_PLAN_ID], wires: [["seen-kept-status"]] },
    jsonSeen("seen-kept-status", z, "status.text"),
  ];
}

function response(id: string, z: string): Record<string, unknown> {
  return { id, z, type: "http response", name: "", statusCode: "", headers: {}, wires: [] };
}

function idFromQuery(id: string, z: string, next: string): Record<string, unknown> {
  return {
    id, z, type: "change", name: "",
    rules: [{ t: "set", p: "payload", pt: "msg", to: "req.query.id", tot: "msg" }],
    wires: [[next]],
  };
}

async function deployFlow(red: NodeRed, sim: Simulator): Promise<void> {
  const startedBefore = countMatches(red.output(), /Started flows/g);
  const answer = await request(`${red.url}/flows`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Node-RED-Deployment-Type": "full" },
    body: JSON.stringify(buildFlow(sim.url)),
  });
  expect(answer.status >= 200 && answer.status < 300, `POST /flows answered HTTP ${answer.status}: ${answer.text}`);
  const started = Date.now();
  while (countMatches(red.output(), /Started flows/g) <= startedBefore) {
    if (/Waiting for missing types/.test(red.output())) fail(`Node-RED is waiting for missing types: a node type did not register\n${tail(red.output())}`);
    if (Date.now() - started > 20_000) fail(`the deployed flows did not start within 20 s\n${tail(red.output())}`);
    await sleep(100);
  }
  ok("deployed the test flow (POST /flows, full) and it started");
}

function countMatches(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

async function checkFlowRuns(red: NodeRed, sim: Simulator): Promise<void> {
  const full = SAMPLES.fullDevice.event;
  const check = await request(`${red.url}/fp-check?id=${encodeURIComponent(full.id)}`);
  expect(check.status === 200, `GET /fp-check?id=${full.id} answered HTTP ${check.status}: ${check.text.slice(0, 500)}`);
  expect(isDeepStrictEqual(parseJson(check, "/fp-check"), full), `GET /fp-check?id=${full.id} did not answer the whole event: ${check.text.slice(0, 500)}`);
  ok(`GET /fp-check?id=${full.id}: 200, output 4 is the whole event`);

  const battery = (full.data as { properties: { battery: unknown } }).properties.battery;
  const batteryAnswer = await request(`${red.url}/fp-battery?id=${encodeURIComponent(full.id)}`);
  expect(batteryAnswer.status === 200, `GET /fp-battery answered HTTP ${batteryAnswer.status}: ${batteryAnswer.text.slice(0, 500)}`);
  expect(isDeepStrictEqual(parseJson(batteryAnswer, "/fp-battery"), battery), `GET /fp-battery did not answer the battery section: ${batteryAnswer.text.slice(0, 500)}`);
  ok("GET /fp-battery: 200, output 1 is the battery section");
  expect(sim.stats.logins >= 1, "the simulator saw no login: the API key did not reach the runtime");
  ok(`the simulator saw ${sim.stats.logins} login(s) and ${sim.stats.eventRequests} event request(s)`);
}

async function checkFlowErrors(red: NodeRed, sim: Simulator): Promise<void> {
  const missingId = "evt_doesNotExist000";
  const missing = await request(`${red.url}/fp-check?id=${missingId}`);
  expect(missing.status === 404, `GET /fp-check?id=${missingId} answered HTTP ${missing.status}, expected 404 from the catch path: ${missing.text.slice(0, 500)}`);
  const missingError = parseJson(missing, "404 answer") as { message?: unknown };
  expect(typeof missingError.message === "string" && missingError.message.includes(missingId), `the 404 error does not name the event: ${missing.text.slice(0, 500)}`);
  const simSaw = sim.stats.requests.find((r) => r.path === `/events/${missingId}`);
  expect(simSaw?.status === 404, `the simulator did not answer 404 for /events/${missingId}`);
  ok(`GET /fp-check?id=${missingId}: 404 via Catch: "${String(missingError.message)}"`);

  const eventRequestsBefore = sim.stats.eventRequests;
  const requestsBefore = sim.stats.requests.length;
  const invalid = await request(`${red.url}/fp-check?id=not-an-id`);
  expect(invalid.status >= 400 && invalid.status < 600, `GET /fp-check?id=not-an-id answered HTTP ${invalid.status}, expected an error from the catch path`);
  const invalidError = parseJson(invalid, "invalid-input answer") as { message?: unknown };
  expect(typeof invalidError.message === "string" && invalidError.message.includes("not-an-id"), `the invalid-input error does not say what was received: ${invalid.text.slice(0, 500)}`);
  expect(sim.stats.eventRequests === eventRequestsBefore && sim.stats.requests.length === requestsBefore, "the simulator got a request for an invalid event ID");
  ok(`GET /fp-check?id=not-an-id: ${invalid.status} via Catch, no request made: "${String(invalidError.message)}"`);

  for (const answer of [missing, invalid]) {
    expect(!hasSecret(answer.text), `an error answer contains the API key or a bearer token: ${answer.text.slice(0, 500)}`);
  }
}

// 5c. The event sources: watch across a restart, webhook through a real http in node.

/** Event IDs the debug node `name` wrote to Node-RED's console, in order. */
function seenBy(output: string, name: string): string[] {
  return [...output.matchAll(new RegExp(`\\[debug:${name}\\] (evt_[A-Za-z0-9]+)`, "g"))].map((match) => match[1]);
}

async function waitUntil(what: string, condition: () => boolean, red: NodeRed, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) fail(`${what} did not happen within ${timeoutMs / 1000} s\n${tail(red.output())}`);
    await sleep(100);
  }
}

/** Asks the watch node to poll now (through its http in), and waits for that poll's list request. */
async function pollWatch(red: NodeRed, sim: Simulator): Promise<void> {
  const before = sim.stats.listRequests;
  const answer = await request(`${red.url}/fp-watch-poll`);
  expect(answer.status === 200, `GET /fp-watch-poll answered HTTP ${answer.status}`);
  await waitUntil("a poll of the events list", () => sim.stats.listRequests > before, red);
}

async function checkWatchBeforeRestart(red: NodeRed, sim: Simulator): Promise<string> {
  // The first poll starts at deploy: it only notes where the list stands.
  await waitUntil("the watch node's first poll", () => sim.stats.listRequests >= 1, red);
  const first = sim.createEvent();
  await pollWatch(red, sim);
  await waitUntil(`flatpeak watch sending ${first.id}`, () => seenBy(red.output(), "watch-seen").includes(first.id), red);
  const seen = seenBy(red.output(), "watch-seen");
  expect(isDeepStrictEqual(seen, [first.id]), `flatpeak watch sent ${JSON.stringify(seen)}; expected nothing at its first start, then ${first.id} once`);
  ok(`flatpeak watch: nothing at the first start, then the new event ${first.id} → flatpeak event → battery output`);
  return first.id;
}

/** The cursor is in the localfilesystem store once Node-RED has stopped (it writes the store on close). */
function checkCursorOnDisk(userDir: string, eventId: string): void {
  const files = listFiles(join(userDir, "context")).filter((file) => file.endsWith(".json"));
  const holding = files.filter((file) => readFileSync(join(userDir, "context", file), "utf8").includes(eventId));
  expect(holding.length === 1, `no file under ${userDir}/context holds the watch cursor ${eventId} (files: ${files.join(", ") || "none"})`);
  ok(`the watch cursor (${eventId}) is in the file store: context/${holding[0]}`);
}

async function checkWatchAfterRestart(red: NodeRed, sim: Simulator, whileDown: string[]): Promise<void> {
  await waitUntil(`flatpeak watch catching up on ${whileDown.length} events`, () => seenBy(red.output(), "watch-seen").length >= whileDown.length, red);
  // A later event proves nothing more came before it: a duplicate would have been sent first.
  const later = sim.createEvent();
  await pollWatch(red, sim);
  await waitUntil(`flatpeak watch sending ${later.id}`, () => seenBy(red.output(), "watch-seen").includes(later.id), red);
  const seen = seenBy(red.output(), "watch-seen");
  const expected = [...whileDown, later.id];
  expect(isDeepStrictEqual(seen, expected), `after the restart flatpeak watch sent ${JSON.stringify(seen)}; expected ${JSON.stringify(expected)} (the events made while Node-RED was down, oldest first, then the new one; none twice)`);
  ok(`after a Node-RED restart flatpeak watch resumed from its stored cursor: the ${whileDown.length} events made while it was down, oldest first, nothing sent twice`);
}

/** `skipBodyParsing` ("Do not parse request body") came with Node-RED 4.1. */
function hasRawBodyOption(version: string): boolean {
  const [major, minor] = version.split(".").map(Number);
  return major > 4 || (major === 4 && minor >= 1);
}

async function checkWebhook(red: NodeRed, sim: Simulator): Promise<void> {
  const url = `${red.url}${HOOK_PATH}`;
  if (!hasRawBodyOption(red.version)) return checkWebhookWithParsedBody(red, sim, url);
  const event = sim.createEvent();
  const delivered = await sim.deliver(event, { url });
  expect(delivered.status === 200 && delivered.body.includes('"received":true'), `a signed delivery to http in → flatpeak webhook answered ${delivered.status} ${delivered.body}`);
  await waitUntil(`flatpeak webhook sending ${event.id}`, () => seenBy(red.output(), "webhook-seen").includes(event.id), red);
  ok(`POST ${HOOK_PATH}: a signed delivery is verified, answered 200, and its event reaches flatpeak event's battery output`);

  const again = await sim.deliver(event, { url, redeliver: true });
  expect(again.status === 200, `a redelivery answered ${again.status} ${again.body}`);
  const refusals: Array<[string, { badSignature?: boolean; staleSeconds?: number }, string]> = [
    ["a tampered signature", { badSignature: true }, "FLATPEAK_WEBHOOK_SIGNATURE"],
    ["a stale timestamp", { staleSeconds: 3600 }, "FLATPEAK_WEBHOOK_TIMESTAMP"],
  ];
  for (const [what, fault, code] of refusals) {
    const refused = await sim.deliver(sim.createEvent(), { url, ...fault });
    expect(refused.status === 401 && refused.body.includes(code), `${what} was answered ${refused.status} ${refused.body}; expected 401 ${code}`);
  }
  // A last good delivery: anything sent twice or let through would have reached the debug node before it.
  const last = sim.createEvent();
  expect((await sim.deliver(last, { url })).status === 200, "the last signed delivery was not answered 200");
  await waitUntil(`flatpeak webhook sending ${last.id}`, () => seenBy(red.output(), "webhook-seen").includes(last.id), red);
  const seen = seenBy(red.output(), "webhook-seen");
  expect(isDeepStrictEqual(seen, [event.id, last.id]), `flatpeak webhook sent ${JSON.stringify(seen)}; expected ${event.id} once (not its redelivery), no refused one, then ${last.id}`);
  ok("redelivery answered 200 and not sent again; tampered signature and stale timestamp answered 401 with their codes and not sent");
}

/** Before Node-RED 4.1 the http in node always parses the body: the webhook must say so, not verify garbage. */
async function checkWebhookWithParsedBody(red: NodeRed, sim: Simulator, url: string): Promise<void> {
  const answer = await sim.deliver(sim.createEvent(), { url });
  expect(answer.status === 500 && answer.body.includes("FLATPEAK_WEBHOOK_BODY_PARSED"), `on Node-RED ${red.version} (no "Do not parse request body") a delivery was answered ${answer.status} ${answer.body}; expected 500 FLATPEAK_WEBHOOK_BODY_PARSED`);
  expect(seenBy(red.output(), "webhook-seen").length === 0, "flatpeak webhook sent an event it could not verify");
  ok(`Node-RED ${red.version} has no "Do not parse request body": the webhook answers 500 FLATPEAK_WEBHOOK_BODY_PARSED and sends nothing`);
}

// 5d. flatpeak price → flatpeak plan; a plan kept across a Node-RED restart.

/** The JSON values the debug node `name` wrote to Node-RED's console (see jsonSeen), in order. */
function jsonSeenBy(output: string, name: string): unknown[] {
  return [...output.matchAll(new RegExp(`\\[debug:${name}\\] (.*)$`, "gm"))].map((match) => {
    try {
      return JSON.parse(match[1]) as unknown;
    } catch {
      return match[1];
    }
  });
}

/** The status texts the debug node `name` wrote (a status node's `status.text`), in order. */
function textSeenBy(output: string, name: string): string[] {
  return [...output.matchAll(new RegExp(`\\[debug:${name}\\] (.*)$`, "gm"))].map((match) => match[1]);
}

interface Seen {
  topic?: unknown;
  payload?: unknown;
  price?: unknown;
}

/** What the plan node sends on output 2 (its own type: the check reads the JSON the node logged). */
type PlanSeen = PlanPayload;

function seenMessages(output: string, name: string): Seen[] {
  return jsonSeenBy(output, name).filter(isRecord);
}

function plansSeen(output: string, name: string): PlanSeen[] {
  return seenMessages(output, name).map((msg) => msg.payload).filter(isRecord) as unknown as PlanSeen[];
}

async function waitForValue<T>(what: string, read: () => T | undefined, red: NodeRed, timeoutMs = 30_000): Promise<T> {
  let value: T | undefined;
  await waitUntil(what, () => (value = read()) !== undefined, red, timeoutMs);
  return value as T;
}

/** The plan's shape and its promises (SPEC "Plans", output 2): whole-minute runs inside the window, sorted, the minutes asked for. */
function checkPlanShape(plan: PlanSeen, what: string, minutes: number): number {
  const text = JSON.stringify(plan);
  expect(Array.isArray(plan.runs) && plan.runs.length > 0, `${what} has no runs: ${text}`);
  expect(plan.complete === true, `${what} is not complete (the prices cover the whole window): ${text}`);
  expect(plan.timezone === PRICE_ZONE, `${what} has timezone ${String(plan.timezone)}, expected ${PRICE_ZONE}: ${text}`);
  const window = { start: Date.parse(plan.window?.start), end: Date.parse(plan.window?.end) };
  let total = 0;
  let last = window.start;
  for (const run of plan.runs) {
    const start = Date.parse(run.start);
    const end = Date.parse(run.end);
    expect(start % 60_000 === 0 && end % 60_000 === 0 && start < end, `${what}: run ${JSON.stringify(run)} is not whole minutes`);
    expect(start >= last && end <= window.end, `${what}: run ${JSON.stringify(run)} is outside the window or out of order: ${text}`);
    total += (end - start) / 60_000;
    last = end;
  }
  expect(total === minutes && plan.minutes === minutes, `${what} runs ${total} minutes and says ${plan.minutes}, expected ${minutes}: ${text}`);
  expect(typeof plan.averagePrice === "number" && typeof plan.baselinePrice === "number" && plan.averagePrice <= plan.baselinePrice + 1e-9, `${what}: averagePrice ${plan.averagePrice} is not a price at or below baselinePrice ${plan.baselinePrice}`);
  return Date.parse(plan.runs[0].start);
}

async function checkPricePlan(red: NodeRed, sim: Simulator, from: number): Promise<void> {
  const output = (): string => red.output().slice(from);
  const prices = await waitForValue("flatpeak price sending the prices (output 1) after deploy", () => seenMessages(output(), "seen-prices")[0], red);
  const payload = prices.payload as Record<string, unknown>;
  const rows = Array.isArray(payload?.prices) ? (payload.prices as Array<Record<string, unknown>>) : [];
  expect(
    prices.topic === `flatpeak/${PRICE_LOCATION.id}/prices` && payload.location_id === PRICE_LOCATION.id && payload.direction === "IMPORT" && payload.currency === PRICE_LOCATION.currency_code && payload.timezone === PRICE_ZONE,
    `flatpeak price output 1 is ${JSON.stringify(prices).slice(0, 500)}`,
  );
  const priceData = Array.isArray(payload.priceData) ? (payload.priceData as Array<Record<string, unknown>>) : [];
  expect(rows.length > 0 && priceData.length === rows.length && rows.every((row, i) => row.start === priceData[i].start && row.price === priceData[i].value), `flatpeak price output 1: prices and priceData differ: ${JSON.stringify(payload).slice(0, 500)}`);
  const priceRequest = sim.stats.requests.find((r) => r.route === "prices" && r.body?.location_id === PRICE_LOCATION.id);
  expect(priceRequest?.method === "POST" && priceRequest.path === "/prices" && priceRequest.status === 200, `the simulator saw no busbar POST /prices for ${PRICE_LOCATION.id}: ${JSON.stringify(priceRequest)}`);
  ok(`flatpeak price (refresh, deployed): busbar POST /prices → output 1 "${String(prices.topic)}": ${rows.length} rows in ${String(payload.currency)}, ${PRICE_ZONE}, priceData alike`);

  const now = await waitForValue("flatpeak price sending the price now (output 2)", () => seenMessages(output(), "seen-price-now")[0], red);
  const row = now.price as Record<string, unknown> | undefined;
  const covering = rows.find((r) => r.start === row?.start && r.end === row?.end);
  expect(now.topic === `flatpeak/${PRICE_LOCATION.id}/price` && typeof now.payload === "number" && covering?.price === now.payload && row?.currency === PRICE_LOCATION.currency_code, `flatpeak price output 2 is ${JSON.stringify(now)}`);
  ok(`flatpeak price output 2: the price now ${String(now.payload)} ${String(row?.currency)} (the row ${String(row?.start)}–${String(row?.end)})`);

  // At deploy the plan node plans without prices (the state for now); the plan that counts is the one made from them.
  const plan = await waitForValue("flatpeak plan sending a plan made from the prices (output 2)", () => plansSeen(output(), "seen-plan").find((p) => p.complete === true), red);
  const firstRun = checkPlanShape(plan, "the plan from flatpeak price", PLAN_MINUTES);
  const windowFrom = wallTime(plan.window.start, PRICE_ZONE);
  // The node's from is the hour after the one the flow was made in (the hour may have turned since; a from in the hour the clocks skip starts an hour later).
  const expectedFrom = [0, 1, 2].map((hours) => wallHourFromNow(hours, PRICE_ZONE));
  expect(expectedFrom.includes(windowFrom), `the plan's window starts at ${windowFrom} ${PRICE_ZONE}, not at the node's from (${expectedFrom.join(" or ")})`);
  ok(`flatpeak plan output 2: complete, ${plan.runs.length} run(s) of ${plan.minutes} min in the window ${plan.window.start}–${plan.window.end} (from ${windowFrom} ${PRICE_ZONE}), average ${plan.averagePrice} vs timer ${plan.baselinePrice}, timezone ${plan.timezone}`);

  const switches = seenMessages(output(), "seen-plan-switch");
  expect(switches.length >= 2 && switches.every((msg) => msg.topic === "flatpeak/plan/switch" && typeof msg.payload === "boolean"), `flatpeak plan output 1 sent ${JSON.stringify(switches)}`);
  if (firstRun > Date.now() + 60_000) expect(switches.at(-1)?.payload === false, `flatpeak plan output 1 says ${String(switches.at(-1)?.payload)} while its first run starts at ${plan.runs[0].start}`);
  const chart = await waitForValue("flatpeak plan sending chart points (output 3)", () => jsonSeenBy(output(), "seen-plan-chart").filter(isRecord).find((msg) => Array.isArray(msg.series) && msg.series.length === 2), red);
  const series = [PLAN_TEXT("chart.price"), PLAN_TEXT("chart.plan")];
  expect(JSON.stringify(chart.series) === JSON.stringify(series) && Number(chart.points) > 0 && typeof chart.status === "string" && chart.status.length > 0, `flatpeak plan output 3 is ${JSON.stringify(chart)}`);
  ok(`flatpeak plan output 1: ${switches.map((msg) => String(msg.payload)).join(", ")} (at deploy, then with the plan); output 3: ${String(chart.points)} chart points of ${series.map((name) => `"${name}"`).join(" and ")}, status "${chart.status}"`);
}

/** The plan node's status while off before its next run (status.offNext), on the prices' clocks. */
function offNextText(plan: PlanSeen): string {
  const next = plan.runs.find((run) => Date.parse(run.start) > Date.now());
  expect(next, `the plan has no run ahead: ${JSON.stringify(plan)}`);
  return PLAN_TEXT("status.offNext").replace("__from__", wallTime(next.start, PRICE_ZONE)).replace("__until__", wallTime(next.end, PRICE_ZONE));
}

function keptPriceRequests(sim: Simulator): number {
  return sim.stats.requests.filter((r) => r.route === "prices" && r.body?.location_id === KEPT_LOCATION.id).length;
}

/**
 * A one-off job by message (msg.job, with the prices flatpeak price fetched for
 * it): 60 minutes between an hour from now and six hours from now. The plan
 * node keeps it in the file store; the check notes the plan it sent.
 */
async function checkKeptPlanBeforeRestart(red: NodeRed, sim: Simulator): Promise<PlanSeen> {
  const now = Date.now();
  const job = { minutes: PLAN_MINUTES, from: new Date(now + 3_600_000).toISOString(), until: new Date(now + 6 * 3_600_000).toISOString() };
  const windowStart = new Date(Math.ceil((now + 3_600_000) / 60_000) * 60_000).toISOString();
  const switchesBefore = seenMessages(red.output(), "seen-kept-switch").length;
  const answer = await request(`${red.url}${PLAN_JOB_PATH}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(job) });
  expect(answer.status === 200, `POST ${PLAN_JOB_PATH} answered HTTP ${answer.status}: ${answer.text.slice(0, 300)}`);
  const plan = await waitForValue("flatpeak plan (file store) sending the plan for the one-off job", () => plansSeen(red.output(), "seen-kept-plan").find((p) => p.window?.start === windowStart), red);
  checkPlanShape(plan, "the one-off job's plan", PLAN_MINUTES);
  expect(Date.parse(plan.window.end) === Math.floor(Date.parse(job.until) / 60_000) * 60_000, `the one-off job's window is ${JSON.stringify(plan.window)}, expected ${windowStart} until ${job.until} (whole minutes)`);
  expect(keptPriceRequests(sim) === 1, `flatpeak price (refresh off) made ${keptPriceRequests(sim)} price requests for ${KEPT_LOCATION.id}, expected one, for the job's message`);
  await waitUntil("flatpeak plan sending the switch for the job's plan", () => seenMessages(red.output(), "seen-kept-switch").length > switchesBefore, red);
  const switched = seenMessages(red.output(), "seen-kept-switch").at(-1);
  expect(switched?.payload === false, `with the job's first run at ${plan.runs[0].start} flatpeak plan output 1 sent ${JSON.stringify(switched)}, expected false`);
  const status = offNextText(plan);
  await waitUntil(`the plan node's status "${status}"`, () => textSeenBy(red.output(), "seen-kept-status").at(-1) === status, red);
  ok(`POST ${PLAN_JOB_PATH} {minutes: ${job.minutes}, from: +1 h, until: +6 h} → msg.job → flatpeak price → flatpeak plan (store "${PLAN_STORE}"): plan ${JSON.stringify(plan.runs)}, switch false, status "${status}"`);
  return plan;
}

/** Node-RED wrote the plan node's context to the file store when it stopped: context/<tab>/<node>.json. */
function checkPlanOnDisk(userDir: string, plan: PlanSeen): void {
  const file = join(userDir, "context", FLOW_TAB, `${KEPT_PLAN_ID}.json`);
  expect(existsSync(file), `${file} does not exist: the plan node's state is not in the file store (context files: ${listFiles(join(userDir, "context")).join(", ") || "none"})`);
  const stored = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const state = stored[PLAN_STATE_KEY] as Record<string, unknown> | undefined;
  expect(isRecord(state), `context/${FLOW_TAB}/${KEPT_PLAN_ID}.json has no ${PLAN_STATE_KEY} (keys: ${Object.keys(stored).join(", ")})`);
  const kept = valueAt(state, "plan.payload") as PlanSeen | undefined;
  expect(isDeepStrictEqual(kept?.runs, plan.runs) && isDeepStrictEqual(kept?.window, plan.window), `the stored plan is ${JSON.stringify(kept)}, not the one sent: ${JSON.stringify(plan)}`);
  const oneOff = valueAt(state, "oneOff.window") as { start?: unknown; end?: unknown } | undefined;
  expect(oneOff?.start === Date.parse(plan.window.start) && oneOff.end === Date.parse(plan.window.end), `the stored one-off job's window is ${JSON.stringify(oneOff)}`);
  expect(Array.isArray(state.rows) && state.rows.length > 0 && state.timeZone === PRICE_ZONE && state.told === false, `the stored state lacks the prices, the zone or the switch: ${JSON.stringify(state).slice(0, 300)}`);
  ok(`the plan is in the file store: context/${FLOW_TAB}/${KEPT_PLAN_ID}.json holds ${PLAN_STATE_KEY} (the one-off job, ${state.rows.length} price rows, ${PRICE_ZONE}, the plan's runs, told off)`);
}

/** After the restart, with no input at all: the state for now on output 1, the same plan on output 2, the same status. */
async function checkKeptPlanAfterRestart(red: NodeRed, sim: Simulator, plan: PlanSeen, priceRequestsBefore: number): Promise<void> {
  const sent = await waitForValue("flatpeak plan sending its stored plan after the restart", () => plansSeen(red.output(), "seen-kept-plan")[0], red);
  expect(isDeepStrictEqual(sent, plan), `after the restart flatpeak plan sent ${JSON.stringify(sent)}; before it, ${JSON.stringify(plan)}`);
  const switched = await waitForValue("flatpeak plan sending the state for now after the restart", () => seenMessages(red.output(), "seen-kept-switch")[0], red);
  const on = plan.runs.some((run) => Date.parse(run.start) <= Date.now() && Date.now() < Date.parse(run.end));
  expect(switched.payload === on, `after the restart flatpeak plan output 1 sent ${JSON.stringify(switched)}, expected ${String(on)} (runs ${JSON.stringify(plan.runs)})`);
  const status = offNextText(plan);
  await waitUntil(`the plan node's status "${status}" after the restart`, () => textSeenBy(red.output(), "seen-kept-status").includes(status), red);
  expect(keptPriceRequests(sim) === priceRequestsBefore, `flatpeak price (refresh off) fetched ${KEPT_LOCATION.id} after the restart: the plan node got new input`);
  ok(`after the restart, with no input: flatpeak plan sent the state for now (${String(switched.payload)}) and the same plan (runs ${JSON.stringify(sent.runs)}); status "${status}"`);
}

/** Later in the run: still one plan and one switch since the restart (nothing planned again). */
function checkKeptPlanQuiet(red: NodeRed): void {
  const plans = plansSeen(red.output(), "seen-kept-plan").length;
  const switches = seenMessages(red.output(), "seen-kept-switch").length;
  expect(plans === 1 && switches === 1, `since the restart flatpeak plan sent ${plans} plans and ${switches} switch messages, expected one each`);
  ok("since the restart flatpeak plan sent one plan and one switch message, nothing more");
}

async function checkCredentialsKept(red: NodeRed): Promise<void> {
  const answer = await request(`${red.url}/credentials/flatpeak-config/${CONFIG_ID}`, { headers: { Accept: "application/json" } });
  expect(answer.status === 200, `GET /credentials/flatpeak-config/${CONFIG_ID} answered HTTP ${answer.status}`);
  const creds = parseJson(answer, "GET /credentials") as Record<string, unknown>;
  expect(
    creds.accountId === SIMULATOR_ACCOUNT_ID && creds.has_apiKey === true,
    `GET /credentials/flatpeak-config/${CONFIG_ID} answered ${answer.text}: the runtime registerType lacks credentials, so the deploy dropped them`,
  );
  expect(!answer.text.includes(SIMULATOR_API_KEY) && !hasSecret(answer.text), "GET /credentials reveals the API key");
  ok(`GET /credentials/flatpeak-config/${CONFIG_ID}: accountId kept, has_apiKey true, key not revealed`);
}

async function checkNoSecretsStored(red: NodeRed, userDir: string): Promise<void> {
  const flows = await request(`${red.url}/flows`, { headers: { Accept: "application/json" } });
  expect(flows.status === 200, `GET /flows answered HTTP ${flows.status}`);
  expect(!hasSecret(flows.text), "GET /flows contains the API key or a bearer token");
  const flowFile = readFileSync(join(userDir, "flows.json"), "utf8");
  expect(!hasSecret(flowFile), "flows.json on disk contains the API key or a bearer token");
  const credFile = join(userDir, "flows_cred.json");
  expect(existsSync(credFile), "flows_cred.json was not written: no credentials were stored");
  expect(!hasSecret(readFileSync(credFile, "utf8")), "flows_cred.json holds the API key in plain text");
  ok("GET /flows, flows.json and flows_cred.json contain no API key or token");
}

/**
 * Node-RED's output: nothing about our package or types that is an error or
 * warning, except the errors the error checks provoked on purpose (after
 * `expectedErrorsFrom`; Node-RED logs them only when no Catch node handled
 * them), and no secret anywhere.
 */
function checkNodeRedOutput(output: string, expectedErrorsFrom: number): void {
  const ours = /node-red-contrib-flatpeak|flatpeak-(config|event|watch|webhook|price|plan)/;
  const bad = /error|not registered|does not exist|version_mismatch|cannot be loaded|\[warn\]/i;
  const expected = /\[error\] \[flatpeak-event:fp-check event\] .*(evt_doesNotExist000|not-an-id)/;
  const problems: string[] = [];
  let offset = 0;
  for (const line of output.split("\n")) {
    const provoked = offset >= expectedErrorsFrom;
    offset += line.length + 1;
    if (/Waiting for missing types|Missing node modules/.test(line)) problems.push(line);
    else if (ours.test(line) && bad.test(line) && !(provoked && expected.test(line))) problems.push(line);
  }
  expect(problems.length === 0, `Node-RED logged problems with the package:\n    ${problems.join("\n    ")}\n${tail(output)}`);
  expect(!hasSecret(output), "Node-RED's output contains the API key or a bearer token");
  ok("Node-RED's output: no errors or warnings about the package (beyond the provoked ones), no secrets");
}

// ---------------------------------------------------------------------------

async function stopNodeRed(red: NodeRed): Promise<void> {
  const ending = await red.stop();
  if (ending.includes("killed")) warn(`Node-RED ${ending}`);
  else ok(`Node-RED ${ending} after SIGINT`);
}

async function main(): Promise<void> {
  const began = Date.now();
  console.log(`Packaging check for ${PKG}@${MANIFEST.version}`);
  const packDir = makeTempDir("pack");
  const userDir = makeTempDir("userdir");

  section("1. npm pack");
  const tarball = await packTarball(packDir);
  await checkTarballContents(tarball);
  section("2. npm install <tarball> into a fresh Node-RED user directory");
  const installed = await installIntoUserDir(tarball, userDir);
  checkInstalledModules(userDir);
  checkRequiresAreDeclared(installed);

  section("3. Start Node-RED");
  const red = await startNodeRed(userDir);

  section("4. Start the Flatpeak simulator");
  const sim = await startSimulator();
  onCleanUp(() => sim.close());
  ok(`simulator at ${sim.url}`);

  await checkNodeSets(red);
  await checkEditorHtml(red);
  await checkCatalogs(red);
  await checkIcon(red);
  await checkExamples(red);

  section("5b. Deploy a flow and run it: flatpeak event, flatpeak price → flatpeak plan");
  const deployedFrom = red.output().length;
  await deployFlow(red, sim);
  await checkCredentialsKept(red);
  await checkFlowRuns(red, sim);
  // Before the error checks, which count the simulator's requests: the price node's first fetch is done by then.
  await checkPricePlan(red, sim, deployedFrom);
  const provokedFrom = red.output().length;
  await checkFlowErrors(red, sim);
  await checkNoSecretsStored(red, userDir);

  section("5c. Across a Node-RED restart (file store): flatpeak watch's cursor, flatpeak plan's plan; flatpeak webhook through http in");
  const seenBeforeRestart = await checkWatchBeforeRestart(red, sim);
  const keptPlan = await checkKeptPlanBeforeRestart(red, sim);
  await stopNodeRed(red);
  // After the stop, so that errors from closing the nodes count too.
  checkNodeRedOutput(red.output(), provokedFrom);
  checkCursorOnDisk(userDir, seenBeforeRestart);
  checkPlanOnDisk(userDir, keptPlan);
  const whileDown = [sim.createEvent().id, sim.createEvent().id];
  const keptPriceRequestsBefore = keptPriceRequests(sim);
  const restarted = await startNodeRed(userDir);
  await checkWatchAfterRestart(restarted, sim, whileDown);
  await checkKeptPlanAfterRestart(restarted, sim, keptPlan, keptPriceRequestsBefore);
  await checkWebhook(restarted, sim);
  checkKeptPlanQuiet(restarted);

  section("6. Stop Node-RED and clean up");
  await stopNodeRed(restarted);
  checkNodeRedOutput(restarted.output(), restarted.output().length);
  console.log(`\nPackaging check passed in ${((Date.now() - began) / 1000).toFixed(1)} s`);
}

runCheck(main);
