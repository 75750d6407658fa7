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
 * Debug sidebar and the status under both nodes, and their help. Then prices
 * and plans, on a flow tab of their own (added with the + on the tabs bar):
 * drags "flatpeak price", "flatpeak plan" and three debug nodes onto it,
 * checks both nodes on the canvas (icon, ports and their labels), picks the
 * location in the price dialog from "List locations" (the simulator's
 * locations with address, time zone and currency), checks the Hours ahead
 * spinner against RED.settings.flatpeakPriceLimits, and in the plan dialog the
 * spinners against RED.settings.flatpeakPlanLimits, the HH:MM window, minutes
 * that do not fit the window, "In one run" hiding "Shortest run", the goal and
 * store selects; wires price → plan and the debug nodes with the mouse,
 * deploys, reads both statuses (the price now with its currency; "off · next
 * HH:MM–HH:MM" or "on until HH:MM") and the Debug sidebar (prices, price now,
 * the plan opened with a click), and their help. Last it checks that Menu →
 * Export holds no secret. It saves the README screenshots
 * (docs/images/editor-flow.png, editor-config.png, editor-help.png) before the
 * source nodes are added, so that they show the event node alone, and
 * docs/images/editor-price-plan.png of the price and plan flow.
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
import { PLAN_LIMITS } from "../nodes/lib/plan/job";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, SIMULATOR_LOCATIONS, startSimulator, versionOf, type FlatpeakEvent, type SimLocation, type Simulator } from "../simulator/server";
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
  readCatalog,
  request,
  runCheck,
  section,
  startNodeRed,
  tail,
  type NodeRed,
} from "./check-common";
import { REPO, isRecord, sleep } from "./support";

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

const PRICE_TEXT = readCatalog("flatpeak-price");
const PLAN_TEXT = readCatalog("flatpeak-plan");
/** flatpeak price's Hours ahead (SPEC "Prices": default 24, 1–72). */
const PRICE_HOURS = { default: 24, min: 1, max: 72 };
/** The location picked from the list: import and export connected, Europe/London, GBP. */
const PRICE_LOCATION = SIMULATOR_LOCATIONS.home;
/** What the plan is set to in its dialog: 2 hours a night, no run shorter than 30 minutes (README, example 07). */
const PLAN_SETTINGS = { minutes: "120", from: "22:00", until: "07:00", minRun: "30" };
const PRICE_FLOW_NAME = "Prices and plan";
/** The debug nodes of the price and plan flow, named after what they show. */
const PRICE_DEBUG_NAMES = { prices: "prices", priceNow: "price now", plan: "plan" };
/** The price and plan flow, on a tab of its own; debug nodes clear of the wires between price and plan. */
const PRICE_LAYOUT = {
  price: { x: 130, y: 160 },
  plan: { x: 420, y: 160 },
  debugPrices: { x: 420, y: 260 },
  debugPriceNow: { x: 420, y: 330 },
  debugPlan: { x: 680, y: 240 },
};

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
  workspaces: { active(): string };
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

/** Our node types in the palette, each with its palette label and its own icon (icons/<type>.svg). */
const PALETTE_TYPES = ["flatpeak-event", "flatpeak-watch", "flatpeak-webhook", "flatpeak-price", "flatpeak-plan"];

async function checkPaletteEntry(page: Page): Promise<void> {
  await filterPalette(page, "flatpeak");
  const entry = page.locator('.red-ui-palette-node[data-palette-type="flatpeak-event"]');
  await entry.waitFor({ state: "visible" });
  await steadyCentre(entry);
  const entries = await page.evaluate((types) => {
    const visible = [...document.querySelectorAll<HTMLElement>(".red-ui-palette-node")].filter((node) => node.offsetParent !== null).map((node) => node.getAttribute("data-palette-type"));
    const shown = types.map((type) => {
      const el = document.querySelector(`.red-ui-palette-node[data-palette-type="${type}"]`);
      return {
        type,
        label: el?.getAttribute("data-palette-label"),
        text: (el?.querySelector(".red-ui-palette-label")?.textContent ?? "").replace(/\s+/g, " ").trim(),
        category: el?.closest(".red-ui-palette-category")?.id,
        header: el?.closest(".red-ui-palette-category")?.querySelector(".red-ui-palette-header")?.textContent?.trim(),
        icon: el?.querySelector(".red-ui-palette-icon-container")?.getAttribute("data-palette-icon"),
        background: el?.querySelector<HTMLElement>(".red-ui-palette-icon")?.style.backgroundImage,
      };
    });
    return { visible, shown };
  }, PALETTE_TYPES);
  expect(JSON.stringify([...entries.visible].sort()) === JSON.stringify([...PALETTE_TYPES].sort()), `filtering the palette for "flatpeak" shows ${JSON.stringify(entries.visible)}, expected ${JSON.stringify(PALETTE_TYPES)}`);
  for (const shown of entries.shown) {
    const label = shown.type.replace("-", " ");
    expect(shown.label === label && shown.text === label, `palette label of ${shown.type} is "${shown.text}" (data-palette-label "${shown.label}"), expected "${label}"`);
    expect(shown.category === "red-ui-palette-container-flatpeak" && shown.header === "flatpeak", `"${label}" is in palette category ${shown.category} ("${shown.header}"), expected flatpeak`);
    const url = iconUrl(shown.type);
    expect(shown.icon === url && shown.background?.includes(url), `the palette icon of "${label}" is ${shown.icon} (${shown.background}), expected its own ${url}`);
  }

  // The editor fetches each icon from Node-RED: it must be our file, and the browser must be able to draw it.
  const kinds: string[] = [];
  for (const type of PALETTE_TYPES) {
    const url = iconUrl(type);
    const served = await page.evaluate(async (iconPath) => {
      const answer = await fetch(iconPath);
      const text = await answer.text();
      const image = new Image();
      image.src = iconPath;
      const drawn = await image.decode().then(
        () => image.naturalWidth > 0 && image.naturalHeight > 0,
        () => false,
      );
      return { status: answer.status, type: answer.headers.get("content-type"), text, drawn };
    }, url);
    const ours = readFileSync(join(REPO, "icons", iconFile(type)), "utf8");
    expect(served.status === 200 && served.text === ours, `GET /${url} from the editor answered HTTP ${served.status} with ${served.text.length} characters, not our icons/${iconFile(type)}`);
    expect(served.drawn, `the browser cannot draw /${url} (${served.type})`);
    kinds.push(served.type ?? "?");
  }
  const labels = PALETTE_TYPES.map((type) => `"${type.replace("-", " ")}"`).join(", ");
  ok(`palette: ${labels} in category "flatpeak", alone under the filter "flatpeak", each with its own icon /icons/${PKG}/<type>.svg (our files, ${[...new Set(kinds)].join(", ")}, drawable)`);
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
  // API version empty (SPEC "API versions"): POST /auth/tokens first, and after its 401/403 GET /login once (which a busbar account does not have).
  const logins = sim.stats.requests.filter((r) => r.route === "login").map((r) => `${r.method} ${r.path} ${String(r.status)}`);
  const expectedLogins = ["POST /auth/tokens 403", "GET /login 404"];
  expect(JSON.stringify(logins) === JSON.stringify(expectedLogins), `the simulator saw the logins ${JSON.stringify(logins)}, expected ${JSON.stringify(expectedLogins)} (both refused)`);
  ok(`Test connection with a wrong key: "${refused}" (${logins.join(", then ")})`);

  await page.locator("#node-config-input-apiKey").fill(SIMULATOR_API_KEY);
  const connected = await testConnection(page, "flatpeak-test-ok");
  // The simulator issues test-mode keys (live_mode false), so the answer names the test mode.
  // Then where it logged in and the version Flatpeak named (the simulator speaks busbar by default).
  const details = CONFIG_TEXT("test.details").replace("__route__", "POST /auth/tokens").replace("__version__", versionOf("busbar"));
  const wantedText = `${CONFIG_TEXT("test.okTest")}\n${details}`;
  expect(connected === wantedText, `with the simulator's key Test connection says ${JSON.stringify(connected)}, expected ${JSON.stringify(wantedText)}`);
  expect(sim.stats.requests.some((r) => r.route === "login" && r.status === 200), "the simulator saw no successful login from Test connection");
  ok(`Test connection with the simulator's key: "${connected.replace("\n", " / ")}"`);

  // The whole answer in the picture: the tray scrolls to it, as it does for a person who scrolls down.
  await page.locator("#node-config-test-result").scrollIntoViewIfNeeded();
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
  // The webhook node's refusals are listed in its own help, and FLATPEAK_NO_PRICES (prices only) in flatpeak price's.
  const codes = Object.values(ERROR_CODES).filter((code) => !code.startsWith("FLATPEAK_WEBHOOK_") && code !== ERROR_CODES["no-prices"]);
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
  await checkNodeOnCanvas(page, id, label.replace(" ", "-"), label, { input: ports.input, outputs: [ports.output] });
}

/** A new node on the canvas: its label, its own icon, one input, its outputs, and the port tooltips from its catalog. */
async function checkNodeOnCanvas(page: Page, id: string, type: string, label: string, ports: { input?: string; outputs: string[] }): Promise<void> {
  const group = nodeGroup(page, id);
  const shown = ((await group.locator(".red-ui-flow-node-label-text").textContent()) ?? "").trim();
  const icon = await group.locator("image.red-ui-flow-node-icon").evaluate((el) => el.getAttributeNS("http://www.w3.org/1999/xlink", "href") ?? el.getAttribute("href"));
  const inputs = group.locator("> g.red-ui-flow-port-input");
  const outputs = group.locator("> g.red-ui-flow-port-output");
  expect(shown === label, `the new ${type} node on the canvas is labelled "${shown}", expected "${label}"`);
  const wantedIcon = iconUrl(type);
  expect(icon === wantedIcon, `the ${type} node shows the icon ${icon}, expected ${wantedIcon}`);
  const counts = { inputs: await inputs.count(), outputs: await outputs.count() };
  expect(counts.inputs === 1 && counts.outputs === ports.outputs.length, `the ${type} node has ${counts.inputs} input and ${counts.outputs} output ports, expected 1 and ${ports.outputs.length}`);
  const tips: string[] = [];
  for (const [index, wanted] of ports.outputs.entries()) {
    const tip = await portTooltip(page, outputs.nth(index));
    expect(tip === wanted, `the ${type} node's output ${index + 1} tooltip says "${tip}", expected "${wanted}"`);
    tips.push(`"${tip}"`);
  }
  const input = ports.input === undefined ? undefined : await portTooltip(page, inputs.first());
  expect(input === ports.input, `the ${type} input port's tooltip says "${input}", expected "${ports.input}"`);
  const plural = ports.outputs.length === 1 ? "" : "s";
  ok(`on the canvas: "${shown}" with its own icon, 1 input and ${ports.outputs.length} output port${plural}; tooltips ${input === undefined ? "" : `input "${input}", `}output${plural} ${tips.join(", ")}`);
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
// 7. Prices and plans: flatpeak price → flatpeak plan on a flow of their own.

interface PricePlanIds {
  tab: string;
  price: string;
  plan: string;
  /** Debug nodes: the prices (price output 1), the price now (price output 2), the plan (plan output 2). */
  debugPrices: string;
  debugPriceNow: string;
  debugPlan: string;
}

/** Adds a flow tab with the "+" at the end of the tabs, and names it in its dialog (double-click on the tab); its id. */
async function addFlowTab(page: Page, name: string): Promise<string> {
  const active = (): Promise<string> => page.evaluate(() => (window as unknown as EditorWindow).RED.workspaces.active());
  const before = await active();
  await page.locator("#red-ui-workspace .red-ui-tab-button.red-ui-tabs-add > a").click();
  const tab = await waitFor(active, (id) => id !== before, 3000);
  expect(tab !== before, "the + at the end of the flow tabs opened no new flow");
  await page.locator(`#red-ui-workspace-tabs li.red-ui-tab[id="red-ui-tab-${tab}"] a`).dblclick();
  const field = page.locator("#node-input-name");
  await field.waitFor({ state: "visible" });
  await steadyCentre(page.locator("#node-dialog-ok"));
  await field.fill(name);
  await page.locator("#node-dialog-ok").click();
  await field.waitFor({ state: "detached" });
  const label = ((await page.locator(`#red-ui-workspace-tabs li.red-ui-tab[id="red-ui-tab-${tab}"] .red-ui-text-bidi-aware`).first().textContent()) ?? "").trim();
  expect(label === name, `the new flow tab is called "${label}", expected "${name}"`);
  await scrollCanvasHome(page);
  ok(`added the flow "${name}" with the + on the tabs bar, named in its dialog`);
  return tab;
}

/** The spinner's bounds, the runtime's table (RED.settings) and the spec must agree. */
async function spinnerBounds(page: Page, field: string): Promise<{ min: unknown; max: unknown }> {
  return page.evaluate((id) => {
    const $ = (window as unknown as { $: (selector: string) => { spinner(method: string, key: string): unknown } }).$;
    return { min: $(`#${id}`).spinner("option", "min"), max: $(`#${id}`).spinner("option", "max") };
  }, field);
}

async function runtimeSetting(page: Page, name: string): Promise<unknown> {
  return page.evaluate((key) => ((window as unknown as { RED: { settings: Record<string, unknown> } }).RED.settings[key]), name);
}

async function isMarkedInvalid(field: Locator): Promise<boolean> {
  return field.evaluate((el) => el.classList.contains("input-error"));
}

/** Types `text` into the field and waits until the editor marks it (in)valid as expected; says whether it did. */
async function typeAndJudge(page: Page, field: Locator, text: string, invalid: boolean): Promise<boolean> {
  await typeInto(page, field, text);
  return (await waitFor(() => isMarkedInvalid(field), (marked) => marked === invalid, 2000)) === invalid;
}

async function expectJudged(page: Page, fieldId: string, text: string, invalid: boolean, what: string): Promise<void> {
  const judged = await typeAndJudge(page, page.locator(`#${fieldId}`), text, invalid);
  expect(judged, `${what} "${text}" is ${invalid ? "not marked invalid" : "marked invalid"}`);
}

async function options(select: Locator): Promise<Array<{ value: string; text: string }>> {
  return select.locator("option").evaluateAll((list) => list.map((option) => ({ value: (option as HTMLOptionElement).value, text: (option.textContent ?? "").trim() })));
}

/** A location's address as the list names it: its lines, city and post code. */
function addressOf(location: SimLocation): string {
  const { address_line1: line, city, post_code: postCode } = location.postal_address;
  return [line, city, postCode].join(", ");
}

async function checkPriceDialog(session: Session, id: string): Promise<void> {
  const { page, sim } = session;
  await openEditDialog(page, id);
  const labels = await checkFieldLabels(page, PRICE_TEXT, ["server", "location", "direction", "hours", "refresh", "name"], "flatpeak price");
  await chooseAccount(page, "flatpeak price");
  const placeholder = await page.locator("#node-input-location").getAttribute("placeholder");
  expect(placeholder === PRICE_TEXT("placeholder.location"), `the Location field's placeholder is "${placeholder}"`);

  // List locations: the runtime asks Flatpeak with the deployed account's saved key; the browser sends none.
  const button = page.locator("#node-input-location-load");
  expect(((await button.textContent()) ?? "").trim() === PRICE_TEXT("label.list"), `the button beside Location reads "${(await button.textContent())?.trim()}", expected "${PRICE_TEXT("label.list")}"`);
  const listedBefore = sim.stats.locationRequests;
  const [sent] = await Promise.all([page.waitForRequest((req) => req.url().endsWith("/flatpeak-config/locations") && req.method() === "POST"), button.click()]);
  const body = sent.postData() ?? "";
  expect(!hasSecret(body) && !body.includes(SIMULATOR_ACCOUNT_ID) && body.includes("__PWRD__"), `List locations sent ${body}: it must name the saved secrets, never carry them`);
  const list = page.locator("#node-input-location-list");
  await list.waitFor({ state: "visible" });
  const all = Object.values(SIMULATOR_LOCATIONS);
  const result = ((await page.locator("#node-input-location-result").textContent()) ?? "").trim();
  expect(result === PRICE_TEXT("label.listed").replace("__count__", String(all.length)), `after List locations the dialog says "${result}"`);
  const offered = await options(list);
  const wanted = [
    { value: "", text: PRICE_TEXT("label.choose") },
    ...all.map((location) => ({ value: location.id, text: `${location.id} — ${addressOf(location)} · ${location.timezone} · ${location.currency_code}` })),
  ];
  expect(JSON.stringify(offered) === JSON.stringify(wanted), `the location list offers ${JSON.stringify(offered)}, expected ${JSON.stringify(wanted)}`);
  expect(sim.stats.locationRequests > listedBefore, "the simulator saw no GET /locations for List locations");
  await list.selectOption(PRICE_LOCATION.id);
  const picked = await page.locator("#node-input-location").inputValue();
  expect(picked === PRICE_LOCATION.id, `picking ${PRICE_LOCATION.id} from the list put "${picked}" into Location`);
  ok(`flatpeak price dialog: ${labels.join(", ")}; "${PRICE_TEXT("label.list")}" (POST /flatpeak-config/locations with the saved key, not the key): "${result}", ${all.map((location) => `${location.id.slice(-4)} ${location.postal_address.city} ${location.timezone} ${location.currency_code}`).join("; ")}; picked ${PRICE_LOCATION.id} (${addressOf(PRICE_LOCATION)})`);

  const direction = page.locator("#node-input-direction");
  const directions = await options(direction);
  const wantedDirections = [
    { value: "IMPORT", text: PRICE_TEXT("label.import") },
    { value: "EXPORT", text: PRICE_TEXT("label.export") },
  ];
  expect(JSON.stringify(directions) === JSON.stringify(wantedDirections) && (await direction.inputValue()) === "IMPORT", `Direction offers ${JSON.stringify(directions)} with ${await direction.inputValue()} chosen, expected ${JSON.stringify(wantedDirections)} with IMPORT`);

  // Hours ahead: the bounds of the runtime's table (RED.settings.flatpeakPriceLimits), in the spinner and the validation.
  const limits = (await runtimeSetting(page, "flatpeakPriceLimits")) as { hours?: { default?: number; min?: number; max?: number } } | undefined;
  const hours = limits?.hours;
  expect(hours?.default === PRICE_HOURS.default && hours.min === PRICE_HOURS.min && hours.max === PRICE_HOURS.max, `RED.settings.flatpeakPriceLimits is ${JSON.stringify(limits)}, expected hours ${JSON.stringify(PRICE_HOURS)} (SPEC)`);
  const bounds = await spinnerBounds(page, "node-input-hours");
  expect(bounds.min === hours.min && bounds.max === hours.max, `the Hours ahead spinner goes from ${String(bounds.min)} to ${String(bounds.max)}, expected ${hours.min}–${hours.max}`);
  const hoursField = page.locator("#node-input-hours");
  expect((await hoursField.inputValue()) === String(hours.default), `a new flatpeak price node's Hours ahead shows "${await hoursField.inputValue()}", expected ${hours.default}`);
  expect((await rowText(page, "node-input-hours")).endsWith(PRICE_TEXT("label.hoursUnit")), `the unit after Hours ahead reads "${await rowText(page, "node-input-hours")}"`);
  await expectJudged(page, "node-input-hours", String(hours.max + 1), true, "Hours ahead");
  await expectJudged(page, "node-input-hours", String(hours.min - 1), true, "Hours ahead");
  await expectJudged(page, "node-input-hours", String(hours.max), false, "Hours ahead");
  // At the top, the spinner's up arrow stays there.
  await page.locator(".form-row", { has: hoursField }).locator(".ui-spinner-up").click();
  expect((await hoursField.inputValue()) === String(hours.max), `the spinner's up arrow took Hours ahead from ${hours.max} to ${await hoursField.inputValue()}`);
  await expectJudged(page, "node-input-hours", String(hours.default), false, "Hours ahead");

  const refresh = page.locator("#node-input-refresh");
  expect((await refresh.getAttribute("type")) === "checkbox" && (await refresh.isChecked()), "Refresh is not a ticked checkbox on a new node");
  expect((await rowText(page, "node-input-refresh")).endsWith(PRICE_TEXT("label.refreshText")), `the Refresh row reads "${await rowText(page, "node-input-refresh")}"`);
  await page.locator("#node-dialog-ok").click();
  await refresh.waitFor({ state: "detached" });
  const node = await editorFields(page, id, ["server", "location", "direction", "hours", "refresh", "valid"]);
  expect(node.server === (await configNodeId(page)) && node.location === PRICE_LOCATION.id && node.direction === "IMPORT" && Number(node.hours) === hours.default && node.refresh === true && node.valid !== false, `after Done the price node is ${JSON.stringify(node)}`);
  ok(`Direction ${wantedDirections.map((option) => `"${option.text}"`).join(" / ")} (Import chosen); Hours ahead ${hours.default}, spinner ${bounds.min}–${bounds.max} as RED.settings.flatpeakPriceLimits, ${hours.max + 1} and ${hours.min - 1} marked invalid, the up arrow stops at ${hours.max}; Refresh ticked; Done`);
}

async function checkPlanDialog(page: Page, id: string): Promise<void> {
  await openEditDialog(page, id);
  const fields: Array<[string, string]> = [["minutes", "minutes"], ["from", "window"], ["contiguous", "contiguous"], ["minRun", "minRun"], ["goal", "goal"], ["store", "store"], ["name", "name"]];
  const labels: string[] = [];
  for (const [field, key] of fields) {
    const shown = await labelText(page, `node-input-${field}`);
    expect(shown === PLAN_TEXT(`label.${key}`), `the flatpeak plan dialog's ${field} label is "${shown}", expected "${PLAN_TEXT(`label.${key}`)}"`);
    labels.push(shown);
  }
  await checkDefaults(page, { minutes: String(PLAN_LIMITS.minutes.default), from: "00:00", until: "00:00", minRun: String(PLAN_LIMITS.minRun.default), goal: "lowest", store: "", name: "" }, "flatpeak plan");
  const windowRow = await rowText(page, "node-input-from");
  expect(windowRow === `${PLAN_TEXT("label.window")} ${PLAN_TEXT("label.from")} ${PLAN_TEXT("label.until")}`, `the Window row reads "${windowRow}"`);

  // The spinners' bounds: the runtime's table (RED.settings.flatpeakPlanLimits) is the one in nodes/lib/plan/job.ts.
  const limits = (await runtimeSetting(page, "flatpeakPlanLimits")) as Record<string, { default?: number; min?: number; max?: number }> | undefined;
  for (const key of ["minutes", "minRun"] as const) {
    const wanted = PLAN_LIMITS[key];
    const given = limits?.[key];
    expect(given?.default === wanted.default && given.min === wanted.min && given.max === wanted.max, `RED.settings.flatpeakPlanLimits.${key} is ${JSON.stringify(given)}, expected ${JSON.stringify(wanted)}`);
    const bounds = await spinnerBounds(page, `node-input-${key}`);
    expect(bounds.min === wanted.min && bounds.max === wanted.max, `the ${key} spinner goes from ${String(bounds.min)} to ${String(bounds.max)}, expected ${wanted.min}–${wanted.max}`);
    await expectJudged(page, `node-input-${key}`, String(wanted.max + 1), true, PLAN_TEXT(`label.${key}`));
    await expectJudged(page, `node-input-${key}`, String(wanted.min - 1), true, PLAN_TEXT(`label.${key}`));
    await expectJudged(page, `node-input-${key}`, String(wanted.default), false, PLAN_TEXT(`label.${key}`));
  }
  const { minutes: minutesLimits, minRun: minRunLimits } = PLAN_LIMITS;
  ok(`flatpeak plan dialog: ${labels.join(", ")}; defaults ${PLAN_LIMITS.minutes.default} min, 00:00–00:00, split, shortest run ${PLAN_LIMITS.minRun.default}, lowest, default store; spinners ${minutesLimits.min}–${minutesLimits.max} and ${minRunLimits.min}–${minRunLimits.max} as RED.settings.flatpeakPlanLimits, values beyond them marked invalid`);

  // The window: HH:MM on a 24-hour clock.
  for (const [field, bad] of [["from", "25:00"], ["until", "7:00"], ["from", "12:60"]] as const) await expectJudged(page, `node-input-${field}`, bad, true, field);
  await expectJudged(page, "node-input-from", "22:00", false, "from");
  await expectJudged(page, "node-input-until", "23:00", false, "until");
  // More minutes than the window holds: 90 in 22:00–23:00.
  const minutesField = page.locator("#node-input-minutes");
  const markedAtOnce = await typeAndJudge(page, minutesField, "90", true);
  expect(markedAtOnce, "Run for 90 minutes in the window 22:00–23:00 typed into the dialog is not marked invalid");
  ok("Run for 90 minutes in 22:00–23:00 is marked invalid in the dialog");
  await typeInto(page, page.locator("#node-input-until"), PLAN_SETTINGS.until);
  await expectJudged(page, "node-input-minutes", PLAN_SETTINGS.minutes, false, PLAN_TEXT("label.minutes"));
  for (const field of ["from", "until"]) expect(!(await isMarkedInvalid(page.locator(`#node-input-${field}`))), `${field} is still marked invalid`);

  // "In one run" hides the shortest run, which applies to split plans only.
  const minRunRow = page.locator("#flatpeak-plan-minRun-row");
  const contiguous = page.locator("#node-input-contiguous");
  expect(!(await contiguous.isChecked()) && (await minRunRow.isVisible()), "on a new node In one run is ticked, or Shortest run is hidden");
  await contiguous.check();
  await minRunRow.waitFor({ state: "hidden" });
  await contiguous.uncheck();
  await minRunRow.waitFor({ state: "visible" });
  await expectJudged(page, "node-input-minRun", PLAN_SETTINGS.minRun, false, PLAN_TEXT("label.minRun"));

  const goals = await options(page.locator("#node-input-goal"));
  const wantedGoals = [
    { value: "lowest", text: PLAN_TEXT("label.lowest") },
    { value: "highest", text: PLAN_TEXT("label.highest") },
  ];
  expect(JSON.stringify(goals) === JSON.stringify(wantedGoals), `Run when offers ${JSON.stringify(goals)}, expected ${JSON.stringify(wantedGoals)}`);
  // The stores of settings.js (check-common.ts sets up "file" beside the default one), after the default store.
  const stores = await options(page.locator("#node-input-store"));
  expect(stores[0]?.value === "" && stores[0].text === PLAN_TEXT("label.defaultStore") && stores.some((store) => store.value === "file"), `the Plan store select offers ${JSON.stringify(stores)}, expected "${PLAN_TEXT("label.defaultStore")}" first and the "file" store of settings.js`);
  await page.locator("#node-dialog-ok").click();
  await minutesField.waitFor({ state: "detached" });
  const node = await editorFields(page, id, ["minutes", "from", "until", "contiguous", "minRun", "goal", "store", "valid"]);
  const wanted = { minutes: Number(PLAN_SETTINGS.minutes), from: PLAN_SETTINGS.from, until: PLAN_SETTINGS.until, contiguous: false, minRun: Number(PLAN_SETTINGS.minRun), goal: "lowest", store: "" };
  const saved: Record<string, unknown> = { ...node, minutes: Number(node.minutes), minRun: Number(node.minRun) };
  expect(Object.entries(wanted).every(([key, value]) => saved[key] === value) && node.valid !== false, `after Done the plan node is ${JSON.stringify(node)}, expected ${JSON.stringify(wanted)}`);
  await nodeGroup(page, id).locator(".red-ui-flow-node-error").waitFor({ state: "hidden" });
  ok(`from "25:00", until "7:00" and "12:60" marked invalid; In one run hides Shortest run; Run when ${wantedGoals.map((goal) => `"${goal.text}"`).join(" / ")}; Plan store offers ${stores.map((store) => `"${store.text}"`).join(", ")}; set Run for ${PLAN_SETTINGS.minutes} min, ${PLAN_SETTINGS.from}–${PLAN_SETTINGS.until}, Shortest run ${PLAN_SETTINGS.minRun}; Done`);
}

async function buildPricePlan(session: Session): Promise<PricePlanIds> {
  const { page } = session;
  section("9. Prices and plans: flatpeak price → flatpeak plan on a flow of their own (mouse and keyboard)");
  const tab = await step(session, "a new flow tab", () => addFlowTab(page, PRICE_FLOW_NAME));
  const debugPrices = await step(session, "drag a debug node for the prices", () => dragFromPalette(page, "debug", "debug", PRICE_LAYOUT.debugPrices));
  const debugPriceNow = await step(session, "drag a debug node for the price now", () => dragFromPalette(page, "debug", "debug", PRICE_LAYOUT.debugPriceNow));
  const debugPlan = await step(session, "drag a debug node for the plan", () => dragFromPalette(page, "debug", "debug", PRICE_LAYOUT.debugPlan));
  const price = await step(session, "drag flatpeak price onto the canvas", () => dragFromPalette(page, "flatpeak-price", "flatpeak", PRICE_LAYOUT.price));
  await step(session, "flatpeak price on the canvas", () =>
    checkNodeOnCanvas(page, price, "flatpeak-price", "flatpeak price", { input: PRICE_TEXT("label.input"), outputs: [PRICE_TEXT("label.prices"), PRICE_TEXT("label.priceNow")] }),
  );
  const plan = await step(session, "drag flatpeak plan onto the canvas", () => dragFromPalette(page, "flatpeak-plan", "flatpeak", PRICE_LAYOUT.plan));
  await step(session, "flatpeak plan on the canvas", () =>
    checkNodeOnCanvas(page, plan, "flatpeak-plan", `flatpeak plan: ${PLAN_LIMITS.minutes.default} min`, {
      input: PLAN_TEXT("label.input"),
      outputs: ["switch", "plan", "chart"].map((key) => PLAN_TEXT(`label.${key}`)),
    }),
  );
  await step(session, "name the debug nodes", async () => {
    for (const [id, name] of [[debugPrices, PRICE_DEBUG_NAMES.prices], [debugPriceNow, PRICE_DEBUG_NAMES.priceNow], [debugPlan, PRICE_DEBUG_NAMES.plan]]) await nameNode(page, id, name);
    ok(`named the debug nodes ${Object.values(PRICE_DEBUG_NAMES).join(", ")} in their dialogs`);
  });
  await step(session, "flatpeak price dialog", () => checkPriceDialog(session, price));
  await step(session, "flatpeak plan dialog", () => checkPlanDialog(page, plan));
  await step(session, "price and plan wires", async () => {
    await wire(page, price, 0, plan);
    await wire(page, price, 0, debugPrices);
    await wire(page, price, 1, debugPriceNow);
    await wire(page, plan, 1, debugPlan);
    const label = ((await nodeGroup(page, plan).locator(".red-ui-flow-node-label-text").textContent()) ?? "").trim();
    const wantedLabel = `flatpeak plan: ${PLAN_SETTINGS.minutes} min ${PLAN_SETTINGS.from}–${PLAN_SETTINGS.until}`;
    expect(label === wantedLabel, `the plan node is labelled "${label}", expected "${wantedLabel}"`);
    ok(`wired with the mouse: flatpeak price (prices) → "${label}" and a debug node; price now → a debug node; plan output 2 → a debug node`);
  });
  return { tab, price, plan, debugPrices, debugPriceNow, debugPlan };
}

/** The price now as the status shows it ("0.1566 GBP · 23:58:02"), from the catalog's status.price. */
function priceStatusPattern(currency: string): RegExp {
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = escape(PRICE_TEXT("status.price")).replace("__price__", "(-?\\d+(?:\\.\\d+)?)").replace("__currency__", escape(currency)).replace("__time__", "\\d\\d:\\d\\d:\\d\\d");
  return new RegExp(`^${pattern}$`);
}

/** What the plan node's status may say (catalog status.*): on until, off and the next run, or (in a window's last minute) done. */
function planStatusPatterns(): RegExp[] {
  const time = "\\d\\d:\\d\\d";
  const pattern = (key: string): RegExp => new RegExp(`^${PLAN_TEXT(key).replace(/__\w+__/g, time)}$`);
  return [pattern("status.onUntil"), pattern("status.offNext"), pattern("status.offDone")];
}

async function runPricePlan(session: Session, ids: PricePlanIds): Promise<void> {
  const { page, red, sim } = session;
  section("10. Deploy; the prices, the price now and the plan arrive by themselves");
  await step(session, "deploy flatpeak price and flatpeak plan", async () => {
    await page.locator("#red-ui-tab-debug-link-button").click();
    await page.locator("#red-ui-sidebar-debug-clear").click();
    await waitFor(() => readDebugMessages(page), (list) => list.length === 0, 3000);
    await waitForNotificationsToClose(page);
    await page.locator("#red-ui-header-button-deploy").click();
    await page.locator(".red-ui-notification-success", { hasText: "Successfully deployed" }).waitFor();
    const nodes = (parseJson(await request(`${red.url}/flows`, { headers: { Accept: "application/json" } }), "GET /flows") as unknown[]).filter(isRecord);
    const price = nodes.find((node) => node.id === ids.price);
    const plan = nodes.find((node) => node.id === ids.plan);
    const wires = (node: Record<string, unknown> | undefined): string => JSON.stringify((node?.wires as string[][] | undefined)?.map((port) => [...port].sort()));
    expect(price?.z === ids.tab && price.location === PRICE_LOCATION.id && price.refresh === true && wires(price) === JSON.stringify([[ids.plan, ids.debugPrices].sort(), [ids.debugPriceNow]]), `the deployed price node is ${JSON.stringify(price)}`);
    expect(plan?.z === ids.tab && Number(plan.minutes) === Number(PLAN_SETTINGS.minutes) && plan.from === PLAN_SETTINGS.from && wires(plan) === JSON.stringify([[], [ids.debugPlan], []]), `the deployed plan node is ${JSON.stringify(plan)}`);
    ok(`Deploy: "Successfully deployed"; the runtime has flatpeak price (${PRICE_LOCATION.id}, refresh) → flatpeak plan (${PLAN_SETTINGS.minutes} min, ${PLAN_SETTINGS.from}–${PLAN_SETTINGS.until}) on "${PRICE_FLOW_NAME}"`);
  });
  await step(session, "the status under flatpeak price and flatpeak plan", async () => {
    const pricePattern = priceStatusPattern(PRICE_LOCATION.currency_code);
    const price = await waitForStatus(page, ids.price, (status) => pricePattern.test(status.text), UI_TIMEOUT_MS, "flatpeak price");
    expect(price.shape === "red-ui-flow-node-status-dot-green", `the price status "${price.text}" is on ${price.shape}, expected a green dot`);
    const patterns = planStatusPatterns();
    const plan = await waitForStatus(page, ids.plan, (status) => patterns.some((pattern) => pattern.test(status.text)), UI_TIMEOUT_MS, "flatpeak plan");
    const on = patterns[0].test(plan.text);
    expect(plan.shape === (on ? "red-ui-flow-node-status-dot-green" : "red-ui-flow-node-status-ring-grey"), `the plan status "${plan.text}" is on ${plan.shape}, expected ${on ? "a green dot" : "a grey ring (a complete plan)"}`);
    expect(sim.stats.requests.some((r) => r.route === "prices" && r.body?.location_id === PRICE_LOCATION.id && r.status === 200), "the simulator answered no prices request for the price node");
    ok(`status: flatpeak price "${price.text}" (green dot), flatpeak plan "${plan.text}" (${on ? "green dot" : "grey ring"})`);
  });
  await step(session, "the Debug sidebar: prices, price now, plan", async () => {
    const topics = { prices: `flatpeak/${PRICE_LOCATION.id}/prices`, priceNow: `flatpeak/${PRICE_LOCATION.id}/price`, plan: "flatpeak/plan" };
    const about = (list: DebugMessage[], topic: string): DebugMessage[] => list.filter((msg) => msg.topic.startsWith(`${topic} `));
    // At deploy the plan node sends its plan before any prices came (averagePrice null), then the plan from the prices.
    const fromPrices = (msg: DebugMessage): boolean => /averagePrice: \d/.test(msg.payload);
    const seen = await waitFor(
      () => readDebugMessages(page),
      (list) => about(list, topics.prices).length > 0 && about(list, topics.priceNow).length > 0 && about(list, topics.plan).some(fromPrices),
      UI_TIMEOUT_MS,
    );
    const prices = about(seen, topics.prices)[0];
    const now = about(seen, topics.priceNow)[0];
    const from = (msg: DebugMessage | undefined, name: string): boolean => msg?.node === `node: ${name}`;
    const plans = about(seen, topics.plan);
    expect(from(prices, PRICE_DEBUG_NAMES.prices) && from(now, PRICE_DEBUG_NAMES.priceNow) && plans.every((msg) => from(msg, PRICE_DEBUG_NAMES.plan)), `the Debug sidebar's messages came from the wrong debug nodes: ${JSON.stringify(seen)}`);
    const plan = await expandDebugMessage(page, seen.findIndex((msg) => msg.topic.startsWith(`${topics.plan} `) && fromPrices(msg)));
    expect(prices?.payload.includes(`currency: "${PRICE_LOCATION.currency_code}"`) && prices.payload.includes(`timezone: "${PRICE_LOCATION.timezone}"`), `the prices in the Debug sidebar read ${JSON.stringify(prices)} (all: ${JSON.stringify(seen)})`);
    const status = await nodeStatus(page, ids.price);
    const shownPrice = priceStatusPattern(PRICE_LOCATION.currency_code).exec(status.text)?.[1];
    expect(now !== undefined && /^-?\d+(\.\d+)?$/.test(now.payload) && Number(now.payload) === Number(shownPrice), `the price now in the Debug sidebar is ${JSON.stringify(now)}; the status shows "${status.text}"`);
    expect(plan.includes("runs: array[") && plan.includes("complete: true") && plan.includes(`timezone: "${PRICE_LOCATION.timezone}"`), `the plan in the Debug sidebar, opened, reads ${JSON.stringify(plan)}`);
    ok(`Debug sidebar: the prices ("${prices.topic.split(" ")[0]}", ${PRICE_LOCATION.currency_code}, ${PRICE_LOCATION.timezone}), the price now ${now.payload} (as the status), the plan, opened with a click: complete, runs, ${PRICE_LOCATION.timezone}; each from its debug node`);
  });
  await step(session, "screenshot of the price and plan flow", () => screenshotPricePlan(page));
}

/** Opens the `index`th message of the Debug sidebar with a click on its arrow, as a person reads a whole object; its text. */
async function expandDebugMessage(page: Page, index: number): Promise<string> {
  expect(index >= 0, "no such message in the Debug sidebar");
  const message = page.locator(".red-ui-debug-msg").nth(index);
  await message.locator(".red-ui-debug-msg-object-handle").first().click();
  await message.locator(".red-ui-debug-msg-object-key", { hasText: "complete" }).first().waitFor();
  return ((await message.locator(".red-ui-debug-msg-payload").textContent()) ?? "").replace(/\s+/g, " ");
}

async function checkPriceHelp(page: Page, id: string): Promise<void> {
  const help = await openHelpForNode(page, id, "flatpeak price");
  checkHelpSections(help, "flatpeak price");
  const fields = ["location", "list", "direction", "hours", "refresh"].map((field) => PRICE_TEXT(`label.${field}`));
  checkHelpNamesLabels(help, "flatpeak price", fields);
  const properties = ["location", "payload", "topic", "flatpeak.price"];
  const missing = properties.filter((property) => !help.properties.includes(property));
  expect(missing.length === 0, `the flatpeak price help does not list the propert(ies) ${missing.join(", ")} (lists ${help.properties.join(", ")})`);
  for (const port of [PRICE_TEXT("label.prices"), PRICE_TEXT("label.priceNow")]) expect(help.text.toLowerCase().includes(port), `the flatpeak price help does not name the output "${port}"`);
  const codes = [ERROR_CODES["no-prices"], ERROR_CODES["invalid-input"]];
  const unlisted = codes.filter((code) => !help.text.includes(code));
  expect(unlisted.length === 0, `the flatpeak price help does not explain the error code(s) ${unlisted.join(", ")}`);
  ok(`Help sidebar for the selected flatpeak price node: ${help.headings.join(", ")}; explains ${fields.join(", ")}; ${properties.join(", ")}; ${codes.join(", ")}`);
}

async function checkPlanHelp(page: Page, id: string): Promise<void> {
  const help = await openHelpForNode(page, id, "flatpeak plan");
  checkHelpSections(help, "flatpeak plan");
  const fields = ["minutes", "from", "until", "contiguous", "minRun", "store"].map((field) => PLAN_TEXT(`label.${field}`));
  // The goal by the words of its choice ("prices are highest (export, discharge)").
  const goal = PLAN_TEXT("label.highest").split(" (")[0];
  checkHelpNamesLabels(help, "flatpeak plan", [...fields, goal]);
  const properties = ["payload.prices", "payload.priceData", "payload.timezone", "job", "payload", "flatpeak.status"];
  const missing = properties.filter((property) => !help.properties.includes(property));
  expect(missing.length === 0, `the flatpeak plan help does not list the propert(ies) ${missing.join(", ")} (lists ${help.properties.join(", ")})`);
  const code = ERROR_CODES["invalid-input"];
  expect(help.text.includes(code), `the flatpeak plan help does not explain ${code}`);
  ok(`Help sidebar for the selected flatpeak plan node: ${help.headings.join(", ")}; explains ${fields.join(", ")}, "${goal}"; ${properties.join(", ")}; ${code}`);
}

async function checkPricePlanHelp(session: Session, ids: PricePlanIds): Promise<void> {
  const { page } = session;
  section("11. Help sidebar for flatpeak price and flatpeak plan");
  await step(session, "help for flatpeak price", () => checkPriceHelp(page, ids.price));
  await step(session, "help for flatpeak plan", () => checkPlanHelp(page, ids.plan));
}

/** The price → plan flow with both statuses, and the Debug sidebar with the prices, the price now and the plan. */
async function screenshotPricePlan(page: Page): Promise<void> {
  await filterPalette(page, "flatpeak");
  await page.locator('.red-ui-palette-node[data-palette-type="flatpeak-plan"]').waitFor({ state: "visible" });
  await clearSelection(page);
  await centreFlow(page);
  await waitForNotificationsToClose(page);
  await calm(page);
  await screenshot(page, "editor-price-plan.png", "flatpeak price → flatpeak plan with their statuses, and the prices, the price now and the plan in the Debug sidebar");
}

// ---------------------------------------------------------------------------
// 12. Export.

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
  for (const type of ["tab", "inject", "flatpeak-event", "flatpeak-config", "debug", "flatpeak-watch", "http in", "flatpeak-webhook", "flatpeak-price", "flatpeak-plan"]) expect(types.includes(type), `the export of all flows has no ${type} node (types: ${types.join(", ")})`);
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

async function checkSourceHelp(session: Session, sources: SourceIds): Promise<void> {
  const { page } = session;
  section("8. Help sidebar for the source nodes");
  await step(session, "help for flatpeak watch", () => checkWatchHelp(page, sources.watch));
  await step(session, "help for flatpeak webhook", () => checkWebhookHelp(page, sources.webhook));
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
  await checkSourceHelp(session, sources);
  const pricePlan = await buildPricePlan(session);
  await runPricePlan(session, pricePlan);
  await checkPricePlanHelp(session, pricePlan);
  section("12. Export");
  await step(session, "export", () => checkExport(session));

  section("13. Clean up");
  checkNoPageProblems(session);
  await browser.close();
  const ending = await red.stop();
  ok(`browser closed; Node-RED ${ending}`);
  checkNodeRedOutput(red);
  console.log(`\nEditor check passed in ${((Date.now() - began) / 1000).toFixed(1)} s`);
}

runCheck(main);
