/**
 * The demo's second tab: the household's prices from the simulator, by
 * themselves. flatpeak price fetches at deploy and sends the prices for the
 * next 24 hours and the price now, again at every change of price.
 * Pure: builds JSON, writes nothing.
 */
import { SIMULATOR_LOCATIONS } from "../simulator/server";
import { commentNode, debugNode, leftAligned, nodeId, ROW, type FlowNode } from "./flow-parts";

export const PRICES_TAB_LABEL = "Flatpeak prices";
const PRICE_X = 360;

export function pricesTab(config: string): FlowNode[] {
  const tab = nodeId("prices:tab");
  const price = nodeId("prices:price");
  const top = 40;
  const priceY = top + ROW * 2.5;
  return [
    { id: tab, type: "tab", label: PRICES_TAB_LABEL, disabled: false, info: "Rewritten by `npm start` on every run." },
    commentNode(tab, nodeId("prices:comment"), "Your own prices, by themselves: the curve and the price now", pricesText(), top),
    {
      id: price,
      type: "flatpeak-price",
      z: tab,
      name: "",
      server: config,
      location: SIMULATOR_LOCATIONS.home.id,
      direction: "IMPORT",
      hours: 24,
      refresh: true,
      x: Math.max(PRICE_X, leftAligned("flatpeak price")),
      y: priceY,
      wires: [[nodeId("prices:debug:prices")], [nodeId("prices:debug:now")]],
    },
    debugNode(tab, nodeId("prices:debug:prices"), "prices (24 h)", "payload", priceY - ROW / 2, { x: 640 }),
    debugNode(tab, nodeId("prices:debug:now"), "price now", "payload", priceY + ROW / 2, { x: 640, toStatus: true }),
    {
      id: nodeId("prices:catch"),
      type: "catch",
      z: tab,
      name: "price errors",
      scope: [price],
      uncaught: false,
      x: leftAligned("price errors"),
      y: priceY + ROW * 2,
      wires: [[nodeId("prices:debug:errors")]],
    },
    debugNode(tab, nodeId("prices:debug:errors"), "price errors", "true", priceY + ROW * 2, { x: 640 }),
  ];
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
    "It fetches at deploy and again when the answer's `next_update` comes (the simulator says: in an hour). Open the node to pick another location " +
      "with **List locations**: one has no export tariff, one is still connecting (`FLATPEAK_NO_PRICES` in **price errors**).",
  ].join("\n");
}
