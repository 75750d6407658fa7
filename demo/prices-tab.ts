/**
 * The demo's second tab: the household's prices from the simulator, and two
 * plans on them, by themselves.
 *
 * - Prices: flatpeak price fetches the home's prices for 24 hours at deploy
 *   (a cheap night, an evening peak) and sends the price now at every change.
 *   A flatpeak plan runs a dishwasher for 2 hours in tonight's cheapest time.
 * - Minutes: a location whose price changes every minute; every 15 minutes an
 *   inject asks for its prices with a one-off job ("5 minutes within the next
 *   15"), so the plan switches on and off within minutes of starting. Its
 *   chart output feeds a FlowFuse Dashboard 2 page: the prices as a step line,
 *   the planned runs over it, the price now and the plan's status.
 *
 * Pure: builds JSON, writes nothing.
 */
import { SIMULATOR_LOCATIONS } from "../simulator/server";
import { commentNode, debugNode, leftAligned, nodeId, ROW, type FlowNode } from "./flow-parts";

export const PRICES_TAB_LABEL = "Flatpeak prices and plan";
/** Where Dashboard 2 serves the demo's page (under its base path `/dashboard`). */
export const DASHBOARD_PATH = "/dashboard/flatpeak";
/** How often the minutes path asks for prices and a new one-off job. */
export const QUICK_JOB_EVERY_S = 900;

const PRICE_X = 360;
const PLAN_X = 620;
const OUT_X = 920;
const DASH_X = 1120;

export function pricesTab(config: string): FlowNode[] {
  const tab = nodeId("prices:tab");
  const top = 40;
  return [
    { id: tab, type: "tab", label: PRICES_TAB_LABEL, disabled: false, info: "Rewritten by `npm start` on every run." },
    commentNode(tab, nodeId("prices:comment"), "Your own prices, and a plan on them, by themselves", pricesText(), top),
    ...homePath(tab, config, top + ROW * 3),
    commentNode(tab, nodeId("quick:comment"), "A plan that acts within minutes, on a Dashboard 2 page", quickText(), top + ROW * 8),
    ...quickPath(tab, config, top + ROW * 10.5),
    ...dashboard(tab),
  ];
}

/** The home's prices for 24 hours → the price now, and a dishwasher's 2 hours tonight. */
function homePath(tab: string, config: string, y: number): FlowNode[] {
  const price = nodeId("prices:price");
  const plan = nodeId("prices:plan");
  return [
    priceNode(tab, price, config, { location: SIMULATOR_LOCATIONS.home.id, hours: 24, refresh: true }, y, [[nodeId("prices:debug:prices"), plan], [nodeId("prices:debug:now")]]),
    debugNode(tab, nodeId("prices:debug:prices"), "prices (24 h)", "payload", y - ROW * 1.5, { x: PLAN_X }),
    debugNode(tab, nodeId("prices:debug:now"), "price now", "payload", y + ROW * 1.5, { x: PLAN_X, toStatus: true }),
    planNode(tab, plan, "dishwasher: 2 h tonight", { minutes: 120, from: "22:00", until: "07:00", contiguous: true, minRun: 0 }, y, [[nodeId("prices:debug:switch")], [nodeId("prices:debug:plan")], []]),
    debugNode(tab, nodeId("prices:debug:switch"), "dishwasher on/off", "payload", y - ROW * 0.75, { x: OUT_X, toStatus: true }),
    debugNode(tab, nodeId("prices:debug:plan"), "dishwasher plan", "payload", y + ROW * 0.75, { x: OUT_X }),
    catchNode(tab, nodeId("prices:catch"), "price and plan errors", [price, plan], y + ROW * 3, nodeId("prices:debug:errors")),
    debugNode(tab, nodeId("prices:debug:errors"), "errors", "true", y + ROW * 3, { x: PLAN_X }),
  ];
}

/** Every 15 minutes: the minute-by-minute prices with a one-off job → a plan that switches within minutes → the dashboard. */
function quickPath(tab: string, config: string, y: number): FlowNode[] {
  const inject = nodeId("quick:inject");
  const price = nodeId("quick:price");
  const plan = nodeId("quick:plan");
  return [
    {
      id: inject,
      type: "inject",
      z: tab,
      name: "5 min in the next 15",
      // msg.job rides along on the price node's output (it keeps the input's properties) into the plan.
      props: [{ p: "job", v: `{"minutes": 5, "until": $fromMillis($millis() + ${QUICK_JOB_EVERY_S * 1000})}`, vt: "jsonata" }],
      repeat: String(QUICK_JOB_EVERY_S),
      crontab: "",
      once: true,
      onceDelay: 1,
      topic: "",
      x: leftAligned("5 min in the next 15"),
      y,
      wires: [[price]],
    },
    priceNode(tab, price, config, { location: SIMULATOR_LOCATIONS.minutely.id, hours: 1, refresh: false }, y, [[plan], [nodeId("dash:now")]]),
    planNode(tab, plan, "plan: every minute counts", { minutes: 5, from: "00:00", until: "00:00", contiguous: false, minRun: 0 }, y, [[nodeId("quick:debug:switch")], [nodeId("quick:debug:plan")], [nodeId("dash:chart"), nodeId("dash:status")]]),
    debugNode(tab, nodeId("quick:debug:switch"), "switch", "payload", y - ROW * 0.75, { x: OUT_X, toStatus: true }),
    debugNode(tab, nodeId("quick:debug:plan"), "plan", "payload", y + ROW * 0.75, { x: OUT_X }),
    catchNode(tab, nodeId("quick:catch"), "errors of the minutes path", [price, plan], y + ROW * 2, nodeId("quick:debug:errors")),
    debugNode(tab, nodeId("quick:debug:errors"), "errors", "true", y + ROW * 2, { x: PLAN_X }),
  ];
}

/** A Dashboard 2 page: the chart of the minutes plan, the price now and the plan's status. */
function dashboard(tab: string): FlowNode[] {
  const base = nodeId("dash:base");
  const theme = nodeId("dash:theme");
  const page = nodeId("dash:page");
  const group = nodeId("dash:group");
  const y = 40 + ROW * 15;
  return [
    { id: base, type: "ui-base", name: "Flatpeak demo", path: "/dashboard", includeClientData: true, acceptsClientConfig: ["ui-notification", "ui-control"], showPathInSidebar: false, navigationStyle: "default", titleBarStyle: "default" },
    { id: theme, type: "ui-theme", name: "Flatpeak", colors: { surface: "#3FADB5", primary: "#3FADB5", bgPage: "#eeeeee", groupBg: "#ffffff", groupOutline: "#cccccc" }, sizes: { density: "default", pagePadding: "12px", groupGap: "12px", groupBorderRadius: "4px", widgetGap: "12px" } },
    { id: page, type: "ui-page", name: "Prices and plan", ui: base, path: "/flatpeak", icon: "flash", layout: "grid", theme, order: 1, className: "", visible: "true", disabled: "false" },
    { id: group, type: "ui-group", name: "A new price every minute: run 5 minutes in the next 15", page, width: "12", height: "1", order: 1, showTitle: true, className: "", visible: "true", disabled: "false" },
    {
      id: nodeId("dash:chart"),
      type: "ui-chart",
      z: tab,
      group,
      name: "",
      label: "Prices and planned runs",
      order: 1,
      width: 12,
      height: 6,
      chartType: "line",
      interpolation: "step",
      category: "series",
      categoryType: "property",
      xAxisLabel: "",
      xAxisProperty: "x",
      xAxisPropertyType: "property",
      xAxisType: "time",
      xAxisFormat: "",
      xAxisFormatType: "auto",
      xmin: "",
      xmax: "",
      yAxisLabel: "GBP per kWh",
      yAxisProperty: "y",
      yAxisPropertyType: "property",
      ymin: "",
      ymax: "",
      action: "replace",
      stackSeries: false,
      pointShape: "false",
      pointRadius: 4,
      showLegend: true,
      // Each plan replaces the whole chart; nothing is dropped by age.
      removeOlder: 0,
      removeOlderUnit: "3600",
      removeOlderPoints: "",
      colors: ["#0095FF", "#2CA02C", "#FF7F0E"],
      x: DASH_X,
      y,
      wires: [[]],
    },
    textNode(tab, nodeId("dash:now"), group, "Price now", '$string(payload) & " " & flatpeak.price.currency & "/kWh"', "jsonata", 2, y + ROW),
    textNode(tab, nodeId("dash:status"), group, "Plan", "flatpeak.status", "msg", 3, y + ROW * 2),
  ];
}

function priceNode(tab: string, id: string, config: string, settings: { location: string; hours: number; refresh: boolean }, y: number, wires: string[][]): FlowNode {
  return { id, type: "flatpeak-price", z: tab, name: "", server: config, direction: "IMPORT", ...settings, x: Math.max(PRICE_X, leftAligned("flatpeak price")), y, wires };
}

function planNode(tab: string, id: string, name: string, job: { minutes: number; from: string; until: string; contiguous: boolean; minRun: number }, y: number, wires: string[][]): FlowNode {
  return { id, type: "flatpeak-plan", z: tab, name, ...job, goal: "lowest", store: "", x: PLAN_X, y, wires };
}

function catchNode(tab: string, id: string, name: string, scope: string[], y: number, target: string): FlowNode {
  return { id, type: "catch", z: tab, name, scope, uncaught: false, x: leftAligned(name), y, wires: [[target]] };
}

function textNode(tab: string, id: string, group: string, label: string, value: string, valueType: "msg" | "jsonata", order: number, y: number): FlowNode {
  return { id, type: "ui-text", z: tab, group, order, width: 6, height: 1, name: "", label, format: "{{msg.payload}}", layout: "row-spread", style: false, font: "", fontSize: 16, color: "#717171", wrapText: false, className: "", value, valueType, x: DASH_X, y, wires: [] };
}

function pricesText(): string {
  const home = SIMULATOR_LOCATIONS.home;
  return [
    `**flatpeak price** asks the simulator for the prices of location \`${home.id}\` (${home.postal_address.address_line1}, ${home.timezone}, ${home.currency_code}), ` +
      "as Flatpeak would for your own home: the all-in tariff your supplier bills, by time of use.",
    "",
    "- Output 1 (**prices (24 h)** in the Debug sidebar): `msg.payload.prices`, rows of `{ start, end, price, confidence }` from the start of this hour " +
      "for 24 hours, and the same rows as `priceData`. A cheap night, an evening peak in 15-minute steps, merged rows where the price stays the same.",
    "- Output 2 (**price now**, also under the debug node): the price now, sent again at every change of price.",
    "",
    "The prices also go to **flatpeak plan**, which runs a dishwasher for 2 hours in one go, between 22:00 and 07:00, when it is cheapest: " +
      "**dishwasher on/off** says `true` and `false` at the planned times, **dishwasher plan** shows the runs, the average price and the saving against a plain timer.",
    "",
    "It fetches at deploy and again when the answer's `next_update` comes (the simulator says: in an hour). Open the price node to pick another location " +
      "with **List locations**: one has no export tariff, one is still connecting (`FLATPEAK_NO_PRICES` in **errors**).",
  ].join("\n");
}

function quickText(): string {
  const quick = SIMULATOR_LOCATIONS.minutely;
  return [
    `Location \`${quick.id}\` has a new price every minute, so a plan acts within minutes. At deploy and every ${QUICK_JOB_EVERY_S / 60} minutes the inject asks ` +
      "for the next hour's prices with a one-off job in `msg.job`: run 5 minutes within the next 15, at the cheapest minutes. " +
      "**switch** says `true` and `false` at the planned minutes.",
    "",
    `The plan's third output draws the prices and the planned runs on a FlowFuse Dashboard 2 page: open **${DASHBOARD_PATH}** on this Node-RED. ` +
      "The price now comes from the price node's second output.",
  ].join("\n");
}
