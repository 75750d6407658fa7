/**
 * `flatpeak-plan`: turns prices into a switch. It runs a device for the
 * cheapest (or dearest) minutes of a window: `true` on output 1 when it must
 * run, `false` when it must stop, each at its instant; the plan on output 2;
 * the prices and the runs as chart points on output 3 (for Dashboard 2).
 *
 * The arithmetic is pure (lib/plan/): this file owns the state, the one timer
 * and node context. The state is what the node has told the device (`told`,
 * `ran`, `onSince`), the prices it knows, a one-off job if any, and the plan in force;
 * every decision is made again from that state and the clock, so a restart, a
 * redeploy or a clock jump lands in the same place.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from "node-red";
import { FlatpeakError } from "./lib/client/errors";
import { RedeployMemory, readContext, writeContext } from "./lib/context-store";
import { createTranslator, type Translator } from "./lib/i18n";
import { InstantTimer } from "./lib/instant-timer";
import { readOneOffJob, readJobSettings, PLAN_LIMITS, type JobProblem, type JobSettings } from "./lib/plan/job";
import { chartPoints } from "./lib/plan/chart";
import { planJob, type Plan } from "./lib/plan/planner";
import { hasPrices, mergeRows, readPrices, sanitizeRows, type RowsProblem } from "./lib/plan/rows";
import { planPayload, summarisePlan, type PlanPayload } from "./lib/plan/summary";
import { formatWallTime, isValidTimeZone, systemTimeZone } from "./lib/plan/time-zone";
import { isOnAt, nextChangeAfter, normalizeRuns } from "./lib/plan/timeline";
import { MINUTE_MS, type Job, type PriceRow, type Run, type Window } from "./lib/plan/types";
import { dailyWindow } from "./lib/plan/window";
import { StatusBoard, type StatusView } from "./lib/status";

interface PlanDef extends NodeDef, Partial<Record<keyof JobSettings, unknown>> {
  store?: string;
}

/** What is kept in node context, so that a restart keeps to the plan and counts the minutes already run. */
interface PlanState {
  rows: PriceRow[];
  /** The zone the last prices named; the daily window is read on its clocks. */
  timeZone?: string;
  /** A `msg.job` in force until its window ends. */
  oneOff?: { job: Job; window: Window };
  /** The window the minutes run below belong to. */
  window?: Window;
  /** When the node had the device on in this window (closed runs). */
  ran: Run[];
  /** What the device was last told: on (`true`) or off. */
  told: boolean;
  /** Told on, and on in this window since this instant: the run in progress, for the minutes run and minRun. */
  onSince?: number;
  /** The plan in force: the runs from its start, and what output 2 said. */
  plan?: { key: string; runs: Run[]; payload: PlanPayload };
}

type Send = (msg: Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;

const STATE_KEY = "flatpeak-plan-state";
/** A timer that wakes this long after its instant has missed time (a clock jump, a sleeping machine): plan again. */
const LATE_MS = 60_000;
/** Prices older than this are not needed for any window that is still open. */
const KEEP_PRICES_MS = 26 * 3_600_000;

export = function registerFlatpeakPlan(RED: NodeAPI): void {
  const t = createTranslator(RED._, "flatpeak-plan");
  const redeployMemory = new RedeployMemory();

  function FlatpeakPlanNode(this: Node, def: PlanDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const store = def.store || undefined;
    const context = redeployMemory.wrap(node.context(), node.id);
    const status = new StatusBoard((shown) => node.status(shown));
    const timer = new InstantTimer();
    const read = readJobSettings(def as unknown as Record<string, unknown>);
    const settings = read.ok ? read.settings : undefined;
    let state: PlanState = { rows: [], ran: [], told: false };
    /** The state as context held it, read once: an input before the start must not plan on (and save over) an empty state. */
    let loaded: Promise<void> | undefined;
    let closed = false;
    /** Every change of state goes through this chain: inputs, timer and start never interleave. */
    let queue: Promise<unknown> = Promise.resolve();

    node.on("input", (msg: NodeMessageInFlow, send: Send, done: Done) => {
      queue = queue.then(() => handleInput(msg, send, done));
    });

    // Messages sent while the flows are still starting can reach nodes that do not exist yet: start once they all run.
    const startWhenFlowsRun = (): void => {
      queue = queue.then(() => start());
    };

    node.on("close", (removed: boolean, done: () => void) => {
      closed = true;
      RED.events.removeListener("flows:started", startWhenFlowsRun);
      timer.cancel();
      if (removed) redeployMemory.forget(node.id);
      void queue.then(() => {
        status.clear();
        done();
      });
    });

    if (!read.ok) {
      status.failure(t("status.badSettings"));
      node.error(invalid(t, "errors.settings", read.problem));
    } else {
      RED.events.once("flows:started", startWhenFlowsRun);
    }

    function load(): Promise<void> {
      loaded ??= readContext(context, STATE_KEY, store).then(
        (stored) => {
          state = readState(stored);
        },
        (err: unknown) => {
          loaded = undefined; // a store that failed once is asked again next time
          throw err;
        },
      );
      return loaded;
    }

    async function start(): Promise<void> {
      try {
        await load();
        const now = Date.now();
        rollWindow(now);
        const fresh = !state.plan || state.plan.key !== planKey(now);
        if (fresh) makePlan(now);
        // After a start the node says the state for now, and the plan for a dashboard that starts empty.
        const on = isOnAt(state.plan!.runs, now);
        switchTo(on, now);
        node.send([switchMessage(on), planMessage(), chartMessage()]);
        await save();
        armTimer();
        showStatus();
      } catch (err) {
        reportUnexpected(err);
      }
    }

    async function handleInput(msg: NodeMessageInFlow, send: Send, done: Done): Promise<void> {
      if (closed) return done();
      try {
        if (!settings) throw invalid(t, "errors.settings", read.ok ? undefined : read.problem);
        await load();
        const now = Date.now();
        const update = readUpdate(msg, settings, now);
        if ("problem" in update) throw update.problem;
        if (update.rows) state.rows = mergeRows(state.rows, update.rows, now - KEEP_PRICES_MS);
        if (update.timeZone) state.timeZone = update.timeZone;
        if (update.oneOff) state.oneOff = update.oneOff;
        rollWindow(now);
        makePlan(now);
        const on = isOnAt(state.plan!.runs, now);
        switchTo(on, now);
        // The chart message carries no input properties (a chart would read some of them), only the message's ID.
        send([switchMessage(on, msg), { ...msg, ...planMessage() }, { ...chartMessage(), _msgid: msg._msgid }]);
        await save();
        armTimer();
        done();
      } catch (err) {
        if (err instanceof FlatpeakError) done(err);
        else done(unexpected(t, err));
      }
    }

    /** What the message brings (prices, a job, or both), checked before anything changes: the plan in force stays on any problem. */
    function readUpdate(msg: NodeMessageInFlow, settings: JobSettings, now: number): { rows?: PriceRow[]; timeZone?: string; oneOff?: PlanState["oneOff"] } | { problem: FlatpeakError } {
      const job = (msg as { job?: unknown }).job;
      const pricesGiven = hasPrices(msg.payload);
      if (!pricesGiven && (job === undefined || job === null)) return { problem: invalid(t, "errors.nothingToPlan", { code: "noPrices" }) };
      const update: { rows?: PriceRow[]; timeZone?: string; oneOff?: PlanState["oneOff"] } = {};
      if (pricesGiven) {
        const prices = readPrices(msg.payload);
        if (!prices.ok) return { problem: invalid(t, "errors.prices", prices.problem) };
        update.rows = prices.rows;
        update.timeZone = prices.timeZone;
      }
      if (job !== undefined && job !== null) {
        const oneOff = readOneOffJob(job, settings, now);
        if (!oneOff.ok) return { problem: invalid(t, "errors.job", oneOff.problem) };
        update.oneOff = { job: oneOff.job, window: oneOff.window };
      }
      return update;
    }

    /** The window in force now: a one-off job's until it ends, else the daily one in the prices' zone. */
    function currentWindow(now: number): { window: Window; job: Job } {
      if (state.oneOff && now < state.oneOff.window.end) return state.oneOff;
      return { window: dailyWindow(now, { from: settings!.from, until: settings!.until, timeZone: timeZone() }), job: settings! };
    }

    function timeZone(): string {
      return state.timeZone && isValidTimeZone(state.timeZone) ? state.timeZone : systemTimeZone();
    }

    /** Identifies what a plan was made for: the job, its window and the prices' zone. A stored plan with another key is made again. */
    function planKey(now: number): string {
      const { window, job } = currentWindow(now);
      return JSON.stringify([window.start, window.end, job.minutes, job.contiguous, job.minRun, job.goal, timeZone()]);
    }

    /**
     * A new window starts the count of minutes run afresh, and nothing runs in
     * it yet: the device may still be on (it is told only when the new plan
     * says otherwise), but the new plan is not bound to keep it on.
     */
    function rollWindow(now: number): void {
      if (state.oneOff && now >= state.oneOff.window.end) state.oneOff = undefined;
      const { window } = currentWindow(now);
      if (state.window && state.window.start === window.start && state.window.end === window.end) return;
      state.window = window;
      state.ran = [];
      state.onSince = undefined;
    }

    function makePlan(now: number): void {
      const { window, job } = currentWindow(now);
      const running = state.onSince !== undefined ? { start: state.onSince, end: now } : undefined;
      const doneRuns = running ? [...state.ran, running] : state.ran;
      const done = doneRuns.reduce((sum, run) => sum + Math.max(0, run.end - run.start), 0) / MINUTE_MS;
      const plan: Plan = planJob({ rows: state.rows, window, now, job, done, runningSince: state.onSince });
      const payload = planPayload({ plan, summary: summarisePlan(state.rows, plan), doneRuns, done: Math.round(done), timeZone: timeZone() });
      state.plan = { key: planKey(now), runs: plan.runs, payload };
    }

    /**
     * Books the minutes (a run starts or ends now) and notes what the device
     * is told; the caller sends it. True when that differs from before.
     */
    function switchTo(on: boolean, now: number): boolean {
      if (on && state.onSince === undefined && state.window && now >= state.window.start) state.onSince = now;
      if (!on && state.onSince !== undefined) {
        state.ran = normalizeRuns([...state.ran, { start: state.onSince, end: now }]);
        state.onSince = undefined;
      }
      const changed = on !== state.told;
      state.told = on;
      showStatus();
      return changed;
    }

    /** One timer, for the next change of the plan or the end of the window, whichever comes first. */
    function armTimer(): void {
      if (closed || !state.plan || !state.window) return;
      const now = Date.now();
      const change = nextChangeAfter(state.plan.runs, now);
      const next = Math.min(change ?? Number.POSITIVE_INFINITY, state.window.end);
      timer.armAt(next, () => {
        queue = queue.then(() => onTime(next));
      });
    }

    /**
     * At a change or a window's end: a new window is planned at once; then the
     * switch follows the plan. Woken well after its instant (the clock jumped
     * forward, the machine slept), the node plans again: minutes it missed are
     * not run, so the plan must find them elsewhere in the window.
     */
    async function onTime(due: number): Promise<void> {
      if (closed) return;
      try {
        const now = Date.now();
        const windowEnded = state.window !== undefined && now >= state.window.end;
        const late = now - due > LATE_MS;
        rollWindow(now);
        const replanned = windowEnded || late;
        if (replanned) makePlan(now);
        const on = isOnAt(state.plan!.runs, now);
        const changed = switchTo(on, now);
        // The chart follows too: its status line says what runs now.
        if (changed || replanned) node.send([changed ? switchMessage(on) : null, replanned ? planMessage() : null, chartMessage()]);
        await save();
        armTimer();
      } catch (err) {
        reportUnexpected(err);
      }
    }

    function switchMessage(on: boolean, input?: NodeMessageInFlow): NodeMessage {
      return { ...(input ?? {}), payload: on, topic: "flatpeak/plan/switch" };
    }

    function planMessage(): NodeMessage {
      return { payload: state.plan!.payload, topic: "flatpeak/plan" };
    }

    /** Points for Dashboard 2's ui-chart (series, x, y), and the status line to show beside it. */
    function chartMessage(): NodeMessage {
      const { payload } = state.plan!;
      const runs = payload.runs.map((run) => ({ start: Date.parse(run.start), end: Date.parse(run.end) }));
      const window = { start: Date.parse(payload.window.start), end: Date.parse(payload.window.end) };
      const points = chartPoints(state.rows, window, runs, { price: t("chart.price"), plan: t("chart.plan") });
      return { payload: points, topic: "flatpeak/plan/chart", flatpeak: { status: statusView().text } };
    }

    function showStatus(): void {
      if (state.plan) status.set(statusView());
    }

    /** "on until 02:30", "off · next 23:00–01:00" or "no prices", on the clocks of the prices' zone. */
    function statusView(): StatusView {
      const now = Date.now();
      const zone = timeZone();
      const runs = state.plan!.runs;
      const current = runs.find((run) => run.start <= now && now < run.end);
      if (current) return { fill: "green", shape: "dot", text: t("status.onUntil", { time: formatWallTime(current.end, zone) }) };
      const next = runs.find((run) => run.start > now);
      const span = next ? { from: formatWallTime(next.start, zone), until: formatWallTime(next.end, zone) } : undefined;
      if (state.rows.length === 0) return { fill: "yellow", shape: "ring", text: span ? t("status.noPricesNext", span) : t("status.noPrices") };
      const fill = state.plan!.payload.complete ? "grey" : "yellow";
      return { fill, shape: "ring", text: span ? t("status.offNext", span) : t("status.offDone") };
    }

    async function save(): Promise<void> {
      await writeContext(context, STATE_KEY, state, store);
    }

    function reportUnexpected(err: unknown): void {
      if (closed) return;
      const error = unexpected(t, err);
      status.failure(t("status.failed"));
      node.error(error, { payload: undefined, flatpeak: { error: { code: error.code } } });
    }
  }

  RED.nodes.registerType("flatpeak-plan", FlatpeakPlanNode, { settings: { flatpeakPlanLimits: { value: PLAN_LIMITS, exportable: true } } });
};

/** The state as context held it: anything unreadable (another version, a hand edit) is dropped, never trusted. */
function readState(stored: unknown): PlanState {
  const value = typeof stored === "object" && stored !== null ? (stored as Record<string, unknown>) : {};
  const state: PlanState = { rows: sanitizeRows(value.rows), ran: normalizeRuns(runsOf(value.ran)), told: value.told === true };
  if (typeof value.timeZone === "string" && isValidTimeZone(value.timeZone)) state.timeZone = value.timeZone;
  if (isFiniteNumber(value.onSince)) state.onSince = value.onSince;
  const window = windowOf(value.window);
  if (window) state.window = window;
  const oneOff = value.oneOff as { job?: Record<string, unknown>; window?: unknown } | undefined;
  const oneOffWindow = windowOf(oneOff?.window);
  if (oneOff?.job && oneOffWindow && isFiniteNumber(oneOff.job.minutes)) {
    const job = oneOff.job;
    state.oneOff = {
      job: { minutes: job.minutes as number, contiguous: job.contiguous === true, minRun: isFiniteNumber(job.minRun) ? job.minRun : 0, goal: job.goal === "highest" ? "highest" : "lowest" },
      window: oneOffWindow,
    };
  }
  const plan = value.plan as { key?: unknown; runs?: unknown; payload?: unknown } | undefined;
  if (plan && typeof plan.key === "string" && typeof plan.payload === "object" && plan.payload !== null) {
    state.plan = { key: plan.key, runs: normalizeRuns(runsOf(plan.runs)), payload: plan.payload as PlanPayload };
  }
  return state;
}

function runsOf(value: unknown): Run[] {
  if (!Array.isArray(value)) return [];
  return value.map(windowOf).filter((run): run is Run => run !== undefined);
}

function windowOf(value: unknown): Window | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { start, end } = value as Record<string, unknown>;
  return isFiniteNumber(start) && isFiniteNumber(end) && end > start ? { start, end } : undefined;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

type ProblemKey = "errors.settings" | "errors.prices" | "errors.job" | "errors.nothingToPlan";

/** One catchable FLATPEAK_INVALID_INPUT that says what was wrong, in the user's language. */
function invalid(t: Translator<"flatpeak-plan">, key: ProblemKey, problem: RowsProblem | JobProblem | { code: "noPrices" } | undefined): FlatpeakError {
  const vars = (problem as { vars?: Record<string, string | number> } | undefined)?.vars ?? {};
  const reason = problem ? t(`problems.${problem.code}` as Parameters<typeof t>[0], vars) : "";
  return new FlatpeakError({ kind: "invalid-input", messageKey: key }, t(key, { reason }));
}

function unexpected(t: Translator<"flatpeak-plan">, err: unknown): FlatpeakError {
  const detail = err instanceof Error ? err.message : String(err);
  return new FlatpeakError({ kind: "unexpected", messageKey: "unexpected" }, t("errors.unexpected", { detail }));
}
