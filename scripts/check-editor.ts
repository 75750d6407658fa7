/**
 * Editor check in a real browser: installs the packed tarball into a fresh
 * Node-RED user directory (as a user gets the package), starts Node-RED with an
 * empty flow and the Flatpeak simulator, and uses the editor in headless
 * Chromium as a person would: finds "flatpeak event", "flatpeak watch" and
 * "flatpeak webhook" in the palette, drags "flatpeak event" onto the canvas with
 * the mouse, creates a flatpeak-config node in its dialog (Test connection with
 * a wrong and a right key), ticks "Whole event", wires inject → flatpeak event
 * → debug nodes with the mouse, deploys, clicks the inject button and reads the
 * Debug sidebar; then reads the Help sidebar. Then the source nodes: drags
 * "flatpeak watch", "flatpeak webhook" and a core "http in" onto the canvas,
 * checks their dialogs (labels from the en-US catalogs, the config node on
 * offer, the defaults of the spec), sets the watch interval to its smallest
 * allowed value and the http in node to POST with "Do not parse request body",
 * wires watch → flatpeak event and http in → flatpeak webhook → flatpeak event
 * with the mouse, deploys, and has the simulator make events arrive without a
 * click: a new event in its list (for the watch) and a signed webhook delivery,
 * then a redelivery, to Node-RED's http in URL (for the webhook). It reads the
 * Debug sidebar and the status under both nodes, and their help. Last it
 * checks that Menu → Export holds no secret. It saves the README screenshots
 * (docs/images/editor-flow.png, editor-config.png, editor-help.png) before the
 * source nodes are added, so that they show the event node alone.
 *
 * Run with `npm run test:editor` (builds first). Env, besides those in
 * check-common.ts:
 *   CHECK_CHROMIUM          the Chromium binary (default /usr/bin/chromium; never downloaded)
 *   CHECK_SCREENSHOT_DIR    where the README screenshots go (default docs/images)
 *   CHECK_HEADED=1          show the browser window (needs a display)
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { ERROR_CODES } from "../nodes/lib/client/errors";
import { SAMPLES } from "../simulator/sample-events";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, startSimulator, type FlatpeakEvent, type Simulator } from "../simulator/server";
import {
  CheckFailure,
  JWT_PATTERN,
  MANIFEST,
  PKG,
  expect,
  fail,
  hasSecret,
  installIntoUserDir,
  makeTempDir,
  ok,
  onCleanUp,
  packTarball,
  parseJson,
  request,
  runCheck,
  section,
  startNodeRed,
  tail,
  type NodeRed,
} from "./check-common";
import { REPO, isRecord, sleep, valueAt } from "./support";

const CHROMIUM = process.env.CHECK_CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOT_DIR = resolve(process.env.CHECK_SCREENSHOT_DIR ?? join(REPO, "docs", "images"));
const VIEWPORT = { width: 1280, height: 800 };
/** Longest wait for anything in the editor (a dialog, a notification, a debug message). */
const UI_TIMEOUT_MS = 15_000;
/** Each node has its own icon, named after its type. */
const iconFile = (type: string): string => `${type}.svg`;
const iconUrl = (type: string): string => `icons/${PKG}/${iconFile(type)}`;
const ICON_URL = iconUrl("flatpeak-event");
const CONFIG_NAME = "Flatpeak simulator";
const WRONG_API_KEY = "sk_test_wrongKey0000000000000000000";
const FULL_DEVICE = SAMPLES.fullDevice.event;
/** The battery section of the full-device sample, whose capacity the Debug sidebar must show. */
const BATTERY_CAPACITY = String((FULL_DEVICE.data as { properties: { battery: { capacity_kwh: number } } }).properties.battery.capacity_kwh);

/** en-US texts, read from the package's own catalogs so that the check follows their wording. */
const EVENT_TEXT = readCatalog("flatpeak-event");
const CONFIG_TEXT = readCatalog("flatpeak-config");
const WATCH_TEXT = readCatalog("flatpeak-watch");
const WEBHOOK_TEXT = readCatalog("flatpeak-webhook");
/** Output port labels, in port order. */
const PORT_LABELS = ["battery", "pv", "ev_charger", "event"].map((key) => EVENT_TEXT(`outputs.${key}`));

/** Where the nodes go, in canvas coordinates (the canvas starts scrolled to 0,0 at zoom 1). */
const LAYOUT = {
  inject: { x: 160, y: 300 },
  event: { x: 400, y: 300 },
  debug: [180, 260, 340, 420].map((y) => ({ x: 660, y })),
  // Above and below the inject path, clear of its wires (a node dropped on a wire is spliced into it);
  // the webhook leaves room for http in, which grows to the right once its URL is set.
  watch: { x: 160, y: 180 },
  httpIn: { x: 130, y: 460 },
  webhook: { x: 420, y: 460 },
};

/** What a new source node's dialog shows (SPEC.md, "Event sources"). */
const WATCH_DEFAULTS = { interval: "60", replay: "0", eventTypes: "", name: "" };
const WEBHOOK_DEFAULTS = { tolerance: "300", name: "" };
/** The smallest interval the watch node accepts (its validate and spinner): the wait for the next poll stays short. */
const WATCH_INTERVAL_S = 5;
const HOOK_PATH = "/flatpeak-hook";
/** The core http in option the webhook node needs: its help and its bodyParsed error name it with these words. */
const SKIP_PARSING_LABEL = "Do not parse request body";
/** One device per source, so that the Debug sidebar tells the two paths apart (and apart from the inject's event). */
const WATCH_DEVICE = { id: "dev_from_watch", capacity: 21.5 };
const WEBHOOK_DEVICE = { id: "dev_from_webhook", capacity: 9.5 };
/** How a status that worked ends (lib/status.ts: "text · hh:mm:ss"). */
const STATUS_TIME = / · \d\d:\d\d:\d\d$/;
/** One debug node per output, named after the port it listens to. */
const DEBUG_NAMES = PORT_LABELS;

function readCatalog(set: string): (key: string) => string {
  const catalog = JSON.parse(readFileSync(join(REPO, "locales", "en-US", `${set}.json`), "utf8")) as Record<string, unknown>;
  return (key) => {
    const value = valueAt(catalog, `${set}.${key}`);
    if (typeof value !== "string") throw new Error(`locales/en-US/${set}.json has no text for ${key}`);
    return value;
  };
}

/** The text of a catalog entry up to its first `__placeholder__`. */
function prefixOf(text: string): string {
  return text.split("__")[0];
}

// ---------------------------------------------------------------------------
// The editor's own API, as far as this check reads it (inside page.evaluate).

interface EditorNode {
  id: string;
  type: string;
  x: number;
  y: number;
  name?: string;
  outputs?: number;
  eventOutput?: boolean;
  server?: string;
  payload?: string;
  payloadType?: string;
}
interface EditorApi {
  view: { scale(): number };
  nodes: {
    eachNode(cb: (node: EditorNode) => boolean | void): void;
    eachConfig(cb: (node: EditorNode) => boolean | void): void;
    node(id: string): EditorNode | undefined;
    getType(type: string): { outputLabels?: string[] | ((this: EditorNode, index: number) => string) } | undefined;
    filterLinks(filter: { source?: EditorNode; sourcePort?: number; target?: EditorNode }): unknown[];
  };
}
type EditorWindow = Window & { RED: EditorApi };

function editorNodes(page: Page): Promise<EditorNode[]> {
  return page.evaluate(() => {
    const list: EditorNode[] = [];
    (window as unknown as EditorWindow).RED.nodes.eachNode((node) => {
      list.push({ id: node.id, type: node.type, x: node.x, y: node.y, name: node.name, outputs: node.outputs });
    });
    return list;
  });
}

function nodeGroup(page: Page, id: string): Locator {
  return page.locator(`g.red-ui-flow-node-group[id="${id}"]`);
}

// ---------------------------------------------------------------------------
// Browser plumbing: launch, problem collection, mouse helpers, screenshots.

interface Session {
  page: Page;
  red: NodeRed;
  sim: Simulator;
  /** Page errors, console errors about the package, and failed requests to Node-RED. */
  problems: string[];
  step: string;
}

async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: process.env.CHECK_HEADED !== "1",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  onCleanUp(() => browser.close());
  return browser;
}

async function openEditor(browser: Browser, red: NodeRed, sim: Simulator): Promise<Session> {
  const context = await browser.newContext({ viewport: VIEWPORT, locale: "en-US", deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  const session: Session = { page, red, sim, problems: [], step: "open the editor" };
  watchForProblems(session);

  await page.goto(`${red.url}/`);
  await page.locator('.red-ui-palette-node[data-palette-type="flatpeak-event"]').waitFor({ state: "attached" });
  await page.locator("#red-ui-workspace-chart").waitFor();
  // Close the rotating tips under the Info sidebar, as many users do: they would differ in every screenshot.
  const closeTips = page.locator(".red-ui-help-tips-buttons a:has(.fa-times)");
  if (await closeTips.isVisible()) await closeTips.click();
  const version = await page.evaluate(() => navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? navigator.userAgent);
  ok(`editor at ${red.url}/ loaded in ${version.replace("/", " ")} (headless, ${VIEWPORT.width}x${VIEWPORT.height})`);
  return session;
}

const OURS = /flatpeak/i;

function watchForProblems(session: Session): void {
  const { page, red } = session;
  const add = (text: string): void => {
    session.problems.push(`[${session.step}] ${text}`);
  };
  page.on("pageerror", (err) => add(`page error: ${err.stack ?? err.message}`));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const where = message.location().url;
    // The editor's own look-ups on the internet (the palette catalogue) fail offline: not ours.
    if (OURS.test(message.text()) || OURS.test(where)) add(`console error: ${message.text()} (${where})`);
  });
  page.on("requestfailed", (req) => {
    if (req.url().startsWith(red.url)) add(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText ?? "?"}`);
  });
  page.on("response", (res) => {
    if (res.url().startsWith(red.url) && res.status() >= 400) add(`HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
  });
}

/** Runs one step; a failure names the step and leaves a screenshot of the page as it was. */
async function step<T>(session: Session, title: string, action: () => Promise<T>): Promise<T> {
  session.step = title;
  try {
    return await action();
  } catch (err) {
    const reason = err instanceof CheckFailure ? err.message : err instanceof Error ? firstLines(err.message) : String(err);
    const file = join(tmpdir(), `flatpeak-editor-failure-${Date.now()}.png`);
    const shot = await session.page.screenshot({ path: file }).then(
      () => `screenshot: ${file}`,
      (shotErr: unknown) => `no screenshot: ${String(shotErr)}`,
    );
    throw new CheckFailure(`${title}: ${reason}\n  ${shot}${session.problems.length ? `\n  page problems so far:\n    ${session.problems.join("\n    ")}` : ""}`);
  }
}

/** Playwright's messages carry a long call log; the first lines say what failed. */
function firstLines(text: string, count = 4): string {
  return text.split("\n").slice(0, count).join("\n");
}

interface Point {
  x: number;
  y: number;
}

/**
 * The centre of an element once it is inside the window and has stopped moving
 * (palette filtering and sidebars animate; an edit tray slides in from beyond the right edge).
 */
async function steadyCentre(locator: Locator): Promise<Point> {
  let last: string | undefined;
  for (let i = 0; i < 50; i++) {
    const box = await locator.boundingBox();
    const now = box ? JSON.stringify(box) : undefined;
    const inside = box !== null && box.x >= 0 && box.y >= 0 && box.x + box.width <= VIEWPORT.width && box.y + box.height <= VIEWPORT.height;
    if (inside && now === last) return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    last = now;
    await sleep(100);
  }
  fail(`${String(locator)} did not come to rest on the page`);
}

/** Press, move in small steps, release: what jQuery UI and d3 see as a real drag. */
async function mouseDrag(page: Page, from: Point, to: Point): Promise<void> {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 8, from.y + 4, { steps: 4 });
  await page.mouse.move(to.x, to.y, { steps: 20 });
  await page.mouse.up();
}

/** The canvas point (x, y) in page coordinates, at zoom 1 (where all nodes are placed and wired). */
async function canvasPoint(page: Page, point: Point): Promise<Point> {
  const chart = await page.locator("#red-ui-workspace-chart").boundingBox();
  if (!chart) fail("the workspace canvas is not visible");
  const scroll = await page.evaluate(() => {
    const el = document.getElementById("red-ui-workspace-chart");
    return { left: el?.scrollLeft ?? 0, top: el?.scrollTop ?? 0 };
  });
  return { x: chart.x + point.x - scroll.left, y: chart.y + point.y - scroll.top };
}

/** Moves the pointer off everything and drops the focus, so that no tooltip or focus ring shows. */
async function calm(page: Page): Promise<void> {
  await page.mouse.move(VIEWPORT.width / 2, VIEWPORT.height - 5);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await sleep(400);
}

/** Deploy and inject notifications close by themselves after a few seconds. */
async function waitForNotificationsToClose(page: Page): Promise<void> {
  await waitFor(() => page.locator(".red-ui-notification").count(), (count) => count === 0, 10_000);
}

async function screenshot(page: Page, name: string, what: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, name);
  await page.screenshot({ path: file });
  ok(`screenshot ${relative(REPO, file)}: ${what}`);
}

// ---------------------------------------------------------------------------
// 1. Palette and canvas.

async function filterPalette(page: Page, text: string): Promise<void> {
  const input = page.locator("#red-ui-palette-search input");
  await input.click();
  await input.press("ControlOrMeta+A");
  // Typed, not filled: the palette filters on key events.
  await page.keyboard.type(text, { delay: 20 });
}

async function checkPaletteEntry(page: Page): Promise<void> {
  await filterPalette(page, "flatpeak");
  const entry = page.locator('.red-ui-palette-node[data-palette-type="flatpeak-event"]');
  await entry.waitFor({ state: "visible" });
  await steadyCentre(entry);
  const info = await entry.evaluate((el) => ({
    label: el.getAttribute("data-palette-label"),
    text: (el.querySelector(".red-ui-palette-label")?.textContent ?? "").replace(/\s+/g, " ").trim(),
    category: el.closest(".red-ui-palette-category")?.id,
    header: el.closest(".red-ui-palette-category")?.querySelector(".red-ui-palette-header")?.textContent?.trim(),
    icon: el.querySelector(".red-ui-palette-icon-container")?.getAttribute("data-palette-icon"),
    background: el.querySelector<HTMLElement>(".red-ui-palette-icon")?.style.backgroundImage,
    visible: [...document.querySelectorAll<HTMLElement>(".red-ui-palette-node")].filter((node) => node.offsetParent !== null).map((node) => node.getAttribute("data-palette-type")),
  }));
  expect(info.label === "flatpeak event" && info.text === "flatpeak event", `palette label is "${info.text}" (data-palette-label "${info.label}"), expected "flatpeak event"`);
  expect(info.category === "red-ui-palette-container-flatpeak" && info.header === "flatpeak", `"flatpeak event" is in palette category ${info.category} ("${info.header}"), expected flatpeak`);
  const ourTypes = ["flatpeak-event", "flatpeak-watch", "flatpeak-webhook"];
  expect(JSON.stringify([...info.visible].sort()) === JSON.stringify(ourTypes), `filtering the palette for "flatpeak" shows ${JSON.stringify(info.visible)}, expected ${JSON.stringify(ourTypes)}`);
  const sources = await page.evaluate(() =>
    ["flatpeak-watch", "flatpeak-webhook"].map((type) => {
      const el = document.querySelector(`.red-ui-palette-node[data-palette-type="${type}"]`);
      return {
        label: el?.getAttribute("data-palette-label"),
        text: (el?.querySelector(".red-ui-palette-label")?.textContent ?? "").replace(/\s+/g, " ").trim(),
        category: el?.closest(".red-ui-palette-category")?.id,
      };
    }),
  );
  const wanted = ["flatpeak watch", "flatpeak webhook"].map((label) => ({ label, text: label, category: "red-ui-palette-container-flatpeak" }));
  expect(JSON.stringify(sources) === JSON.stringify(wanted), `the source nodes in the palette are ${JSON.stringify(sources)}, expected ${JSON.stringify(wanted)}`);
  expect(info.icon === ICON_URL && info.background?.includes(ICON_URL), `palette icon is ${info.icon} (${info.background}), expected ${ICON_URL}`);

  // The editor fetches the icon from Node-RED: it must be our file, and the browser must be able to draw it.
  const served = await page.evaluate(async (url) => {
    const answer = await fetch(url);
    const text = await answer.text();
    const image = new Image();
    image.src = url;
    const drawn = await image.decode().then(
      () => image.naturalWidth > 0 && image.naturalHeight > 0,
      () => false,
    );
    return { status: answer.status, type: answer.headers.get("content-type"), text, drawn };
  }, ICON_URL);
  const ours = readFileSync(join(REPO, "icons", iconFile("flatpeak-event")), "utf8");
  expect(served.status === 200 && served.text === ours, `GET /${ICON_URL} from the editor answered HTTP ${served.status} with ${served.text.length} characters, not our icons/${iconFile("flatpeak-event")}`);
  expect(served.drawn, `the browser cannot draw /${ICON_URL} (${served.type})`);
  ok(`palette: "flatpeak event", "flatpeak watch" and "flatpeak webhook" in category "${info.header}", alone under the filter "flatpeak", icon /${ICON_URL} (our file, ${served.type}, drawable)`);
}

/** Drags a palette node onto the canvas with the mouse; the id of the node it made. */
async function dragFromPalette(page: Page, type: string, filter: string, at: Point): Promise<string> {
  await filterPalette(page, filter);
  const entry = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  await entry.waitFor({ state: "visible" });
  const from = await steadyCentre(entry);
  const before = new Set((await editorNodes(page)).map((node) => node.id));
  await mouseDrag(page, from, await canvasPoint(page, at));
  const added = await waitFor(async () => (await editorNodes(page)).filter((node) => !before.has(node.id)), (nodes) => nodes.length > 0, 3000);
  expect(added.length === 1 && added[0].type === type, `dragging ${type} from the palette added ${JSON.stringify(added)}`);
  const node = added[0];
  expect(Math.abs(node.x - at.x) <= 40 && Math.abs(node.y - at.y) <= 40, `${type} landed at (${node.x}, ${node.y}), not near the drop point (${at.x}, ${at.y})`);
  await nodeGroup(page, node.id).waitFor();
  ok(`dragged "${type}" from the palette onto the canvas with the mouse: node ${node.id} at (${node.x}, ${node.y})`);
  return node.id;
}

/** The new node on the canvas: its label, our icon, one input and the default 3 outputs. */
async function checkCanvasNode(page: Page, id: string): Promise<void> {
  const group = nodeGroup(page, id);
  const label = ((await group.locator(".red-ui-flow-node-label-text").textContent()) ?? "").trim();
  // d3 sets the image with setAttributeNS, so the plain getAttribute("xlink:href") does not see it.
  const icon = await group.locator("image.red-ui-flow-node-icon").evaluate((el) => el.getAttributeNS("http://www.w3.org/1999/xlink", "href") ?? el.getAttribute("href"));
  const inputs = await group.locator("> g.red-ui-flow-port-input").count();
  const outputs = await group.locator("> g.red-ui-flow-port-output").count();
  expect(label === "flatpeak event", `the node on the canvas is labelled "${label}"`);
  expect(icon === ICON_URL, `the node on the canvas shows the icon ${icon}, expected ${ICON_URL}`);
  expect(inputs === 1 && outputs === 3, `the new node has ${inputs} input and ${outputs} output ports, expected 1 and 3`);
  ok(`on the canvas: "${label}" with our icon, 1 input and 3 output ports (Whole event off)`);
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() - started > timeoutMs) return value;
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------
// 2. The edit dialogs.

async function openEditDialog(page: Page, id: string): Promise<void> {
  await nodeGroup(page, id).locator("> rect.red-ui-flow-node").dblclick();
  const done = page.locator("#node-dialog-ok");
  await done.waitFor({ state: "visible" });
  // "Visible" already while the tray is still off screen: on a busy machine a click on Done during the slide was lost.
  await steadyCentre(done);
}

async function labelText(page: Page, forId: string): Promise<string> {
  return ((await page.locator(`label[for="${forId}"]`).textContent()) ?? "").trim();
}

async function checkEventDialog(page: Page, id: string): Promise<void> {
  await openEditDialog(page, id);
  const labels = {
    server: await labelText(page, "node-input-server"),
    property: await labelText(page, "node-input-property"),
    eventOutput: await labelText(page, "node-input-eventOutput"),
    name: await labelText(page, "node-input-name"),
  };
  for (const [key, text] of Object.entries(labels)) {
    expect(text === EVENT_TEXT(`label.${key}`), `the dialog's ${key} label is "${text}", expected "${EVENT_TEXT(`label.${key}`)}"`);
  }
  const server = page.locator("#node-input-server");
  expect((await server.evaluate((el) => el.tagName)) === "SELECT", "the Account field is not a select");
  const serverText = (await server.locator("option:checked").textContent())?.trim();
  expect(serverText?.startsWith("Add new Flatpeak account"), `the Account select shows "${serverText}" on a new node, expected "Add new Flatpeak account…" (the config node's palette label)`);

  const typed = page.locator("#node-input-property + .red-ui-typedInput-container");
  const typeLabel = (await typed.locator(".red-ui-typedInput-type-label").textContent())?.trim();
  const value = await typed.locator("input.red-ui-typedInput-input").inputValue();
  expect(typeLabel === "msg." && value === "payload", `the Event ID typed input shows "${typeLabel}${value}", expected msg.payload`);
  expect((await page.locator("#node-input-propertyType").inputValue()) === "msg", "propertyType is not msg");

  const types = await typedInputTypes(page, typed);
  for (const wanted of ["msg", "flow", "global", "str", "env"]) expect(types.includes(wanted), `the Event ID typed input does not offer ${wanted} (offers ${types.join(", ")})`);

  const checkbox = page.locator("#node-input-eventOutput");
  expect((await checkbox.getAttribute("type")) === "checkbox" && !(await checkbox.isChecked()), "Whole event is not an unticked checkbox on a new node");
  expect(await page.locator("#node-input-name").isVisible(), "the Name field is not visible");
  ok(`edit dialog: ${Object.values(labels).join(", ")}; Account "${serverText}", Event ID msg.payload (offers ${types.join(", ")}), Whole event unticked`);
}

/** The types a typed input offers, read from its menu (opened and closed again). */
async function typedInputTypes(page: Page, typed: Locator): Promise<string[]> {
  await typed.locator(".red-ui-typedInput-type-select").click();
  const menu = page.locator(".red-ui-typedInput-options:visible");
  await menu.waitFor();
  const values = await menu.locator("a").evaluateAll((links) => links.map((link) => link.getAttribute("value") ?? ""));
  // A click elsewhere closes the menu without choosing.
  await page.locator(".red-ui-tray-breadcrumbs").last().click();
  await menu.waitFor({ state: "hidden" });
  return values;
}

async function addConfigNode(session: Session): Promise<void> {
  const { page, sim } = session;
  await page.locator("#node-input-btn-server-add").click();
  await page.locator("#node-config-dialog-ok").waitFor({ state: "visible" });
  const title = (await page.locator(".red-ui-tray-breadcrumbs li").last().textContent())?.trim();
  expect(title?.includes("Flatpeak account"), `the "+" button opened "${title}", not the Flatpeak account (flatpeak-config) dialog`);
  await page.locator("#node-config-input-name").fill(CONFIG_NAME);
  await page.locator("#node-config-input-accountId").fill(SIMULATOR_ACCOUNT_ID);
  await page.locator("#node-config-input-apiKey").fill(WRONG_API_KEY);
  await page.locator("#node-config-input-baseUrl").fill(sim.url);
  ok(`"+" opened "${title}"; filled Name, Account ID, a wrong API key and Base URL ${sim.url}`);

  const refused = await testConnection(page, "flatpeak-test-failed");
  expect(refused.startsWith(prefixOf(CONFIG_TEXT("test.failed"))), `with a wrong key Test connection says "${refused}"`);
  const loginStatuses = sim.stats.requests.filter((r) => r.route === "login").map((r) => r.status);
  expect(loginStatuses.length === 1 && loginStatuses[0] === 403, `the simulator saw logins ${JSON.stringify(loginStatuses)}, expected one refused (403)`);
  ok(`Test connection with a wrong key: "${refused}"`);

  await page.locator("#node-config-input-apiKey").fill(SIMULATOR_API_KEY);
  const connected = await testConnection(page, "flatpeak-test-ok");
  // The simulator issues test-mode keys (live_mode false), so the answer names the test mode.
  expect(connected === CONFIG_TEXT("test.okTest"), `with the simulator's key Test connection says "${connected}", expected "${CONFIG_TEXT("test.okTest")}"`);
  expect(sim.stats.requests.some((r) => r.route === "login" && r.status === 200), "the simulator saw no successful login from Test connection");
  ok(`Test connection with the simulator's key: "${connected}"`);

  await calm(page);
  await screenshot(page, "editor-config.png", "the config dialog after a successful Test connection");
  await page.locator("#node-config-dialog-ok").click();
  await page.locator("#node-config-input-apiKey").waitFor({ state: "detached" });
}

/** Clicks Test connection and waits for the answer with the given class; its text. */
async function testConnection(page: Page, resultClass: string): Promise<string> {
  const result = page.locator("#node-config-test-result");
  await page.locator("#node-config-test-connection").click();
  await page.locator(`#node-config-test-result.${resultClass}`).waitFor();
  const text = ((await result.textContent()) ?? "").trim();
  expect(!hasSecret(text), `Test connection shows a secret: "${text}"`);
  return text;
}

async function finishEventDialog(page: Page, id: string): Promise<void> {
  const selected = (await page.locator("#node-input-server option:checked").textContent())?.trim();
  expect(selected === CONFIG_NAME, `after Add the Account select shows "${selected}", expected "${CONFIG_NAME}"`);
  await page.locator("#node-input-eventOutput").check();
  await page.locator("#node-dialog-ok").click();
  await page.locator("#node-input-eventOutput").waitFor({ state: "detached" });
  const node = await page.evaluate((nodeId) => {
    const found = (window as unknown as EditorWindow).RED.nodes.node(nodeId);
    return found && { outputs: found.outputs, eventOutput: found.eventOutput, server: found.server };
  }, id);
  expect(node?.eventOutput === true && Number(node.outputs) === 4, `after Done the node has eventOutput ${node?.eventOutput} and outputs ${node?.outputs}`);
  ok(`config node "${selected}" added and selected; Whole event ticked; Done`);
}

// ---------------------------------------------------------------------------
// 3. Ports, the inject node and wires.

async function checkOutputPorts(page: Page, id: string): Promise<void> {
  const ports = nodeGroup(page, id).locator("> g.red-ui-flow-port-output");
  await waitFor(() => ports.count(), (count) => count === 4, 3000);
  expect((await ports.count()) === 4, `the node shows ${await ports.count()} output ports, expected 4`);

  const hovered: string[] = [];
  for (let index = 0; index < 4; index++) hovered.push(await portTooltip(page, ports.nth(index)));
  expect(JSON.stringify(hovered) === JSON.stringify(PORT_LABELS), `port tooltips say ${JSON.stringify(hovered)}, expected ${JSON.stringify(PORT_LABELS)}`);

  const defined = await page.evaluate((nodeId) => {
    const RED = (window as unknown as EditorWindow).RED;
    const node = RED.nodes.node(nodeId);
    const labels = RED.nodes.getType("flatpeak-event")?.outputLabels;
    if (!node || !labels) return [];
    return [0, 1, 2, 3].map((index) => (typeof labels === "function" ? labels.call(node, index) : labels[index]));
  }, id);
  expect(JSON.stringify(defined) === JSON.stringify(PORT_LABELS), `outputLabels give ${JSON.stringify(defined)}`);
  ok(`4 output ports; hover labels ${hovered.join(", ")} (outputLabels agree)`);
}

/** The tooltip the editor shows while the pointer is on a port (its input or output label). */
async function portTooltip(page: Page, port: Locator): Promise<string> {
  await port.hover();
  const tooltip = page.locator(".red-ui-flow-port-tooltip");
  await tooltip.waitFor();
  const text = ((await tooltip.textContent()) ?? "").trim();
  await page.mouse.move(VIEWPORT.width / 2, VIEWPORT.height - 5);
  await tooltip.waitFor({ state: "detached" });
  return text;
}

async function setInjectPayload(page: Page, id: string, eventId: string, name: string): Promise<void> {
  await openEditDialog(page, id);
  const payloadRow = page.locator("#node-input-property-container > li").filter({ has: page.locator('input.node-input-prop-property-name[value="payload"]') });
  const value = payloadRow.locator(".red-ui-typedInput-container").nth(1);
  await value.locator(".red-ui-typedInput-type-select").click();
  await page.locator('.red-ui-typedInput-options:visible a[value="str"]').click();
  await value.locator("input.red-ui-typedInput-input").fill(eventId);
  await page.locator("#node-input-name").fill(name);
  await page.locator("#node-dialog-ok").click();
  await page.locator("#node-input-property-container").waitFor({ state: "detached" });
  const node = await page.evaluate((nodeId) => (window as unknown as EditorWindow).RED.nodes.node(nodeId), id);
  expect(node?.payload === eventId && node.payloadType === "str", `the inject node has payload ${node?.payload} of type ${node?.payloadType}`);
  ok(`inject "${name}": msg.payload = "${eventId}" (string), set in its dialog`);
}

async function nameNode(page: Page, id: string, name: string): Promise<void> {
  await openEditDialog(page, id);
  await page.locator("#node-input-name").fill(name);
  await page.locator("#node-dialog-ok").click();
  await page.locator("#node-input-name").waitFor({ state: "detached" });
}

/** Drags a wire from an output port to a node's input port with the mouse. */
async function wire(page: Page, from: string, port: number, to: string): Promise<void> {
  const start = await steadyCentre(nodeGroup(page, from).locator("> g.red-ui-flow-port-output").nth(port).locator("rect"));
  const end = await steadyCentre(nodeGroup(page, to).locator("> g.red-ui-flow-port-input rect"));
  await mouseDrag(page, start, end);
  const links = await page.evaluate(
    ({ source, sourcePort, target }) => {
      const RED = (window as unknown as EditorWindow).RED;
      return RED.nodes.filterLinks({ source: RED.nodes.node(source), sourcePort, target: RED.nodes.node(target) }).length;
    },
    { source: from, sourcePort: port, target: to },
  );
  expect(links === 1, `dragging from output ${port + 1} of ${from} to ${to} made ${links} wires`);
}

// ---------------------------------------------------------------------------
// 4. Deploy and run.

async function deploy(session: Session, ids: FlowIds): Promise<void> {
  const { page, red } = session;
  await page.locator("#red-ui-header-button-deploy").click();
  await page.locator(".red-ui-notification-success", { hasText: "Successfully deployed" }).waitFor();

  // What the runtime got from the editor.
  const flows = await request(`${red.url}/flows`, { headers: { Accept: "application/json" } });
  const nodes = (parseJson(flows, "GET /flows") as unknown[]).filter(isRecord);
  const event = nodes.find((node) => node.id === ids.event);
  const config = nodes.find((node) => node.type === "flatpeak-config");
  expect(event?.outputs === 4 && event.eventOutput === true && event.server === config?.id, `the deployed event node is ${JSON.stringify(event)}`);
  expect(config?.baseUrl === session.sim.url && config.name === CONFIG_NAME, `the deployed config node is ${JSON.stringify(config)}`);
  const creds = await request(`${red.url}/credentials/flatpeak-config/${String(config.id)}`, { headers: { Accept: "application/json" } });
  const stored = parseJson(creds, "GET /credentials") as Record<string, unknown>;
  expect(stored.accountId === SIMULATOR_ACCOUNT_ID && stored.has_apiKey === true && !hasSecret(creds.text), `the runtime's credentials for the config node: ${creds.text}`);
  ok(`Deploy: "Successfully deployed"; the runtime has the event node (4 outputs) and the config node with its account ID and API key stored`);
}

async function clickInject(page: Page, id: string): Promise<void> {
  await nodeGroup(page, id).locator(".red-ui-flow-node-button").click();
  await page.locator(".red-ui-notification-success", { hasText: "Successfully injected" }).waitFor();
  ok("clicked the inject node's button: \"Successfully injected\"");
}

interface DebugMessage {
  node: string;
  topic: string;
  payload: string;
}

async function readDebugMessages(page: Page): Promise<DebugMessage[]> {
  return page.locator(".red-ui-debug-msg").evaluateAll((list) =>
    list.map((msg) => ({
      node: (msg.querySelector(".red-ui-debug-msg-name")?.textContent ?? "").trim(),
      topic: (msg.querySelector(".red-ui-debug-msg-topic")?.textContent ?? "").trim(),
      payload: (msg.querySelector(".red-ui-debug-msg-payload")?.textContent ?? "").replace(/\s+/g, " ").trim(),
    })),
  );
}

/** The messages about one device (topic flatpeak/<device>/…). */
function messagesAbout(seen: DebugMessage[], device: string): DebugMessage[] {
  return seen.filter((msg) => msg.topic.startsWith(`flatpeak/${device}/`));
}

/**
 * The four messages the event node sends for one device event (battery, PV,
 * EV charger, whole event), each from the debug node of its port; the battery
 * message with `capacity`, the whole event with `eventId`.
 */
function checkEventMessages(seen: DebugMessage[], device: string, capacity: string, eventId: string): void {
  const sections = ["battery", "pv", "ev_charger", "event"];
  sections.forEach((sectionName, index) => {
    const found = seen.find((msg) => msg.topic.startsWith(`flatpeak/${device}/${sectionName} `));
    expect(found, `no debug message with topic flatpeak/${device}/${sectionName}; the sidebar shows ${JSON.stringify(seen)}`);
    expect(found.node === `node: ${DEBUG_NAMES[index]}`, `the ${sectionName} message came from "${found.node}", expected the debug node "${DEBUG_NAMES[index]}"`);
  });
  const battery = seen.find((msg) => msg.topic.startsWith(`flatpeak/${device}/battery `));
  expect(battery?.payload.includes(`capacity_kwh: ${capacity}`), `the battery message shows ${battery?.payload}, expected capacity_kwh: ${capacity}`);
  const whole = seen.find((msg) => msg.topic.startsWith(`flatpeak/${device}/event `));
  expect(whole?.payload.includes(`id: "${eventId}"`), `the whole-event message shows ${whole?.payload}, expected the event ${eventId}`);
  const about = messagesAbout(seen, device);
  expect(about.length === 4, `the Debug sidebar shows ${about.length} messages about ${device}, expected 4: ${JSON.stringify(about)}`);
}

async function checkDebugSidebar(page: Page): Promise<void> {
  await page.locator("#red-ui-tab-debug-link-button").click();
  const seen = await waitFor(() => readDebugMessages(page), (list) => list.length >= 4, UI_TIMEOUT_MS);
  const device = (FULL_DEVICE.data as { id: string }).id;
  checkEventMessages(seen, device, BATTERY_CAPACITY, FULL_DEVICE.id);
  expect(seen.length === 4, `the Debug sidebar shows ${seen.length} messages, expected 4: ${JSON.stringify(seen)}`);
  ok(`Debug sidebar: battery (capacity_kwh: ${BATTERY_CAPACITY}), PV, EV charger and whole event, each from its debug node`);
}

// ---------------------------------------------------------------------------
// 5. Help.

async function openHelpFor(page: Page, entry: string): Promise<Locator> {
  if (!(await page.locator("#red-ui-tab-help").evaluate((el) => el.classList.contains("active")).catch(() => false))) {
    await page.locator("#red-ui-tab-help-link-button").click();
  }
  const search = page.locator(".red-ui-sidebar-help-stack").locator("..").locator("input.red-ui-searchBox-input");
  await search.click();
  await search.press("ControlOrMeta+A");
  await page.keyboard.type("flatpeak", { delay: 20 });
  await page.locator(".red-ui-sidebar-help-stack .red-ui-treeList-label", { hasText: entry }).click();
  const content = page.locator(".red-ui-sidebar-help-stack > .red-ui-panel").last();
  await content.locator("h3").first().waitFor();
  return content;
}

interface HelpContent {
  /** The title the sidebar puts above the help (the palette label). */
  title: string;
  headings: string[];
  /** The names of the message properties listed (`<dt>`), e.g. payload, flatpeak.source. */
  properties: string[];
  /** Text in italics or bold: how the help names a dialog field or an editor option. */
  emphasized: string[];
  text: string;
  links: string[];
}

async function readHelp(content: Locator): Promise<HelpContent> {
  return content.evaluate((el) => ({
    title: (el.querySelector("h1.red-ui-help-title")?.textContent ?? "").trim(),
    headings: [...el.querySelectorAll("h3")].map((h) => (h.textContent ?? "").trim()),
    properties: [...el.querySelectorAll("dl.message-properties dt")].map((dt) => (dt.firstChild?.textContent ?? "").trim()),
    emphasized: [...el.querySelectorAll("i, b, em, strong")].map((node) => (node.textContent ?? "").replace(/\s+/g, " ").trim()),
    text: (el as HTMLElement).innerText,
    links: [...el.querySelectorAll("a[href^='http']")].map((a) => a.getAttribute("href") ?? ""),
  }));
}

/** As a user does: selects the node on the canvas, then opens the Help sidebar; its help once the sidebar shows `title`. */
async function openHelpForNode(page: Page, id: string, title: string): Promise<HelpContent> {
  await nodeGroup(page, id).locator("> rect.red-ui-flow-node").click();
  if (!(await page.locator("#red-ui-tab-help").evaluate((el) => el.classList.contains("active")).catch(() => false))) {
    await page.locator("#red-ui-tab-help-link-button").click();
  }
  const content = page.locator(".red-ui-sidebar-help-stack > .red-ui-panel").last();
  // The sidebar may still show the help of the node selected before: wait for this one's title.
  await content.locator("h1.red-ui-help-title", { hasText: title }).waitFor();
  await content.locator("h3").first().waitFor();
  const help = await readHelp(content);
  expect(help.title === title, `the Help sidebar for the selected node is titled "${help.title}", expected "${title}"`);
  return help;
}

/** The sections Node-RED's help style guide asks for, all present. */
function checkHelpSections(help: HelpContent, node: string): void {
  for (const heading of ["Inputs", "Outputs", "Details", "References"]) {
    expect(help.headings.includes(heading), `the ${node} help has no ${heading} heading (headings: ${help.headings.join(", ")})`);
  }
}

/** Every field named in the help by its dialog label (from the catalog), as the user sees it. */
function checkHelpNamesFields(help: HelpContent, node: string, labels: string[]): void {
  const lower = help.text.toLowerCase();
  const missing = labels.filter((label) => !lower.includes(label.toLowerCase()));
  expect(missing.length === 0, `the ${node} help does not explain the field(s) ${missing.join(", ")}`);
}

/** Every field named in the help in italics, with its exact dialog label (a plain "every" in the text would not count). */
function checkHelpNamesLabels(help: HelpContent, node: string, labels: string[]): void {
  const missing = labels.filter((label) => !help.emphasized.includes(label));
  expect(missing.length === 0, `the ${node} help does not name the field(s) ${missing.join(", ")} by their labels (it emphasises ${JSON.stringify(help.emphasized)})`);
}

async function checkEventHelp(page: Page, id: string): Promise<void> {
  const help = await openHelpForNode(page, id, "flatpeak event");
  checkHelpSections(help, "flatpeak event");
  for (const label of PORT_LABELS) expect(help.text.toLowerCase().includes(label.toLowerCase()), `the flatpeak event help does not mention the output "${label}"`);
  // The webhook node's refusals are listed in its own help.
  const codes = Object.values(ERROR_CODES).filter((code) => !code.startsWith("FLATPEAK_WEBHOOK_"));
  const missing = codes.filter((code) => !help.text.includes(code));
  expect(missing.length === 0, `the flatpeak event help does not list the error code(s) ${missing.join(", ")}`);
  expect(help.links.some((link) => link.startsWith("https://docs.flatpeak.com/")), "the flatpeak event help links to no Flatpeak docs");
  ok(`Help sidebar for the selected flatpeak event node: ${help.headings.join(", ")}; all ${codes.length} error codes; links to docs.flatpeak.com`);
}

async function checkConfigHelp(page: Page): Promise<void> {
  // The help index names the config node by its palette label.
  const label = CONFIG_TEXT("paletteLabel");
  const content = await openHelpFor(page, label);
  const help = await readHelp(content);
  expect(help.text.includes(label), `the Help sidebar shows no ${label} (flatpeak-config) help: ${help.text.slice(0, 200)}`);
  for (const heading of ["Details", "References"]) {
    expect(help.headings.includes(heading), `the flatpeak-config help has no ${heading} heading (headings: ${help.headings.join(", ")})`);
  }
  const fields = ["accountId", "apiKey", "bearerToken", "baseUrl", "apiVersion", "timeout", "retries", "maxBackoff", "concurrency", "queueSize", "cacheSize"];
  checkHelpNamesFields(help, "flatpeak-config", fields.map((field) => CONFIG_TEXT(`label.${field}`)));
  ok(`Help sidebar for flatpeak-config (from the help index): ${help.headings.join(", ")}; explains all ${fields.length} settings`);
}

// ---------------------------------------------------------------------------
// 6. The source nodes: flatpeak watch and flatpeak webhook.

interface SourceIds {
  watch: string;
  httpIn: string;
  webhook: string;
}

/** The fields of a node as the editor holds them (what Done saved). */
async function editorFields(page: Page, id: string, keys: string[]): Promise<Record<string, unknown>> {
  return page.evaluate(
    ({ nodeId, fields }) => {
      const node = (window as unknown as EditorWindow).RED.nodes.node(nodeId) as unknown as Record<string, unknown> | undefined;
      return Object.fromEntries(fields.map((key) => [key, node?.[key]]));
    },
    { nodeId: id, fields: keys },
  );
}

/** Back to the top left at zoom 1, where the layout is (the help screenshot scrolled and zoomed the canvas). */
async function scrollCanvasHome(page: Page): Promise<void> {
  await page.evaluate(() => {
    const chart = document.getElementById("red-ui-workspace-chart");
    if (chart) chart.scrollTo(0, 0);
  });
  const scale = await page.evaluate(() => (window as unknown as EditorWindow).RED.view.scale());
  expect(scale === 1, `the canvas is at zoom ${scale}, expected 1`);
}

/** A new source node on the canvas: its label, our icon, one input, one output, and the port tooltips from its catalog. */
async function checkSourceOnCanvas(page: Page, id: string, label: string, ports: { input?: string; output: string }): Promise<void> {
  const group = nodeGroup(page, id);
  const shown = ((await group.locator(".red-ui-flow-node-label-text").textContent()) ?? "").trim();
  const icon = await group.locator("image.red-ui-flow-node-icon").evaluate((el) => el.getAttributeNS("http://www.w3.org/1999/xlink", "href") ?? el.getAttribute("href"));
  const inputs = group.locator("> g.red-ui-flow-port-input");
  const outputs = group.locator("> g.red-ui-flow-port-output");
  expect(shown === label, `the new ${label} node on the canvas is labelled "${shown}"`);
  const wantedIcon = iconUrl(label.replace(" ", "-"));
  expect(icon === wantedIcon, `the ${label} node shows the icon ${icon}, expected ${wantedIcon}`);
  expect((await inputs.count()) === 1 && (await outputs.count()) === 1, `the ${label} node has ${await inputs.count()} input and ${await outputs.count()} output ports, expected 1 and 1`);
  const output = await portTooltip(page, outputs.first());
  expect(output === ports.output, `the ${label} output port's tooltip says "${output}", expected "${ports.output}"`);
  const input = ports.input === undefined ? undefined : await portTooltip(page, inputs.first());
  expect(input === ports.input, `the ${label} input port's tooltip says "${input}", expected "${ports.input}"`);
  ok(`on the canvas: "${shown}" with our icon, 1 input and 1 output port; tooltips ${input === undefined ? "" : `input "${input}", `}output "${output}"`);
}

/** Each field's label in the open dialog is the catalog's `label.<field>`; the labels in field order. */
async function checkFieldLabels(page: Page, text: (key: string) => string, fields: string[], node: string): Promise<string[]> {
  const labels: string[] = [];
  for (const field of fields) {
    const shown = await labelText(page, `node-input-${field}`);
    expect(shown === text(`label.${field}`), `the ${node} dialog's ${field} label is "${shown}", expected "${text(`label.${field}`)}"`);
    labels.push(shown);
  }
  return labels;
}

/**
 * The Account select of an open dialog offers the config node made in the event
 * node's dialog; a new node starts on "none" (Node-RED's own choice for a new
 * node), so the user picks the account, as here.
 */
async function chooseAccount(page: Page, node: string): Promise<void> {
  const select = page.locator("#node-input-server");
  await select.locator("option", { hasText: CONFIG_NAME }).waitFor({ state: "attached" });
  const offered = (await select.locator("option").allTextContents()).map((text) => text.trim());
  expect(offered.includes(CONFIG_NAME), `the ${node} dialog's Account select offers ${JSON.stringify(offered)}, not the config node "${CONFIG_NAME}"`);
  await select.selectOption({ label: CONFIG_NAME });
  const shown = (await select.locator("option:checked").textContent())?.trim();
  expect(shown === CONFIG_NAME, `after choosing, the ${node} dialog's Account select shows "${shown}", expected "${CONFIG_NAME}"`);
}

/** The whole text of the form row that holds the field (label, field and the words after it). */
async function rowText(page: Page, fieldId: string): Promise<string> {
  const row = page.locator(".form-row", { has: page.locator(`#${fieldId}`) });
  return ((await row.textContent()) ?? "").replace(/\s+/g, " ").trim();
}

async function checkDefaults(page: Page, defaults: Record<string, string>, node: string): Promise<void> {
  for (const [field, value] of Object.entries(defaults)) {
    const shown = await page.locator(`#node-input-${field}`).inputValue();
    expect(shown === value, `a new ${node} node's ${field} shows "${shown}", expected "${value}"`);
  }
}

/** The store select offers the default store, chosen (settings.js sets up no other store here). */
async function checkStoreSelect(page: Page, text: (key: string) => string, node: string): Promise<void> {
  const store = page.locator("#node-input-store");
  const value = await store.inputValue();
  const shown = (await store.locator("option:checked").textContent())?.trim();
  expect(value === "" && shown === text("label.defaultStore"), `the ${node} dialog's store select shows "${shown}" (${value}), expected "${text("label.defaultStore")}"`);
}

async function checkWatchDialog(page: Page, id: string): Promise<void> {
  await openEditDialog(page, id);
  const labels = await checkFieldLabels(page, WATCH_TEXT, ["server", "interval", "eventTypes", "replay", "store", "name"], "flatpeak watch");
  await chooseAccount(page, "flatpeak watch");
  await checkDefaults(page, WATCH_DEFAULTS, "flatpeak watch");
  await checkStoreSelect(page, WATCH_TEXT, "flatpeak watch");
  const placeholder = await page.locator("#node-input-eventTypes").getAttribute("placeholder");
  expect(placeholder === WATCH_TEXT("placeholder.eventTypes"), `the Event types field's placeholder is "${placeholder}"`);
  const interval = await rowText(page, "node-input-interval");
  const replay = await rowText(page, "node-input-replay");
  expect(interval.endsWith(WATCH_TEXT("label.seconds")) && replay.endsWith(WATCH_TEXT("label.replayUnit")), `the units after Every and At first start read "${interval}" and "${replay}"`);
  ok(`flatpeak watch dialog: ${labels.join(", ")}; Account offers and takes "${CONFIG_NAME}"; Every ${WATCH_DEFAULTS.interval} ${WATCH_TEXT("label.seconds")}, all event types, At first start ${WATCH_DEFAULTS.replay}, ${WATCH_TEXT("label.defaultStore")}`);
}

/** Types the interval as a user does: below the bound the field is marked invalid, at the bound it is not. */
async function setWatchInterval(page: Page, id: string): Promise<void> {
  const field = page.locator("#node-input-interval");
  const invalid = (): Promise<boolean> => field.evaluate((el) => el.classList.contains("input-error"));
  await typeInto(page, field, String(WATCH_INTERVAL_S - 1));
  expect(await waitFor(invalid, (marked) => marked, 3000), `Every ${WATCH_INTERVAL_S - 1} is not marked invalid`);
  await typeInto(page, field, String(WATCH_INTERVAL_S));
  const stillInvalid = await waitFor(invalid, (marked) => !marked, 3000);
  expect(!stillInvalid, `Every ${WATCH_INTERVAL_S} is marked invalid`);
  await page.locator("#node-dialog-ok").click();
  await field.waitFor({ state: "detached" });
  const node = await editorFields(page, id, ["interval", "replay", "server", "valid"]);
  const config = await configNodeId(page);
  expect(Number(node.interval) === WATCH_INTERVAL_S && Number(node.replay) === Number(WATCH_DEFAULTS.replay) && node.server === config && node.valid !== false, `after Done the watch node is ${JSON.stringify(node)}`);
  ok(`Every ${WATCH_INTERVAL_S - 1} is marked invalid, ${WATCH_INTERVAL_S} is not; set Every to ${WATCH_INTERVAL_S} s; Done`);
}

async function typeInto(page: Page, field: Locator, text: string): Promise<void> {
  await field.click();
  await field.press("ControlOrMeta+A");
  // Typed, not filled: the editor validates on key events.
  await page.keyboard.type(text, { delay: 20 });
}

async function configNodeId(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    let id: string | undefined;
    (window as unknown as EditorWindow).RED.nodes.eachConfig((node) => {
      if (node.type === "flatpeak-config") id = node.id;
    });
    return id;
  });
}

async function checkWebhookDialog(page: Page, id: string): Promise<void> {
  await openEditDialog(page, id);
  const labels = await checkFieldLabels(page, WEBHOOK_TEXT, ["server", "tolerance", "allowUnsigned", "store", "name"], "flatpeak webhook");
  await chooseAccount(page, "flatpeak webhook");
  await checkDefaults(page, WEBHOOK_DEFAULTS, "flatpeak webhook");
  await checkStoreSelect(page, WEBHOOK_TEXT, "flatpeak webhook");
  const tolerance = await rowText(page, "node-input-tolerance");
  expect(tolerance.endsWith(WEBHOOK_TEXT("label.seconds")), `the unit after Tolerance reads "${tolerance}"`);
  const unsigned = page.locator("#node-input-allowUnsigned");
  expect((await unsigned.getAttribute("type")) === "checkbox" && !(await unsigned.isChecked()), "Unsigned is not an unticked checkbox on a new node");
  // The spec: allowUnsigned is for testing only, "the editor says so".
  const unsignedRow = await rowText(page, "node-input-allowUnsigned");
  expect(unsignedRow.includes(WEBHOOK_TEXT("label.allowUnsignedCheckbox")) && /testing only/.test(unsignedRow), `the Unsigned row reads "${unsignedRow}", without its warning`);
  await page.locator("#node-dialog-ok").click();
  await unsigned.waitFor({ state: "detached" });
  const node = await editorFields(page, id, ["tolerance", "allowUnsigned", "server", "valid"]);
  expect(Number(node.tolerance) === Number(WEBHOOK_DEFAULTS.tolerance) && node.allowUnsigned === false && node.server === (await configNodeId(page)) && node.valid !== false, `after Done the webhook node is ${JSON.stringify(node)}`);
  ok(`flatpeak webhook dialog: ${labels.join(", ")}; Account offers and takes "${CONFIG_NAME}"; Tolerance ${WEBHOOK_DEFAULTS.tolerance} ${WEBHOOK_TEXT("label.seconds")}, Unsigned unticked ("${WEBHOOK_TEXT("label.allowUnsignedCheckbox")}"), ${WEBHOOK_TEXT("label.defaultStore")}; Done`);
}

/** The http in node as the webhook help asks: POST, a URL, and "Do not parse request body" ticked. */
async function setUpHttpIn(page: Page, id: string): Promise<void> {
  await openEditDialog(page, id);
  await page.locator("#node-input-method").selectOption("post");
  const skip = page.locator("#node-input-skipBodyParsing");
  await skip.waitFor({ state: "visible" });
  const label = await labelText(page, "node-input-skipBodyParsing");
  expect(label === SKIP_PARSING_LABEL, `the http in dialog calls the option "${label}", the webhook help and error say "${SKIP_PARSING_LABEL}"`);
  await skip.check();
  await page.locator("#node-input-url").fill(HOOK_PATH);
  await page.locator("#node-dialog-ok").click();
  await skip.waitFor({ state: "detached" });
  const node = await editorFields(page, id, ["method", "url", "skipBodyParsing"]);
  expect(node.method === "post" && node.url === HOOK_PATH && node.skipBodyParsing === true, `after Done the http in node is ${JSON.stringify(node)}`);
  const shown = ((await nodeGroup(page, id).locator(".red-ui-flow-node-label-text").textContent()) ?? "").trim();
  ok(`http in "${shown}": method POST, URL ${HOOK_PATH}, "${label}" ticked, set in its dialog`);
}

async function deploySources(session: Session, ids: FlowIds, sources: SourceIds): Promise<void> {
  const { page, red } = session;
  // An old "Successfully deployed" must not count for this deploy.
  await waitForNotificationsToClose(page);
  await page.locator("#red-ui-header-button-deploy").click();
  await page.locator(".red-ui-notification-success", { hasText: "Successfully deployed" }).waitFor();

  // What the runtime got: the settings from the dialogs and the wires drawn with the mouse.
  const flows = await request(`${red.url}/flows`, { headers: { Accept: "application/json" } });
  const nodes = (parseJson(flows, "GET /flows") as unknown[]).filter(isRecord);
  const byId = (id: string): Record<string, unknown> | undefined => nodes.find((node) => node.id === id);
  const config = nodes.find((node) => node.type === "flatpeak-config")?.id;
  const wiredTo = (node: Record<string, unknown> | undefined, target: string): boolean => JSON.stringify(node?.wires) === JSON.stringify([[target]]);
  const watch = byId(sources.watch);
  const httpIn = byId(sources.httpIn);
  const webhook = byId(sources.webhook);
  expect(watch?.server === config && Number(watch?.interval) === WATCH_INTERVAL_S && wiredTo(watch, ids.event), `the deployed watch node is ${JSON.stringify(watch)}`);
  expect(httpIn?.method === "post" && httpIn.url === HOOK_PATH && httpIn.skipBodyParsing === true && wiredTo(httpIn, sources.webhook), `the deployed http in node is ${JSON.stringify(httpIn)}`);
  expect(webhook?.server === config && Number(webhook?.tolerance) === Number(WEBHOOK_DEFAULTS.tolerance) && webhook?.allowUnsigned === false && wiredTo(webhook, ids.event), `the deployed webhook node is ${JSON.stringify(webhook)}`);
  ok(`Deploy: "Successfully deployed"; the runtime has watch (every ${WATCH_INTERVAL_S} s) → flatpeak event and http in (POST ${HOOK_PATH}, raw body) → webhook → flatpeak event`);
}

interface NodeStatus {
  text: string;
  /** The status shape's class, e.g. red-ui-flow-node-status-dot-green. */
  shape: string;
}

async function nodeStatus(page: Page, id: string): Promise<NodeStatus> {
  return nodeGroup(page, id).evaluate((group) => {
    const shown = group.querySelector<SVGGElement>(".red-ui-flow-node-status-group");
    if (!shown || shown.style.display === "none") return { text: "", shape: "" };
    return {
      text: (shown.querySelector(".red-ui-flow-node-status-label")?.textContent ?? "").trim(),
      shape: (shown.querySelector("rect.red-ui-flow-node-status")?.getAttribute("class") ?? "").replace("red-ui-flow-node-status", "").trim(),
    };
  });
}

async function waitForStatus(page: Page, id: string, done: (status: NodeStatus) => boolean, timeoutMs: number, what: string): Promise<NodeStatus> {
  const status = await waitFor(() => nodeStatus(page, id), done, timeoutMs);
  expect(done(status), `the status under the ${what} node shows "${status.text}" (${status.shape || "no shape"}) after ${timeoutMs / 1000} s`);
  return status;
}

/** A device event for one source: the full-device sample under another device ID and battery capacity. */
function deviceData(device: { id: string; capacity: number }): unknown {
  const data = structuredClone(FULL_DEVICE.data) as { id: string; properties: { battery: { capacity_kwh: number } } };
  data.id = device.id;
  data.properties.battery.capacity_kwh = device.capacity;
  return data;
}

function polledText(count: number): string {
  return WATCH_TEXT("status.polled").replace("__count__", String(count));
}

async function watchSendsNewEvent(session: Session, sources: SourceIds): Promise<void> {
  const { page, sim } = session;
  await page.locator("#red-ui-tab-debug-link-button").click();
  // The first start only remembers where the list is (replay 0): an event created before that poll would never be sent.
  const first = await waitForStatus(page, sources.watch, (status) => status.text.startsWith(`${polledText(0)} · `), UI_TIMEOUT_MS, "flatpeak watch");
  const event = sim.createEvent({ type: "device.update", data: deviceData(WATCH_DEVICE) });
  const seen = await waitFor(() => readDebugMessages(page), (list) => messagesAbout(list, WATCH_DEVICE.id).length >= 4, WATCH_INTERVAL_S * 1000 + UI_TIMEOUT_MS);
  checkEventMessages(seen, WATCH_DEVICE.id, String(WATCH_DEVICE.capacity), event.id);
  // The help: "The status shows how many events were sent and the time of the last good poll."
  const status = await waitForStatus(page, sources.watch, (shown) => shown.text.startsWith(`${polledText(1)} · `), UI_TIMEOUT_MS, "flatpeak watch");
  expect(STATUS_TIME.test(status.text) && status.shape === "red-ui-flow-node-status-dot-green", `the watch status is "${status.text}" (${status.shape}), expected "${polledText(1)} · hh:mm:ss" on a green dot`);
  ok(`flatpeak watch: status "${first.text}" after the first poll; the simulator created ${event.id} (${WATCH_DEVICE.id}); the next poll sent it without a click: battery (capacity_kwh: ${WATCH_DEVICE.capacity}), PV, EV charger, whole event in the Debug sidebar; status "${status.text}" (green dot)`);
}

/** An event that only the webhook brings: not in the simulator's list, so the watch cannot send it too. */
function webhookEvent(): FlatpeakEvent {
  return { id: `evt_${randomBytes(12).toString("hex")}`, object: "event", type: "device.update", time_created: new Date().toISOString(), data: deviceData(WEBHOOK_DEVICE) };
}

async function webhookSendsDelivery(session: Session, sources: SourceIds): Promise<void> {
  const { page, sim, red } = session;
  const url = `${red.url}${HOOK_PATH}`;
  const event = webhookEvent();
  const answer = await sim.deliver(event, { url });
  expect(answer.status === 200 && answer.body === JSON.stringify({ received: true }), `the signed delivery to ${url} was answered ${answer.status} ${answer.body}`);
  const delivery = sim.stats.deliveries.at(-1);
  expect(delivery?.signed === true && delivery.keyId === sim.signingKey.kid, `the simulator's delivery record is ${JSON.stringify(delivery)}`);
  const seen = await waitFor(() => readDebugMessages(page), (list) => messagesAbout(list, WEBHOOK_DEVICE.id).length >= 4, UI_TIMEOUT_MS);
  checkEventMessages(seen, WEBHOOK_DEVICE.id, String(WEBHOOK_DEVICE.capacity), event.id);
  // The help says nothing about this status; the node shows the event type and the time.
  const status = await waitForStatus(page, sources.webhook, (shown) => shown.text.startsWith(`${event.type} · `), UI_TIMEOUT_MS, "flatpeak webhook");
  expect(STATUS_TIME.test(status.text) && status.shape === "red-ui-flow-node-status-dot-green", `the webhook status is "${status.text}" (${status.shape}), expected "${event.type} · hh:mm:ss" on a green dot`);
  ok(`flatpeak webhook: the simulator POSTed ${event.id} (${WEBHOOK_DEVICE.id}) signed with key ${delivery.keyId} to ${url}: answered 200 ${answer.body}; battery (capacity_kwh: ${WEBHOOK_DEVICE.capacity}), PV, EV charger, whole event in the Debug sidebar; status "${status.text}" (green dot)`);
  await webhookIgnoresRedelivery(session, sources, event);
}

/** Flatpeak delivers again when it missed the answer: 200, and not sent on a second time. */
async function webhookIgnoresRedelivery(session: Session, sources: SourceIds, event: FlatpeakEvent): Promise<void> {
  const { page, sim, red } = session;
  const answer = await sim.deliver(event, { url: `${red.url}${HOOK_PATH}` });
  expect(answer.status === 200 && answer.body === JSON.stringify({ received: true, duplicate: true }), `the redelivery was answered ${answer.status} ${answer.body}`);
  const duplicate = WEBHOOK_TEXT("status.duplicate");
  const status = await waitForStatus(page, sources.webhook, (shown) => shown.text.startsWith(`${duplicate} · `), UI_TIMEOUT_MS, "flatpeak webhook");
  expect(STATUS_TIME.test(status.text) && status.shape === "red-ui-flow-node-status-ring-yellow", `the webhook status after a redelivery is "${status.text}" (${status.shape}), expected "${duplicate} · hh:mm:ss" on a yellow ring`);
  // Debug messages and the status travel on the same connection: a message sent before the status would be here by now.
  const about = messagesAbout(await readDebugMessages(page), WEBHOOK_DEVICE.id);
  expect(about.length === 4, `after the redelivery the Debug sidebar shows ${about.length} messages about ${WEBHOOK_DEVICE.id}, expected still 4`);
  ok(`redelivery of ${event.id}: answered 200 ${answer.body}, nothing sent again; status "${status.text}" (yellow ring)`);
}

async function checkWatchHelp(page: Page, id: string): Promise<void> {
  const help = await openHelpForNode(page, id, "flatpeak watch");
  checkHelpSections(help, "flatpeak watch");
  const fields = ["interval", "eventTypes", "replay", "store"].map((field) => WATCH_TEXT(`label.${field}`));
  checkHelpNamesLabels(help, "flatpeak watch", fields);
  const outputs = ["payload", "topic", "flatpeak.event", "flatpeak.source"];
  const missing = outputs.filter((property) => !help.properties.includes(property));
  expect(missing.length === 0, `the flatpeak watch help does not list the output propert(ies) ${missing.join(", ")} (lists ${help.properties.join(", ")})`);
  expect(help.links.some((link) => link.startsWith("https://docs.flatpeak.com/")), "the flatpeak watch help links to no Flatpeak docs");
  ok(`Help sidebar for the selected flatpeak watch node: "${help.title}"; ${help.headings.join(", ")}; explains ${fields.join(", ")}; outputs ${outputs.join(", ")}; links to docs.flatpeak.com`);
}

async function checkWebhookHelp(page: Page, id: string): Promise<void> {
  const help = await openHelpForNode(page, id, "flatpeak webhook");
  checkHelpSections(help, "flatpeak webhook");
  const fields = ["tolerance", "allowUnsigned", "store"].map((field) => WEBHOOK_TEXT(`label.${field}`));
  checkHelpNamesLabels(help, "flatpeak webhook", fields);
  const properties = ["payload", "req, res", "topic", "flatpeak.event", "flatpeak.source", "flatpeak.webhook"];
  const missing = properties.filter((property) => !help.properties.includes(property));
  expect(missing.length === 0, `the flatpeak webhook help does not list the propert(ies) ${missing.join(", ")} (lists ${help.properties.join(", ")})`);
  // The http in settings it asks for, in the words of the http in dialog.
  expect(help.emphasized.includes("POST") && help.emphasized.includes(SKIP_PARSING_LABEL), `the flatpeak webhook help does not ask for POST and "${SKIP_PARSING_LABEL}"`);
  const codes = Object.values(ERROR_CODES).filter((code) => code.startsWith("FLATPEAK_WEBHOOK_"));
  const unlisted = codes.filter((code) => !help.text.includes(code));
  expect(unlisted.length === 0, `the flatpeak webhook help does not list the error code(s) ${unlisted.join(", ")}`);
  expect(help.links.some((link) => link.startsWith("https://docs.flatpeak.com/")), "the flatpeak webhook help links to no Flatpeak docs");
  ok(`Help sidebar for the selected flatpeak webhook node: "${help.title}"; ${help.headings.join(", ")}; explains ${fields.join(", ")}; asks for POST and "${SKIP_PARSING_LABEL}"; all ${codes.length} FLATPEAK_WEBHOOK_* codes; links to docs.flatpeak.com`);
}

// ---------------------------------------------------------------------------
// 7. Export.

async function checkExport(session: Session): Promise<void> {
  const { page, sim } = session;
  await page.locator("#red-ui-header-button-sidemenu").click();
  await page.locator("#menu-item-export").click();
  await page.locator("#red-ui-clipboard-dialog-export-rng-full").click();
  await page.locator("#red-ui-tab-red-ui-clipboard-dialog-export-tab-clipboard-json a").click();
  const textarea = page.locator("#red-ui-clipboard-dialog-export-text");
  await textarea.waitFor({ state: "visible" });
  const exported = await textarea.inputValue();
  await page.locator("#red-ui-clipboard-dialog-cancel").click();

  let nodes: unknown;
  try {
    nodes = JSON.parse(exported);
  } catch {
    fail(`the exported flow is not JSON: ${exported.slice(0, 200)}`);
  }
  expect(Array.isArray(nodes), "the exported flow is not a JSON array");
  const list = (nodes as unknown[]).filter(isRecord);
  const types = list.map((node) => String(node.type));
  for (const type of ["tab", "inject", "flatpeak-event", "flatpeak-config", "debug", "flatpeak-watch", "http in", "flatpeak-webhook"]) expect(types.includes(type), `the export of all flows has no ${type} node (types: ${types.join(", ")})`);
  const withCredentials = list.filter((node) => "credentials" in node).map((node) => `${String(node.type)} ${String(node.id)}`);
  expect(withCredentials.length === 0, `exported nodes carry credentials: ${withCredentials.join(", ")}`);
  const secrets: Array<[string, boolean]> = [
    ["the API key", exported.includes(SIMULATOR_API_KEY)],
    ["the wrong API key typed first", exported.includes(WRONG_API_KEY)],
    ["the account ID", exported.includes(SIMULATOR_ACCOUNT_ID)],
    ["a bearer token issued by the simulator", sim.issuedTokens.some((token) => exported.includes(token))],
    ["a JWT", JWT_PATTERN.test(exported)],
    ["a secret (hasSecret)", hasSecret(exported)],
  ];
  const found = secrets.filter(([, present]) => present).map(([what]) => what);
  expect(found.length === 0, `the exported flow contains ${found.join(", ")}`);
  expect(sim.issuedTokens.length > 0, "the simulator issued no token, so the token check proves nothing");
  ok(`Menu → Export → all flows → JSON: ${list.length} nodes (${[...new Set(types)].join(", ")}); no credentials, API key, account ID or any of the ${sim.issuedTokens.length} issued tokens`);
}

// ---------------------------------------------------------------------------
// 8. Screenshots for the README.

/** The wired flow and the Debug sidebar with the four messages. */
async function screenshotFlow(page: Page): Promise<void> {
  await page.locator("#red-ui-tab-debug-link-button").click();
  await filterPalette(page, "flatpeak");
  await page.locator('.red-ui-palette-node[data-palette-type="flatpeak-event"]').waitFor({ state: "visible" });
  await clearSelection(page);
  await centreFlow(page);
  await waitForNotificationsToClose(page);
  await calm(page);
  await screenshot(page, "editor-flow.png", "the wired flow, its status, and battery/PV/EV charger/whole event in the Debug sidebar");
}

/** Right after checkEventHelp, with the node still selected (a second click on it would count as a double-click). */
async function screenshotHelp(page: Page): Promise<void> {
  const toc = page.locator("#red-ui-sidebar-help-show-toc");
  if (await toc.evaluate((el) => el.classList.contains("selected"))) await toc.click();
  await widenSidebar(page, 520);
  // The canvas is narrower now: zoom out with the zoom button so that the whole flow still shows.
  await zoomOutTo(page, 0.8);
  await centreFlow(page);
  await calm(page);
  await screenshot(page, "editor-help.png", "the Help sidebar for the selected flatpeak event node");
  await page.locator("#red-ui-view-zoom-zero").click();
  await widenSidebar(page, 315);
  if (!(await toc.evaluate((el) => el.classList.contains("selected")))) await toc.click();
}

async function zoomOutTo(page: Page, scale: number): Promise<void> {
  const current = (): Promise<number> => page.evaluate(() => (window as unknown as EditorWindow).RED.view.scale());
  for (let i = 0; i < 10 && (await current()) > scale + 0.01; i++) {
    await page.locator("#red-ui-view-zoom-out").click();
    await sleep(200);
  }
}

/** Scrolls the canvas so that the flow sits in the middle of what is visible. */
async function centreFlow(page: Page): Promise<void> {
  await page.evaluate(() => {
    const chart = document.getElementById("red-ui-workspace-chart");
    const groups = [...document.querySelectorAll("#red-ui-workspace-chart g.red-ui-flow-node-group")].map((g) => g.getBoundingClientRect());
    if (!chart || groups.length === 0) return;
    const view = chart.getBoundingClientRect();
    const left = Math.min(...groups.map((r) => r.left));
    const right = Math.max(...groups.map((r) => r.right));
    const top = Math.min(...groups.map((r) => r.top));
    const bottom = Math.max(...groups.map((r) => r.bottom));
    chart.scrollLeft += (left + right) / 2 - (view.left + view.width / 2);
    chart.scrollTop += (top + bottom) / 2 - (view.top + view.height / 2);
  });
  await sleep(200);
}

/** Drags the sidebar's separator so that the sidebar is about `width` px wide. */
async function widenSidebar(page: Page, width: number): Promise<void> {
  const separator = page.locator("#red-ui-sidebar-separator");
  const from = await steadyCentre(separator);
  await mouseDrag(page, from, { x: VIEWPORT.width - width, y: from.y });
  await sleep(300);
}

async function clearSelection(page: Page): Promise<void> {
  const empty = await canvasPoint(page, { x: 400, y: 620 });
  await page.mouse.click(empty.x, empty.y);
}

// ---------------------------------------------------------------------------

interface FlowIds {
  event: string;
  inject: string;
  debug: string[];
}

async function buildFlow(session: Session): Promise<FlowIds> {
  const { page } = session;
  section("3. Palette, canvas and dialogs (mouse and keyboard)");
  // The core nodes first, so that the palette still shows "flatpeak" behind the dialogs (and in the screenshots).
  const inject = await step(session, "drag inject onto the canvas", () => dragFromPalette(page, "inject", "inject", LAYOUT.inject));
  const debug: string[] = [];
  for (const [index, at] of LAYOUT.debug.entries()) {
    debug.push(await step(session, `drag debug ${index + 1} onto the canvas`, () => dragFromPalette(page, "debug", "debug", at)));
  }
  await step(session, "palette entry", () => checkPaletteEntry(page));
  const event = await step(session, "drag flatpeak event onto the canvas", () => dragFromPalette(page, "flatpeak-event", "flatpeak", LAYOUT.event));
  await step(session, "flatpeak event on the canvas", () => checkCanvasNode(page, event));
  await step(session, "event node dialog", () => checkEventDialog(page, event));
  await step(session, "new flatpeak-config node", () => addConfigNode(session));
  await step(session, "finish the event node dialog", () => finishEventDialog(page, event));
  await step(session, "output ports and their labels", () => checkOutputPorts(page, event));
  await step(session, "inject payload", () => setInjectPayload(page, inject, FULL_DEVICE.id, "full device event"));
  await step(session, "name the debug nodes", async () => {
    for (const [index, id] of debug.entries()) await nameNode(page, id, DEBUG_NAMES[index]);
    ok(`named the debug nodes ${DEBUG_NAMES.join(", ")} in their dialogs`);
  });
  await step(session, "wires", async () => {
    await wire(page, inject, 0, event);
    for (const [port, id] of debug.entries()) await wire(page, event, port, id);
    ok("wired with the mouse (port to port): inject → flatpeak event, outputs 1–4 → one debug node each");
  });
  return { event, inject, debug };
}

async function runFlow(session: Session, ids: FlowIds): Promise<void> {
  const { page } = session;
  section("4. Deploy and run");
  await step(session, "deploy", () => deploy(session, ids));
  await step(session, "inject", () => clickInject(page, ids.inject));
  await step(session, "debug sidebar", () => checkDebugSidebar(page));
  await step(session, "screenshot of the flow", () => screenshotFlow(page));
}

async function checkHelp(session: Session, ids: FlowIds): Promise<void> {
  const { page } = session;
  section("5. Help sidebar");
  await step(session, "help for flatpeak event", () => checkEventHelp(page, ids.event));
  await step(session, "screenshot of the help", () => screenshotHelp(page));
  await step(session, "help for flatpeak-config", () => checkConfigHelp(page));
}

/** After the screenshots, so that they keep showing the event node's own flow. */
async function buildSources(session: Session, ids: FlowIds): Promise<SourceIds> {
  const { page } = session;
  section("6. Source nodes on the canvas, their dialogs and wires (mouse and keyboard)");
  await step(session, "canvas back to the top left", () => scrollCanvasHome(page));
  const httpIn = await step(session, "drag http in onto the canvas", () => dragFromPalette(page, "http in", "http in", LAYOUT.httpIn));
  const watch = await step(session, "drag flatpeak watch onto the canvas", () => dragFromPalette(page, "flatpeak-watch", "flatpeak", LAYOUT.watch));
  await step(session, "flatpeak watch on the canvas", () => checkSourceOnCanvas(page, watch, "flatpeak watch", { output: WATCH_TEXT("label.output") }));
  await step(session, "watch node dialog", () => checkWatchDialog(page, watch));
  await step(session, "watch interval", () => setWatchInterval(page, watch));
  const webhook = await step(session, "drag flatpeak webhook onto the canvas", () => dragFromPalette(page, "flatpeak-webhook", "flatpeak", LAYOUT.webhook));
  await step(session, "flatpeak webhook on the canvas", () =>
    checkSourceOnCanvas(page, webhook, "flatpeak webhook", { input: WEBHOOK_TEXT("label.input"), output: WEBHOOK_TEXT("label.output") }),
  );
  await step(session, "webhook node dialog", () => checkWebhookDialog(page, webhook));
  await step(session, "http in dialog", () => setUpHttpIn(page, httpIn));
  await step(session, "source wires", async () => {
    await wire(page, watch, 0, ids.event);
    await wire(page, httpIn, 0, webhook);
    await wire(page, webhook, 0, ids.event);
    ok("wired with the mouse: flatpeak watch → flatpeak event, http in → flatpeak webhook → flatpeak event");
  });
  return { watch, httpIn, webhook };
}

async function runSources(session: Session, ids: FlowIds, sources: SourceIds): Promise<void> {
  section("7. Deploy again; events arrive by themselves");
  await step(session, "deploy the source nodes", () => deploySources(session, ids, sources));
  await step(session, "an event for flatpeak watch", () => watchSendsNewEvent(session, sources));
  await step(session, "a webhook delivery", () => webhookSendsDelivery(session, sources));
}

async function checkSourceHelpAndExport(session: Session, sources: SourceIds): Promise<void> {
  const { page } = session;
  section("8. Help sidebar for the source nodes");
  await step(session, "help for flatpeak watch", () => checkWatchHelp(page, sources.watch));
  await step(session, "help for flatpeak webhook", () => checkWebhookHelp(page, sources.webhook));
  section("9. Export");
  await step(session, "export", () => checkExport(session));
}

function checkNoPageProblems(session: Session): void {
  expect(session.problems.length === 0, `the editor had problems:\n    ${session.problems.join("\n    ")}`);
  ok("no page errors, no console errors about the package, no failed requests to Node-RED");
}

/** Errors or warnings Node-RED logged about the package, and secrets anywhere in its output. */
function checkNodeRedOutput(red: NodeRed): void {
  const output = red.output();
  const problems = output
    .split("\n")
    .filter((line) => /Waiting for missing types|Missing node modules/.test(line) || (/flatpeak/i.test(line) && /\[(error|warn)\]|not registered|version_mismatch/i.test(line)));
  expect(problems.length === 0, `Node-RED logged problems with the package:\n    ${problems.join("\n    ")}\n${tail(output)}`);
  expect(!hasSecret(output) && !output.includes(SIMULATOR_ACCOUNT_ID), "Node-RED's output contains the API key, the account ID or a token");
  ok("Node-RED's output: no errors or warnings about the package, no secrets");
}

async function main(): Promise<void> {
  const began = Date.now();
  console.log(`Editor check for ${PKG}@${MANIFEST.version}`);

  section("1. Install the packed tarball into a fresh Node-RED user directory");
  const tarball = await packTarball(makeTempDir("pack"));
  const userDir = makeTempDir("userdir");
  await installIntoUserDir(tarball, userDir);

  section("2. Start Node-RED (empty flow) and the Flatpeak simulator");
  const red = await startNodeRed(userDir);
  const sim = await startSimulator();
  onCleanUp(() => sim.close());
  ok(`simulator at ${sim.url}`);
  const browser = await launchBrowser();
  const session = await openEditor(browser, red, sim);

  const ids = await buildFlow(session);
  await runFlow(session, ids);
  await checkHelp(session, ids);
  const sources = await buildSources(session, ids);
  await runSources(session, ids, sources);
  await checkSourceHelpAndExport(session, sources);

  section("10. Clean up");
  checkNoPageProblems(session);
  await browser.close();
  const ending = await red.stop();
  ok(`browser closed; Node-RED ${ending}`);
  checkNodeRedOutput(red);
  console.log(`\nEditor check passed in ${((Date.now() - began) / 1000).toFixed(1)} s`);
}

runCheck(main);
