/**
 * `flatpeak-price`: the household's own prices from Flatpeak (import or
 * export, all-in, by time of use) for the hours ahead on output 1, and the
 * price now on output 2, after each fetch and at each row boundary. Fetches at
 * deploy and again at Flatpeak's `next_update` (when `refresh` is on), and on
 * every input message.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from "node-red";
import { sharedAbortController } from "./lib/client/abort";
import type { PriceDirection } from "./lib/client/dialects";
import { FlatpeakError, isFlatpeakError } from "./lib/client/errors";
import { PRICE_HOLD_MS } from "./lib/client/price-holds";
import { createTranslator } from "./lib/i18n";
import { InstantTimer } from "./lib/instant-timer";
import { HOUR_MS, isLocationId, nextBoundary, nextRefreshAt, pricesPayload, readPriceRows, rowAt, windowStart, type PriceRow, type PricesPayload } from "./lib/price/prices";
import { readBoundedNumber } from "./lib/settings";
import { BUSY_STATUS_DELAY_MS, clockTime, StatusBoard } from "./lib/status";
import type { FlatpeakConfigNode } from "./types";

interface PriceDef extends NodeDef {
  server: string;
  location?: string;
  direction?: string;
  hours?: string | number;
  refresh?: boolean;
}

/** One successful fetch: what output 2 and the status follow until the next. */
interface Fetched {
  locationId: string;
  rows: PriceRow[];
  payload: PricesPayload;
  fetchedAt: number;
}

type Send = (msg: Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;

const HOURS = { default: 24, min: 1, max: 72, integer: true };
/** After a failed refresh: a minute, doubling, at most an hour (a refused one waits for Flatpeak's 15 minutes). */
const FIRST_RETRY_MS = 60_000;

export = function registerFlatpeakPrice(RED: NodeAPI): void {
  const t = createTranslator(RED._, "flatpeak-price");

  function FlatpeakPriceNode(this: Node, def: PriceDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = RED.nodes.getNode(def.server) as FlatpeakConfigNode | null;
    const ownLocation = (def.location ?? "").trim();
    const direction: PriceDirection = def.direction === "EXPORT" ? "EXPORT" : "IMPORT";
    const hours = readBoundedNumber(def.hours, HOURS);
    const refresh = def.refresh !== false;
    const status = new StatusBoard((shown) => node.status(shown));
    const closing = sharedAbortController();
    const refreshTimer = new InstantTimer();
    const boundaryTimer = new InstantTimer();
    const inFlight = new Set<Promise<void>>();
    let latest: Fetched | undefined;
    let failuresInARow = 0;
    /** Failure codes already reported since the last good refresh: an outage is reported once, not every retry. */
    const reported = new Set<string>();
    let warnedDropped = false;

    node.on("input", (msg: NodeMessageInFlow, send: Send, done: Done) => track(handleInput(msg, send, done)));

    node.on("close", (_removed: boolean, done: () => void) => {
      closing.abort();
      refreshTimer.cancel();
      boundaryTimer.cancel();
      void Promise.allSettled([...inFlight]).then(() => {
        status.clear();
        done();
      });
    });

    if (!config) status.failure(t("status.noConfig"));
    else if (!refresh) status.set({ fill: "grey", shape: "ring", text: t("status.onInput") });
    else if (!isLocationId(ownLocation)) status.set({ fill: "yellow", shape: "ring", text: t("status.noLocation") });
    else track(refreshNow());

    function track(work: Promise<void>): void {
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    }

    /** Ends every input message exactly once: outputs and `done()`, or `done(err)`. Never rejects. */
    async function handleInput(msg: NodeMessageInFlow, send: Send, done: Done): Promise<void> {
      try {
        const locationId = locationFor(msg);
        const fetched = await fetchPrices(locationId);
        if (closing.signal.aborted) return done();
        accept(fetched, send, msg);
        // A fetch of the node's own prices counts as its refresh.
        if (refresh && locationId === ownLocation) scheduleRefresh(fetched);
        done();
      } catch (err) {
        if (closing.signal.aborted) return done();
        const error = asFlatpeakError(err);
        describeFailure(msg, error);
        showFailure(error);
        done(error);
      }
    }

    /** The node's own location, fetched by itself (at deploy, at `next_update`, after a failure). */
    async function refreshNow(): Promise<void> {
      try {
        const fetched = await fetchPrices(ownLocation);
        if (closing.signal.aborted) return;
        failuresInARow = 0;
        reported.clear();
        accept(fetched, (messages) => node.send(messages));
        scheduleRefresh(fetched);
      } catch (err) {
        if (closing.signal.aborted) return;
        failuresInARow += 1;
        const error = asFlatpeakError(err);
        showFailure(error);
        reportOnce(error);
        refreshTimer.armAt(Date.now() + retryWait(error), () => track(refreshNow()));
      }
    }

    function scheduleRefresh(fetched: Fetched): void {
      refreshTimer.armAt(nextRefreshAt(fetched.fetchedAt, fetched.payload.next_update), () => track(refreshNow()));
    }

    function retryWait(error: FlatpeakError): number {
      // Just after the hold ends: the hold runs on a monotonic clock, this timer on the wall clock.
      if (error.kind === "no-prices") return PRICE_HOLD_MS + 1000;
      return Math.min(HOUR_MS, FIRST_RETRY_MS * 2 ** Math.min(failuresInARow - 1, 10));
    }

    /** `msg.location` when the message has one, else the node's own; an ID that is not `loc_…` is refused here, without a request. */
    function locationFor(msg: NodeMessageInFlow): string {
      const given = (msg as { location?: unknown }).location;
      if (given === undefined || given === null || given === "") {
        if (isLocationId(ownLocation)) return ownLocation;
        throw invalidLocation(ownLocation === "" ? "errors.noLocation" : "errors.invalidNodeLocation", ownLocation);
      }
      const wanted = typeof given === "string" ? given.trim() : given;
      if (!isLocationId(wanted)) throw invalidLocation("errors.invalidMsgLocation", given);
      return wanted;
    }

    async function fetchPrices(locationId: string): Promise<Fetched> {
      if (!config) throw new FlatpeakError({ kind: "config", messageKey: "noConfig" }, t("errors.noConfig"));
      const fetchedAt = Date.now();
      const start = windowStart(fetchedAt);
      status.busy(t("status.fetching"), BUSY_STATUS_DELAY_MS);
      const answer = await config.api.getPrices({ locationId, direction, start, end: start + hours * HOUR_MS }, closing.signal).finally(() => status.idle());
      const { rows, dropped } = readPriceRows(answer.rows);
      if (rows.length === 0) {
        throw new FlatpeakError({ kind: "bad-response", messageKey: "noRows", statusCode: 200 }, t("errors.noRows", { location: locationId, count: answer.rows.length }));
      }
      if (dropped > 0 && !warnedDropped) {
        warnedDropped = true;
        node.warn(t("warnings.dropped", { count: dropped, location: locationId }));
      }
      return { locationId, rows, payload: pricesPayload(answer, rows, { locationId, direction }), fetchedAt };
    }

    /** Sends the prices and the price now, and makes output 2 and the status follow these rows. */
    function accept(fetched: Fetched, send: Send, input?: NodeMessageInFlow): void {
      latest = fetched;
      const base = input ? { ...input } : {};
      const prices: NodeMessage = { ...base, payload: fetched.payload, topic: `flatpeak/${fetched.locationId}/prices` };
      send([prices, priceNowMessage(fetched, Date.now(), base)]);
      showPriceNow();
      armBoundary();
    }

    function priceNowMessage(fetched: Fetched, at: number, base: Record<string, unknown> = {}): NodeMessage | null {
      const row = rowAt(fetched.rows, at);
      if (!row) return null;
      const { payload } = fetched;
      const price = {
        start: new Date(row.start).toISOString(),
        end: new Date(row.end).toISOString(),
        price: row.price,
        confidence: row.confidence,
        currency: payload.currency,
        direction: payload.direction,
        location_id: payload.location_id,
      };
      return { ...base, payload: row.price, topic: `flatpeak/${fetched.locationId}/price`, flatpeak: { price } };
    }

    /** One timer, for the next row boundary of the latest rows: output 2 says the new price at that instant. */
    function armBoundary(): void {
      const boundary = latest ? nextBoundary(latest.rows, Date.now()) : undefined;
      if (boundary === undefined) return boundaryTimer.cancel();
      boundaryTimer.armAt(boundary, () => {
        if (closing.signal.aborted || !latest) return;
        const message = priceNowMessage(latest, Date.now());
        if (message) node.send([null, message]);
        showPriceNow();
        armBoundary();
      });
    }

    function showPriceNow(): void {
      if (!latest) return;
      const row = rowAt(latest.rows, Date.now());
      const fetched = clockTime(new Date(latest.fetchedAt));
      if (!row) return status.set({ fill: "yellow", shape: "ring", text: t("status.noPriceNow", { time: fetched }) });
      const currency = latest.payload.currency ?? "";
      status.set({ fill: "green", shape: "dot", text: t("status.price", { price: shortNumber(row.price), currency, time: fetched }) });
    }

    function showFailure(error: FlatpeakError): void {
      status.failure(t("status.failed", { code: error.code.replace(/^FLATPEAK_/, "").replace(/_/g, " ").toLowerCase() }));
    }

    /** A refresh has no message to end: its failure goes to the log and a Catch node once per kind until one works again. */
    function reportOnce(error: FlatpeakError): void {
      if (reported.has(error.code)) return;
      reported.add(error.code);
      const msg: NodeMessageInFlow & Record<string, unknown> = { payload: undefined, location: ownLocation } as unknown as NodeMessageInFlow & Record<string, unknown>;
      describeFailure(msg, error);
      node.error(error, msg);
    }

    function invalidLocation(key: "errors.noLocation" | "errors.invalidNodeLocation" | "errors.invalidMsgLocation", received: unknown): FlatpeakError {
      return new FlatpeakError({ kind: "invalid-input", messageKey: key }, t(key, { received: preview(received) }));
    }

    function asFlatpeakError(err: unknown): FlatpeakError {
      if (isFlatpeakError(err)) return err;
      const detail = err instanceof Error ? err.message : String(err);
      return new FlatpeakError({ kind: "unexpected", messageKey: "unexpected" }, t("errors.unexpected", { detail }));
    }
  }

  RED.nodes.registerType("flatpeak-price", FlatpeakPriceNode, { settings: { flatpeakPriceLimits: { value: { hours: HOURS }, exportable: true } } });
};

/** `msg.statusCode` and `msg.flatpeak.error`, as the event node sets them, for a Catch node. */
function describeFailure(msg: Record<string, unknown>, error: FlatpeakError): void {
  const { statusCode, apiCode, locationId, retryAfterSeconds } = error.details;
  if (statusCode !== undefined) msg.statusCode = statusCode;
  const fields = { code: error.code, statusCode, apiCode, locationId, retryAfter: retryAfterSeconds };
  msg.flatpeak = { error: Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) };
}

/** A price for the little room under a node: at most 5 decimals, no float noise (0.2431, not 0.24310000000000001). */
function shortNumber(value: number): string {
  return String(Number(value.toFixed(5)));
}

/** What the user sent, short and safe to show. */
function preview(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === undefined) return "nothing";
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}
