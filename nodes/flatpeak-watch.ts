/**
 * `flatpeak-watch`: polls the account's events list and sends each new event
 * once, oldest first. The cursor lives in node context, in the store the user
 * picks, so a persistent store resumes where it stopped after a restart.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from "node-red";
import { sharedAbortController } from "./lib/client/abort";
import { isFlatpeakError, type FlatpeakError } from "./lib/client/errors";
import { RedeployMemory, readContext, writeContext } from "./lib/context-store";
import { summarizeEvent } from "./lib/event/shaping";
import { createTranslator } from "./lib/i18n";
import { readBoundedNumber } from "./lib/settings";
import { StatusBoard } from "./lib/status";
import type { FlatpeakEvent } from "./lib/types";
import { MAX_CATCH_UP_PAGES, MAX_REPLAY, PollWalk, readCursorState, type PollResult } from "./lib/watch/cursor-walk";
import { parseEventTypes, serverFilter } from "./lib/watch/event-types";
import type { FlatpeakConfigNode } from "./types";

interface WatchDef extends NodeDef {
  server: string;
  interval?: string | number;
  eventTypes?: string;
  replay?: string | number;
  store?: string;
}

/** Context key of the cursor; the server-side filter is kept with it, as a cursor is only valid for one filter. */
const CURSOR_KEY = "flatpeak-watch-cursor";
const PAGE_LIMIT = 100;
const INTERVAL_S = { default: 60, min: 5, max: 86_400, integer: false };
const REPLAY = { default: 0, min: 0, max: MAX_REPLAY, integer: true };
/** The first retry after a failed poll; each further failure doubles it, up to the interval. */
const FIRST_RETRY_MS = 5_000;

export = function registerFlatpeakWatch(RED: NodeAPI): void {
  const redeployMemory = new RedeployMemory();
  const t = createTranslator(RED._, "flatpeak-watch");

  function FlatpeakWatchNode(this: Node, def: WatchDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = RED.nodes.getNode(def.server) as FlatpeakConfigNode | null;
    const intervalMs = readBoundedNumber(def.interval, INTERVAL_S) * 1000;
    const replay = readBoundedNumber(def.replay, REPLAY);
    const types = parseEventTypes(def.eventTypes ?? "");
    const eventType = serverFilter(types);
    const store = def.store || undefined;
    const context = redeployMemory.wrap(node.context(), node.id);
    const status = new StatusBoard((shown) => node.status(shown));
    const closing = sharedAbortController();

    let timer: NodeJS.Timeout | undefined;
    let polling: Promise<void> | undefined;
    let pollAgain = false;
    let failuresInARow = 0;
    let sentTotal = 0;
    /** Failure codes already logged since the last good poll: a long outage logs once, not every minute. */
    const logged = new Set<string>();
    let warnedMissed = false;

    if (!config) {
      status.failure(t("status.noConfig"));
      return;
    }
    const api = config.api;

    node.on("input", (_msg: NodeMessageInFlow, _send: unknown, done: () => void) => {
      pollNow();
      done();
    });

    node.on("close", (removed: boolean, done: () => void) => {
      closing.abort();
      if (removed) redeployMemory.forget(node.id);
      if (timer) clearTimeout(timer);
      void (polling ?? Promise.resolve()).then(() => {
        status.clear();
        done();
      });
    });

    pollNow();

    /** Polls at once (or right after the poll under way) and restarts the wait. */
    function pollNow(): void {
      if (closing.signal.aborted) return;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (polling) {
        pollAgain = true;
        return;
      }
      polling = pollOnce().finally(() => {
        polling = undefined;
        if (closing.signal.aborted) return;
        if (pollAgain) {
          pollAgain = false;
          pollNow();
        } else {
          schedule(failuresInARow === 0 ? intervalMs : retryWait());
        }
      });
    }

    function schedule(ms: number): void {
      timer = setTimeout(pollNow, ms);
    }

    function retryWait(): number {
      return Math.min(intervalMs, FIRST_RETRY_MS * 2 ** Math.min(failuresInARow - 1, 16));
    }

    async function pollOnce(): Promise<void> {
      status.busy(t("status.polling"));
      try {
        const stored = (await readContext(context, CURSOR_KEY, store)) as { filter?: unknown } | undefined;
        // A cursor taken under another server-side filter may not be in this list: start afresh, silently.
        const state = stored && (stored.filter ?? "") === (eventType ?? "") ? readCursorState(stored) : readCursorState(undefined);
        const result = await walk(new PollWalk(state, { replay, types, maxPages: MAX_CATCH_UP_PAGES }));
        if (closing.signal.aborted) return;
        // Saved before sending: a crash in between loses at most this batch's sending, never sends it twice.
        await writeContext(context, CURSOR_KEY, { ...result.newState, filter: eventType ?? "" }, store);
        if (closing.signal.aborted) return;
        for (const event of result.newEvents) node.send(outputMessage(event));
        sentTotal += result.newEvents.length;
        failuresInARow = 0;
        logged.clear();
        status.idle();
        // Every poll ends in a status of its own: "missed" while the cursor is out of reach, else the count.
        if (state.initialised && !result.cursorFound) reportMissed(result);
        else status.success(t("status.polled", { count: sentTotal }));
      } catch (err) {
        status.idle();
        if (closing.signal.aborted) return;
        failuresInARow += 1;
        reportFailure(err);
      }
    }

    async function walk(pollWalk: PollWalk): Promise<PollResult> {
      let startingAfter: string | undefined;
      for (;;) {
        const page = await api.listEvents({ limit: PAGE_LIMIT, startingAfter, eventType }, closing.signal);
        const step = pollWalk.accept(page);
        if ("done" in step) return step.done;
        startingAfter = step.next;
      }
    }

    function outputMessage(event: FlatpeakEvent): { payload: FlatpeakEvent; topic: string; flatpeak: Record<string, unknown> } {
      return { payload: event, topic: event.type, flatpeak: { event: summarizeEvent(event), source: "watch" } };
    }

    /** Shown after every such poll; logged once per deployment, as a backlog that outruns the interval would repeat it each time. */
    function reportMissed(result: PollResult): void {
      status.set({ fill: "yellow", shape: "ring", text: t("status.missed") });
      if (warnedMissed) return;
      warnedMissed = true;
      node.warn(t("warnings.missed", { pages: MAX_CATCH_UP_PAGES, count: result.newEvents.length }));
    }

    function reportFailure(err: unknown): void {
      const error: FlatpeakError | Error = isFlatpeakError(err) ? err : new Error(t("errors.unexpected", { detail: err instanceof Error ? err.message : String(err) }));
      const code = isFlatpeakError(error) ? error.code : "FLATPEAK_UNEXPECTED";
      status.failure(t("status.failed", { code: shortCode(code) }));
      if (logged.has(code)) return;
      logged.add(code);
      const msg: Record<string, unknown> = { payload: undefined, flatpeak: { source: "watch", error: { code, statusCode: isFlatpeakError(error) ? error.statusCode : undefined } } };
      if (isFlatpeakError(error) && error.statusCode !== undefined) msg.statusCode = error.statusCode;
      // Once per kind of failure: in the log, and to a Catch node.
      node.error(error, msg);
    }
  }

  // The editor reads its defaults, spinner bounds and checks from these tables.
  RED.nodes.registerType("flatpeak-watch", FlatpeakWatchNode, { settings: { flatpeakWatchLimits: { value: { interval: INTERVAL_S, replay: REPLAY }, exportable: true } } });
};

/** `FLATPEAK_RATE_LIMITED` → `rate limited`, for the little room under a node. */
function shortCode(code: string): string {
  return code.replace(/^FLATPEAK_/, "").replace(/_/g, " ").toLowerCase();
}
