/**
 * `flatpeak-event`: takes an event ID, fetches the event through its config
 * node, and sends battery, PV and EV charger data on outputs 1–3 (and the
 * whole event on output 4 when enabled).
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from "node-red";
import { sharedAbortController } from "./lib/client/abort";
import { FlatpeakError, isFlatpeakError, type FailureKind } from "./lib/client/errors";
import { isFlatpeakEvent, readEventId, type ReceivedValue } from "./lib/event/input";
import { OUTPUT_SECTIONS, shapeEvent, topicFor, type ShapedEvent } from "./lib/event/shaping";
import { createTranslator, type Translator } from "./lib/i18n";
import { BUSY_STATUS_DELAY_MS, StatusBoard } from "./lib/status";
import type { FlatpeakEvent } from "./lib/types";
import type { FlatpeakConfigNode } from "./types";

interface FlatpeakEventDef extends NodeDef {
  server: string;
  property?: string;
  propertyType?: string;
  eventOutput?: boolean;
}

type Send = (msg: Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;

export = function registerFlatpeakEvent(RED: NodeAPI): void {
  const t = createTranslator(RED._, "flatpeak-event");
  // The runtime's language is fixed while it runs: look the text up once, not per message (an i18next lookup each time).
  let fetchingText: string | undefined;
  const fetching = (): string => (fetchingText ??= t("status.fetching"));

  function FlatpeakEventNode(this: Node, def: FlatpeakEventDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = RED.nodes.getNode(def.server) as FlatpeakConfigNode | null;
    const property = def.property || "payload";
    const propertyType = def.propertyType || "msg";
    const eventOutput = def.eventOutput === true;
    /** Aborted at close: cancels requests in flight, and nothing is sent after it. */
    const closing = sharedAbortController();
    const inFlight = new Set<Promise<void>>();

    const status = new StatusBoard((shown) => node.status(shown));

    if (!config) status.failure(t("status.noConfig"));

    node.on("input", (msg: NodeMessageInFlow, send: Send, done: Done) => {
      const work = handleMessage(msg, send, done);
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    });

    node.on("close", (_removed: boolean, done: () => void) => {
      closing.abort();
      void Promise.allSettled([...inFlight]).then(() => {
        status.clear();
        done();
      });
    });

    /** Ends every message exactly once: in `send` + `done()`, or in `done(err)`. Never rejects. */
    async function handleMessage(msg: NodeMessageInFlow, send: Send, done: Done): Promise<void> {
      try {
        const input = await readProperty(msg);
        const source = deliveredBy(msg);
        if (source && isDeliveredEvent(input)) return finish(msg, input, source, send, done);
        const parsed = readEventId(input);
        if (!parsed.ok) throw invalidInput(parsed.received);
        if (!config) throw new FlatpeakError({ kind: "config", messageKey: "noConfig" }, t("errors.noConfig"));

        // Only the first of overlapping fetches says "fetching"; each ends in its own result.
        status.busy(fetching(), BUSY_STATUS_DELAY_MS);
        const event = await config.api.getEvent(parsed.id, closing.signal).finally(() => status.idle());
        if (closing.signal.aborted) return done();
        finish(msg, event, source, send, done);
      } catch (err) {
        // A redeploy or stop is not the message's fault: end it quietly.
        if (closing.signal.aborted) return done();
        reportFailure(msg, err, done);
      }
    }

    function finish(msg: NodeMessageInFlow, event: FlatpeakEvent, source: EventSource | undefined, send: Send, done: Done): void {
      const shaped = shapeEvent(event);
      send(buildOutputs(msg, shaped, event, source));
      showSuccess(shaped);
      done();
    }

    function readProperty(msg: NodeMessageInFlow): Promise<unknown> {
      return new Promise((resolve, reject) => {
        RED.util.evaluateNodeProperty(property, propertyType, node, msg, (err, value: unknown) =>
          err ? reject(err) : resolve(value),
        );
      });
    }

    function invalidInput(received: ReceivedValue): FlatpeakError {
      const text = t("errors.invalidInput", { property: propertyLabel(), received: describeReceived(received, t) });
      return new FlatpeakError({ kind: "invalid-input", messageKey: "invalidInput" }, text);
    }

    function propertyLabel(): string {
      if (propertyType === "str") return t("errors.configuredId");
      if (propertyType === "env") return `env ${property}`;
      return `${propertyType}.${property}`;
    }

    function buildOutputs(msg: NodeMessageInFlow, shaped: ShapedEvent, event: FlatpeakEvent, source: EventSource | undefined): Array<NodeMessage | null> {
      const outputs: Array<NodeMessage | null> = OUTPUT_SECTIONS.map((section) => {
        const payload = shaped.sections[section];
        if (!payload) return null;
        return outputMessage(msg, payload, topicFor(shaped.subjectId, section), shaped, source);
      });
      if (eventOutput) outputs.push(outputMessage(msg, event, topicFor(shaped.subjectId, "event"), shaped, source));
      return outputs;
    }

    /**
     * Not copied here: Node-RED copies every message it delivers but the first, and
     * the first may share objects only with this input message and with this
     * message's own copy of the event (the client never hands out its cached one).
     */
    function outputMessage(msg: NodeMessageInFlow, payload: unknown, topic: string, shaped: ShapedEvent, source: EventSource | undefined): NodeMessage {
      const flatpeak: Record<string, unknown> = { event: shaped.event };
      if (shaped.device) flatpeak.device = shaped.device;
      if (source) flatpeak.source = source;
      return { ...msg, payload, topic, flatpeak };
    }

    function showSuccess(shaped: ShapedEvent): void {
      const sent = OUTPUT_SECTIONS.some((section) => shaped.sections[section] !== undefined);
      if (sent) return status.success(shaped.event.type);
      const key = shaped.device ? "status.noSections" : "status.notDevice";
      status.success(t(key, { type: shaped.event.type }), "yellow", "ring");
    }

    function reportFailure(msg: NodeMessageInFlow, err: unknown, done: Done): void {
      const error = isFlatpeakError(err) ? err : unexpectedError(err);
      const { statusCode, apiCode, eventId, retryAfterSeconds } = error.details;
      const target = msg as NodeMessageInFlow & Record<string, unknown>;
      if (statusCode !== undefined) target.statusCode = statusCode;
      target.flatpeak = { error: withoutUndefined({ code: error.code, statusCode, apiCode, eventId, retryAfter: retryAfterSeconds }) };
      status.failure(errorStatusText(error.kind, statusCode, t));
      done(error);
    }

    function unexpectedError(err: unknown): FlatpeakError {
      const detail = err instanceof Error ? err.message : String(err);
      return new FlatpeakError({ kind: "unexpected", messageKey: "unexpected" }, t("errors.unexpected", { detail }));
    }
  }

  RED.nodes.registerType("flatpeak-event", FlatpeakEventNode);
};

type EventSource = "watch" | "webhook";

/** `msg.flatpeak.source` when a source node brought the event in. */
function deliveredBy(msg: NodeMessageInFlow): EventSource | undefined {
  const flatpeak = (msg as { flatpeak?: unknown }).flatpeak;
  const source = typeof flatpeak === "object" && flatpeak !== null ? (flatpeak as { source?: unknown }).source : undefined;
  return source === "watch" || source === "webhook" ? source : undefined;
}

/** A whole event as a list page or a webhook carries it: shaped as delivered, without a request. */
function isDeliveredEvent(value: unknown): value is FlatpeakEvent {
  return isFlatpeakEvent(value) && value.object === "event" && "data" in value;
}

function describeReceived(received: ReceivedValue, t: Translator<"flatpeak-event">): string {
  const vars = { ...received.vars, inner: received.inner ? describeReceived(received.inner, t) : "" };
  return t(`errors.received.${received.key}`, vars);
}

/** Leaves out absent fields, which the Debug sidebar would otherwise list as "undefined". */
function withoutUndefined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** Webhook refusals end in the webhook node, and missing prices in the price node; the event node never sees these kinds. */
type FetchFailureKind = Exclude<FailureKind, `webhook-${string}` | "no-prices">;

function isFetchFailure(kind: FailureKind): kind is FetchFailureKind {
  return !kind.startsWith("webhook-") && kind !== "no-prices";
}

function errorStatusText(kind: FailureKind, statusCode: number | undefined, t: Translator<"flatpeak-event">): string {
  const text = t(`status.error.${isFetchFailure(kind) ? kind : "unexpected"}`);
  return statusCode !== undefined ? `${text} (${statusCode})` : text;
}
