/**
 * `flatpeak-webhook`: after a core `http in` node (POST, "Do not parse request
 * body"), checks that a delivery really comes from Flatpeak (RSASSA-PSS over
 * `{timestamp}.{raw body}`), answers the HTTP request itself at once, drops
 * redeliveries, and sends each verified event on.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from "node-red";
import { sharedAbortController } from "./lib/client/abort";
import { FlatpeakError, type FailureKind } from "./lib/client/errors";
import { RedeployMemory, readContext, writeContext } from "./lib/context-store";
import { summarizeEvent } from "./lib/event/shaping";
import { createTranslator, type KeysUnder } from "./lib/i18n";
import { StatusBoard } from "./lib/status";
import type { FlatpeakEvent } from "./lib/types";
import { MAX_WEBHOOK_BODY_BYTES, readDeliveredEvent } from "./lib/webhook/delivery";
import { RecentIds } from "./lib/webhook/replay";
import { checkTimestamp, parseSignatureHeaders, verifySignature, type WebhookHeaders } from "./lib/webhook/signature";
import type { FlatpeakConfigNode } from "./types";

interface WebhookDef extends NodeDef {
  server: string;
  tolerance?: string | number;
  allowUnsigned?: boolean;
  store?: string;
}

/** The parts of `msg.req` / `msg.res` (from the core http in node) this node uses. */
interface HttpInMessage extends NodeMessageInFlow {
  req?: { headers?: WebhookHeaders };
  res?: { _res?: { headersSent?: boolean; status(code: number): { json(body: unknown): void } } };
}

const RECENT_KEY = "flatpeak-webhook-recent";
/** Seconds a delivery's timestamp may be from this machine's clock; below `min` (or unreadable) means the default. */
const TOLERANCE_S = { default: 300, min: 1, max: 86_400, integer: false };

type RefusalKey = KeysUnder<"flatpeak-webhook", "errors.">;

/** Why a delivery was refused: the HTTP answer, the error kind, and the catalog key that explains it. */
interface Refusal {
  status: number;
  kind: FailureKind;
  key: RefusalKey;
  vars?: Record<string, string | number>;
}

type Verdict = { ok: true; event: FlatpeakEvent; webhook: { keyId?: string; timestamp?: number; signed: boolean } } | { ok: false; refusal: Refusal };

export = function registerFlatpeakWebhook(RED: NodeAPI): void {
  const redeployMemory = new RedeployMemory();
  const t = createTranslator(RED._, "flatpeak-webhook");

  function FlatpeakWebhookNode(this: Node, def: WebhookDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = RED.nodes.getNode(def.server) as FlatpeakConfigNode | null;
    const tolerance = readTolerance(def.tolerance);
    const allowUnsigned = def.allowUnsigned === true;
    const store = def.store || undefined;
    const context = redeployMemory.wrap(node.context(), node.id);
    const status = new StatusBoard((shown) => node.status(shown));
    const closing = sharedAbortController();
    /** This process's view of recent IDs, loaded once (shared by concurrent first deliveries); context makes it survive restarts and span instances. */
    let recentLoad: Promise<RecentIds> | undefined;

    if (!config) status.failure(t("status.noConfig"));

    node.on("input", (msg: NodeMessageInFlow, send: (msg: NodeMessageInFlow) => void, done: (err?: Error) => void) => {
      void handle(msg, send, done);
    });

    // Two parameters: Node-RED reads a one-parameter close listener as (done).
    node.on("close", (removed: boolean, done: () => void) => {
      closing.abort();
      if (removed) redeployMemory.forget(node.id);
      done();
    });

    /** Ends every delivery exactly once: an HTTP answer, and `send` + `done()` or `done(err)`. Never rejects. */
    async function handle(msg: HttpInMessage, send: (msg: NodeMessageInFlow) => void, done: (err?: Error) => void): Promise<void> {
      try {
        const verdict = await verify(msg);
        if (!verdict.ok) return refuse(msg, verdict.refusal, done);
        const { event, webhook } = verdict;
        if (await isRedelivery(event.id)) {
          answer(msg, 200, { received: true, duplicate: true });
          // The ID would make the status wider than the node; the time beside it says when.
          status.success(t("status.duplicate"), "yellow", "ring");
          return done();
        }
        answer(msg, 200, { received: true });
        const out = msg as unknown as Record<string, unknown>;
        delete out.req;
        delete out.res;
        out.payload = event;
        out.topic = event.type;
        out.flatpeak = { event: summarizeEvent(event), source: "webhook", webhook };
        send(msg);
        status.success(event.type);
        done();
      } catch (err) {
        answer(msg, 500, { error: "internal error" });
        const detail = err instanceof Error ? err.message : String(err);
        done(new FlatpeakError({ kind: "unexpected", messageKey: "unexpected" }, t("errors.unexpected", { detail })));
      }
    }

    async function verify(msg: HttpInMessage): Promise<Verdict> {
      if (!config) return refusal(500, "config", "noConfig");
      const body = msg.payload;
      if (!Buffer.isBuffer(body)) return refusal(500, "webhook-body-parsed", "bodyParsed");
      if (body.length > MAX_WEBHOOK_BODY_BYTES) return refusal(413, "webhook-too-large", "tooLarge");
      const headers = parseSignatureHeaders(msg.req?.headers ?? {});
      if (!headers.ok) return refusal(401, "webhook-signature", `signature.${headers.reason}`);
      let webhook: { keyId?: string; timestamp?: number; signed: boolean } = { signed: false };
      if (headers.kind === "unsigned") {
        if (!allowUnsigned) return refusal(401, "webhook-unsigned", "unsigned");
      } else {
        const age = checkTimestamp(headers.timestamp, Date.now() / 1000, tolerance);
        if (!age.ok) return refusal(401, "webhook-timestamp", `timestamp.${age.reason}`, { tolerance });
        const key = await config.signingKeys.getKey(headers.keyId, closing.signal);
        if (!key.ok && key.reason === "unknown-key") return refusal(401, "webhook-signature", "unknownKey", { keyId: headers.keyId });
        if (!key.ok) return refusal(503, "webhook-keys", "keysUnavailable");
        if (!verifySignature(key.key, headers.timestampText, body, headers.signature)) return refusal(401, "webhook-signature", "badSignature", { keyId: headers.keyId });
        webhook = { keyId: headers.keyId, timestamp: headers.timestamp, signed: true };
      }
      const delivered = readDeliveredEvent(body);
      if (!delivered.ok) return refusal(400, "webhook-not-event", delivered.reason === "not-json" ? "notJson" : "notEvent");
      return { ok: true, event: delivered.event, webhook };
    }

    /** Checks and records the event ID: in memory first (concurrent deliveries in this process), then in context. */
    async function isRedelivery(id: string): Promise<boolean> {
      recentLoad ??= readContext(context, RECENT_KEY, store).then(
        (value) => RecentIds.from(value),
        (err: unknown) => {
          recentLoad = undefined; // a store that failed once is asked again next time
          throw err;
        },
      );
      const recent = await recentLoad;
      if (recent.has(id)) return true;
      recent.add(id);
      // Another instance sharing the store may have taken it meanwhile.
      const stored = RecentIds.from(await readContext(context, RECENT_KEY, store));
      if (stored.has(id)) return true;
      for (const seen of recent.toJSON()) stored.add(seen);
      await writeContext(context, RECENT_KEY, stored.toJSON(), store);
      return false;
    }

    function refuse(msg: HttpInMessage, refused: Refusal, done: (err?: Error) => void): void {
      const error = new FlatpeakError({ kind: refused.kind, messageKey: refused.key, statusCode: refused.status }, t(`errors.${refused.key}`, refused.vars));
      answer(msg, refused.status, { error: error.code });
      const target = msg as unknown as Record<string, unknown>;
      delete target.res;
      delete target.req;
      target.statusCode = refused.status;
      target.flatpeak = { source: "webhook", error: { code: error.code, statusCode: refused.status } };
      status.failure(t("status.refused", { status: refused.status }));
      done(error);
    }

    function answer(msg: HttpInMessage, code: number, body: unknown): void {
      const res = msg.res?._res;
      if (!res || res.headersSent) return;
      try {
        res.status(code).json(body);
      } catch {
        // The client went away: nothing left to answer.
      }
    }
  }

  // The editor reads its default, spinner bounds and check from this table.
  RED.nodes.registerType("flatpeak-webhook", FlatpeakWebhookNode, { settings: { flatpeakWebhookLimits: { value: { tolerance: TOLERANCE_S }, exportable: true } } });
};

function refusal(status: number, kind: FailureKind, key: RefusalKey, vars?: Record<string, string | number>): Verdict {
  return { ok: false, refusal: { status, kind, key, vars } };
}

function readTolerance(value: unknown): number {
  const number = typeof value === "number" || (typeof value === "string" && value.trim() !== "") ? Number(value) : Number.NaN;
  return Number.isFinite(number) && number >= TOLERANCE_S.min ? Math.min(number, TOLERANCE_S.max) : TOLERANCE_S.default;
}
