/**
 * The benchmark's own node types, loaded by Node-RED from the bench's nodesDir:
 *
 * - `bench-sink` ends every measured flow: it hands each message to the
 *   benchmark (by the sink's id) and ends it at once.
 * - `bench-floor` is the Node-RED floor for our node's job: for each input it
 *   sends three prepared section messages of the same shape as ours, doing no
 *   other work, so what it costs is Node-RED's own delivery (including the
 *   runtime's copies of outputs 2 and 3).
 * - `bench-minimal` is the least a node around our client can do: for each
 *   input it calls its config node's getEvent with `msg.payload` and then
 *   sends the floor's three prepared messages (no input checks, no shaping,
 *   no status). What it adds to the client alone and the floor is what
 *   running a fetch inside Node-RED costs, whatever the node does.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from "node-red";
import { OUTPUT_SECTIONS, shapeEvent, topicFor } from "../nodes/lib/event/shaping";
import type { FlatpeakConfigNode } from "../nodes/types";
import { SAMPLE_EVENTS } from "../simulator/sample-events";

export type SinkListener = (sinkId: string, msg: NodeMessageInFlow) => void;

let listener: SinkListener = () => undefined;

/** Where every sink delivers; the benchmark sets it once. */
export function onSinkMessage(next: SinkListener): void {
  listener = next;
}

type Send = (msgs: Array<NodeMessage | null>) => void;

/** Registers the node types; Node-RED calls this when it loads the file in the bench's nodesDir. */
export function register(RED: NodeAPI): void {
  function BenchSink(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const id = this.id;
    this.on("input", (msg: NodeMessageInFlow, _send: Send, done: () => void) => {
      listener(id, msg);
      done();
    });
  }

  function BenchFloor(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const outputs = preparedOutputs();
    this.on("input", (msg: NodeMessageInFlow, send: Send, done: () => void) => {
      send(outputs(msg));
      done();
    });
  }

  function BenchMinimal(this: Node, def: NodeDef & { server: string }): void {
    RED.nodes.createNode(this, def);
    const config = RED.nodes.getNode(def.server) as FlatpeakConfigNode;
    const outputs = preparedOutputs();
    this.on("input", (msg: NodeMessageInFlow, send: Send, done: (err?: Error) => void) => {
      config.api.getEvent(String(msg.payload)).then(
        () => {
          send(outputs(msg));
          done();
        },
        (err: Error) => done(err),
      );
    });
  }

  RED.nodes.registerType("bench-sink", BenchSink);
  RED.nodes.registerType("bench-floor", BenchFloor);
  RED.nodes.registerType("bench-minimal", BenchMinimal);
}

/** Three section messages of the shape ours sends, from the sample every generated event copies (same sections, same device fields). */
function preparedOutputs(): (msg: NodeMessageInFlow) => NodeMessage[] {
  const shaped = shapeEvent(SAMPLE_EVENTS[0]);
  const flatpeak = { event: shaped.event, device: shaped.device };
  const parts = OUTPUT_SECTIONS.map((section) => ({ payload: shaped.sections[section], topic: topicFor(shaped.subjectId, section) }));
  return (msg) => parts.map((part) => ({ ...msg, ...part, flatpeak }));
}
