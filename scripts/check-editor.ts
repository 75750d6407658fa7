/**
 * Editor check in a real browser: installs the packed tarball into a fresh
 * Node-RED user directory (as a user gets the package), starts Node-RED with an
 * empty flow and the Flatpeak simulator, and uses the editor in headless
 * Chromium as a person would: finds "flatpeak event" in the palette, drags it
 * onto the canvas with the mouse, creates a flatpeak-config node in its dialog
 * (Test connection with a wrong and a right key), ticks "Whole event", wires
 * inject → flatpeak event → debug nodes with the mouse, deploys, clicks the
 * inject button and reads the Debug sidebar; then reads the Help sidebar and
 * checks that Menu → Export holds no secret. It saves the README screenshots
 * (docs/images/editor-flow.png, editor-config.png, editor-help.png).
 *
 * Run with `npm run test:editor` (builds first). Env, besides those in
 * check-common.ts:
 *   CHECK_CHROMIUM          the Chromium binary (default /usr/bin/chromium; never downloaded)
 *   CHECK_SCREENSHOT_DIR    where the README screenshots go (default docs/images)
 *   CHECK_HEADED=1          show the browser window (needs a display)
 */
import { mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { ERROR_CODES } from "../nodes/lib/client/errors";
import { SAMPLES } from "../simulator/sample-events";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, startSimulator, type Simulator } from "../simulator/server";
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
const ICON = "flatpeak.svg";
const ICON_URL = `icons/${PKG}/${ICON}`;
const CONFIG_NAME = "Flatpeak simulator";
const WRONG_API_KEY = "sk_test_wrongKey0000000000000000000";
const FULL_DEVICE = SAMPLES.fullDevice.event;
/** The battery section of the full-device sample, whose capacity the Debug sidebar must show. */
const BATTERY_CAPACITY = String((FULL_DEVICE.data as { properties: { battery: { capacity_kwh: number } } }).properties.battery.capacity_kwh);

/** en-US texts, read from the package's own catalogs so that the check follows their wording. */
const EVENT_TEXT = readCatalog("flatpeak-event");
const CONFIG_TEXT = readCatalog("flatpeak-config");
/** Output port labels, in port order. */
const PORT_LABELS = ["battery", "pv", "ev_charger", "event"].map((key) => EVENT_TEXT(`outputs.${key}`));

/** Where the nodes go, in canvas coordinates (the canvas starts scrolled to 0,0 at zoom 1). */
const LAYOUT = {
  inject: { x: 160, y: 300 },
  event: { x: 400, y: 300 },
  debug: [180, 260, 340, 420].map((y) => ({ x: 660, y })),
};
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

/** The centre of an element once it has stopped moving (palette filtering and sidebars animate). */
async function steadyCentre(locator: Locator): Promise<Point> {
  let last: string | undefined;
  for (let i = 0; i < 50; i++) {
    const box = await locator.boundingBox();
    const now = box ? JSON.stringify(box) : undefined;
    if (box && now === last) return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
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
  const sourceLabels = await page.evaluate(() =>
    ["flatpeak-watch", "flatpeak-webhook"].map((type) => document.querySelector(`.red-ui-palette-node[data-palette-type="${type}"]`)?.getAttribute("data-palette-label")),
  );
  expect(JSON.stringify(sourceLabels) === JSON.stringify(["flatpeak watch", "flatpeak webhook"]), `the source nodes' palette labels are ${JSON.stringify(sourceLabels)}`);
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
  const ours = readFileSync(join(REPO, "icons", ICON), "utf8");
  expect(served.status === 200 && served.text === ours, `GET /${ICON_URL} from the editor answered HTTP ${served.status} with ${served.text.length} characters, not our icons/${ICON}`);
  expect(served.drawn, `the browser cannot draw /${ICON_URL} (${served.type})`);
  ok(`palette: "flatpeak event" in category "${info.header}", alone under the filter "flatpeak", icon /${ICON_URL} (our file, ${served.type}, drawable)`);
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
  await page.locator("#node-dialog-ok").waitFor({ state: "visible" });
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
  for (let index = 0; index < 4; index++) {
    await ports.nth(index).hover();
    const tooltip = page.locator(".red-ui-flow-port-tooltip");
    await tooltip.waitFor();
    hovered.push(((await tooltip.textContent()) ?? "").trim());
    await page.mouse.move(VIEWPORT.width / 2, VIEWPORT.height - 5);
    await tooltip.waitFor({ state: "detached" });
  }
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

async function checkDebugSidebar(page: Page): Promise<void> {
  await page.locator("#red-ui-tab-debug-link-button").click();
  const messages = page.locator(".red-ui-debug-msg");
  await waitFor(() => messages.count(), (count) => count >= 4, UI_TIMEOUT_MS);
  const seen = await messages.evaluateAll((list) =>
    list.map((msg) => ({
      node: (msg.querySelector(".red-ui-debug-msg-name")?.textContent ?? "").trim(),
      topic: (msg.querySelector(".red-ui-debug-msg-topic")?.textContent ?? "").trim(),
      payload: (msg.querySelector(".red-ui-debug-msg-payload")?.textContent ?? "").replace(/\s+/g, " ").trim(),
    })),
  );
  const device = (FULL_DEVICE.data as { id: string }).id;
  const sections = ["battery", "pv", "ev_charger", "event"];
  sections.forEach((sectionName, index) => {
    const found = seen.find((msg) => msg.topic.startsWith(`flatpeak/${device}/${sectionName} `));
    expect(found, `no debug message with topic flatpeak/${device}/${sectionName}; the sidebar shows ${JSON.stringify(seen)}`);
    expect(found.node === `node: ${DEBUG_NAMES[index]}`, `the ${sectionName} message came from "${found.node}", expected the debug node "${DEBUG_NAMES[index]}"`);
  });
  const battery = seen.find((msg) => msg.topic.startsWith(`flatpeak/${device}/battery `));
  expect(battery?.payload.includes(`capacity_kwh: ${BATTERY_CAPACITY}`), `the battery message shows ${battery?.payload}, expected capacity_kwh: ${BATTERY_CAPACITY}`);
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
  headings: string[];
  text: string;
  links: string[];
}

async function readHelp(content: Locator): Promise<HelpContent> {
  return content.evaluate((el) => ({
    headings: [...el.querySelectorAll("h3")].map((h) => (h.textContent ?? "").trim()),
    text: (el as HTMLElement).innerText,
    links: [...el.querySelectorAll("a[href^='http']")].map((a) => a.getAttribute("href") ?? ""),
  }));
}

async function checkEventHelp(page: Page, id: string): Promise<void> {
  // As a user does: select the node on the canvas, then open the Help sidebar.
  await nodeGroup(page, id).locator("> rect.red-ui-flow-node").click();
  await page.locator("#red-ui-tab-help-link-button").click();
  const content = page.locator(".red-ui-sidebar-help-stack > .red-ui-panel").last();
  await content.locator("h3").first().waitFor();
  const help = await readHelp(content);
  expect(help.text.includes("flatpeak event"), `the Help sidebar for the selected node does not name it: ${help.text.slice(0, 200)}`);
  for (const heading of ["Inputs", "Outputs", "Details", "References"]) {
    expect(help.headings.includes(heading), `the flatpeak event help has no ${heading} heading (headings: ${help.headings.join(", ")})`);
  }
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
  const lower = help.text.toLowerCase();
  const missing = fields.map((field) => CONFIG_TEXT(`label.${field}`)).filter((label) => !lower.includes(label.toLowerCase()));
  expect(missing.length === 0, `the flatpeak-config help does not explain the field(s) ${missing.join(", ")}`);
  ok(`Help sidebar for flatpeak-config (from the help index): ${help.headings.join(", ")}; explains all ${fields.length} settings`);
}

// ---------------------------------------------------------------------------
// 6. Export.

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
  for (const type of ["tab", "inject", "flatpeak-event", "flatpeak-config", "debug"]) expect(types.includes(type), `the export of all flows has no ${type} node (types: ${types.join(", ")})`);
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
// 7. Screenshots for the README.

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

async function checkHelpAndExport(session: Session, ids: FlowIds): Promise<void> {
  const { page } = session;
  section("5. Help sidebar");
  await step(session, "help for flatpeak event", () => checkEventHelp(page, ids.event));
  await step(session, "screenshot of the help", () => screenshotHelp(page));
  await step(session, "help for flatpeak-config", () => checkConfigHelp(page));
  section("6. Export");
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
  await checkHelpAndExport(session, ids);

  section("7. Clean up");
  checkNoPageProblems(session);
  await browser.close();
  const ending = await red.stop();
  ok(`browser closed; Node-RED ${ending}`);
  checkNodeRedOutput(red);
  console.log(`\nEditor check passed in ${((Date.now() - began) / 1000).toFixed(1)} s`);
}

runCheck(main);
