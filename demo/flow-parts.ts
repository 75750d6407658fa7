/**
 * Building blocks of the demo's flows: stable node ids, debug and comment
 * nodes, and the canvas arithmetic that lines nodes up as the editor draws
 * them. Pure: builds JSON, writes nothing.
 */
import { createHash } from "node:crypto";

/** A node as it is stored in flows.json. */
export type FlowNode = Record<string, unknown> & { id: string; type: string };

/** Left edge of the leftmost column of nodes. */
export const LEFT = 80;
export const DEBUG_X = 840;
export const ROW = 40;

/** Stable 16-hex-digit ids, so a restart replaces the same nodes and the ids in the editor never change. */
export function nodeId(name: string): string {
  return createHash("sha256").update(`flatpeak-demo:${name}`).digest("hex").slice(0, 16);
}

/** `complete` is "payload" for msg.payload (its topic still shows) or "true" for the whole message. */
export function debugNode(tab: string, id: string, name: string, complete: "payload" | "true", y: number, where: { x?: number; toStatus?: boolean } = {}): FlowNode {
  return {
    id,
    type: "debug",
    z: tab,
    name,
    active: true,
    tosidebar: true,
    console: false,
    tostatus: where.toStatus === true,
    complete,
    targetType: complete === "true" ? "full" : "msg",
    statusVal: "",
    statusType: "auto",
    x: where.x ?? DEBUG_X,
    y: snap(y),
    wires: [],
  };
}

export function commentNode(tab: string, id: string, name: string, info: string, y: number): FlowNode {
  return { id, type: "comment", z: tab, name, info, x: leftAligned(name), y, wires: [] };
}

/**
 * The x (a node's centre) that puts the node's left edge at LEFT. Node-RED
 * stores centres and sizes a node as 20 × ceil((label width + 50) / 20), at
 * least 100 px; the label width is estimated from Helvetica's character widths
 * at the editor's 14 px (Arial's are the same). Other fonts may shift a node by 10 px.
 */
export function leftAligned(label: string): number {
  return LEFT + nodeWidth(label) / 2;
}

export function nodeWidth(label: string): number {
  return Math.max(100, 20 * Math.ceil((labelWidth(label) + 50) / 20));
}

/** Helvetica advance widths in 1/1000 em, by character; others count as 556 (a digit). */
const CHAR_WIDTHS: Array<[string, number]> = [
  ["ijl", 222],
  [" ftI!,.:;/[]|", 278],
  ["r()-`{}", 333],
  ["cksvxyzJ", 500],
  ["+<=>", 584],
  ["FTZ", 611],
  ["ABEKPSVXY", 667],
  ["CDHNRUw", 722],
  ["GOQ", 778],
  ["mM", 833],
  ["W", 944],
];

function labelWidth(label: string): number {
  let units = 0;
  for (const char of label) units += CHAR_WIDTHS.find(([chars]) => chars.includes(char))?.[1] ?? 556;
  // About 1% less for kerning, as measured against the editor in Chromium.
  return (units * 14 * 0.99) / 1000;
}

/** Node-RED's grid is 20 px. */
export function snap(value: number): number {
  return Math.round(value / 20) * 20;
}

