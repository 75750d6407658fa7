/**
 * Property-based tests for the source nodes, in real Node-RED against the
 * simulator over loopback HTTP. Fixed seeds, so a failure replays the same way.
 *
 * Webhook: random bodies and headers, some validly signed. Each delivery gets
 * exactly one HTTP answer and ends in exactly one outcome (sent, caught, or a
 * redelivery answered 200), and no event is sent twice.
 *
 * Watch: random sequences of new events, faults on the list route, polls and
 * redeploys, with random page sizes, overlapping pages and type filters. The
 * node's output and status are checked after every poll against a model of
 * the spec ("Event sources" in SPEC.md).
 */
import http from "node:http";
import type { Socket } from "node:net";
import fc from "fast-check";
import should from "should";
import { EventStore } from "../simulator/event-store";
import { SAMPLE_EVENTS } from "../simulator/sample-events";
import type { Fault, FlatpeakEvent, Simulator } from "../simulator/server";
import { signWebhook } from "../simulator/signing";
import { helper, loggedTexts, statusesOf, untimed, useSimulator, waitFor, watchProcess } from "./support/harness";
import { deploySource, httpInMessage, type SourceFlow } from "./support/sources";

const SEED = 20261201;
const ANSWERS = new Set([200, 400, 401, 413, 500, 503]);

describe("fuzz: deliveries at the webhook node", function () {
  const env = useSimulator();

  it("answers every delivery once, ends it once, and sends no event twice", async function () {
    this.timeout(120_000);
    const flow = await deploySource(env.sim, { type: "flatpeak-webhook", tolerance: 300, allowUnsigned: false });
    const events = Array.from({ length: 5 }, () => JSON.stringify(env.sim.createEvent()));
    const body = fc.oneof(
      fc.constantFrom(...events),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
      fc.json(),
      fc.constantFrom("", "{}", "[]", "null", '{"id":"evt_1","type":"x","object":"event"}'),
    );
    const headerValue = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom("none", "v1=", "v1=abc", "1700000000", "wsk_test_x"));
    const delivery = fc.record({
      body,
      sign: fc.constantFrom("valid", "valid", "stale", "random"),
      extra: fc.dictionary(fc.constantFrom("flatpeak-signature", "flatpeak-timestamp", "flatpeak-key-id", "content-type"), headerValue),
    });
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(delivery, async ({ body: text, sign, extra }) => {
        const raw = Buffer.from(text, "latin1");
        const now = Date.now() / 1000;
        const headers =
          sign === "random" ? extra : signWebhook(raw, env.sim.signingKey.privateKey, env.sim.signingKey.kid, sign === "stale" ? now - 1000 : now);
        const { msg, answer } = httpInMessage(raw, headers);
        const endsBefore = flow.received("out").length + flow.received("caught").length;
        flow.node("source").receive(msg);
        await waitFor(() => answer.status !== undefined, 5000, "an answer");
        answered += 1;
        ANSWERS.has(answer.status!).should.be.true(`unexpected status ${answer.status}`);
        if (answer.status === 200 && (answer.body as { duplicate?: boolean }).duplicate) return;
        await waitFor(() => flow.received("out").length + flow.received("caught").length === endsBefore + 1, 5000, "one outcome");
      }),
      { seed: SEED, numRuns: 150 },
    );
    answered.should.equal(150);
    const sent = flow.received("out").map((m: any) => m.payload.id as string);
    new Set(sent).size.should.equal(sent.length, "no event sent twice");
    sent.length.should.be.above(0, "some deliveries were valid");
  });
});

// ---------------------------------------------------------------------------
// flatpeak watch

/** FLATPEAK_FUZZ_SEED and FLATPEAK_FUZZ_RUNS explore further (the timeout then grows with the runs). */
const WATCH_SEED = Number(process.env.FLATPEAK_FUZZ_SEED) || 20261202;
const WATCH_RUNS = Number(process.env.FLATPEAK_FUZZ_RUNS) || 150;
/** The spec's catch-up cap: a poll reads at most this many pages. */
const CATCH_UP_PAGES = 10;
/** Every event type the simulator's sample events have. */
const TYPES = [...new Set(SAMPLE_EVENTS.map((event) => event.type))];
const WATCH = { type: "flatpeak-watch", interval: 3600 };
/** The config node's `maxBackoff` in deploySource (seconds): a longer Retry-After is not waited for. */
const MAX_BACKOFF_S = 1;

/**
 * A loopback proxy in front of the simulator that plays a server whose
 * `GET /events` pages hold at most `pageSize` events (fewer than the node
 * asks for), and whose pages after the first also repeat the `overlap` events
 * listed just before the cursor (overlapping pages). Everything else, faults
 * included, passes through unchanged.
 */
interface ListProxy {
  readonly url: string;
  pageSize: number;
  overlap: number;
  /** When each `GET /events` request arrived (Date.now()). */
  readonly listRequestTimes: number[];
  close(): Promise<void>;
}

interface Upstream {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function startListProxy(target: string): Promise<ListProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  const proxy = { pageSize: 100, overlap: 0 };
  const listRequestTimes: number[] = [];
  const options = (path: string, req: http.IncomingMessage): http.RequestOptions => ({
    host: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path,
    headers: { ...req.headers, host: upstream.host },
    agent,
  });
  const fetchUpstream = (path: string, req: http.IncomingMessage): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const out = http.request(options(path, req), (answer) => {
        let body = "";
        answer.setEncoding("utf8");
        answer.on("data", (chunk: string) => (body += chunk));
        answer.on("end", () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body }));
        answer.on("error", reject);
      });
      out.on("error", reject);
      out.end();
    });
  const pipe = (path: string, req: http.IncomingMessage, res: http.ServerResponse): void => {
    const out = http.request(options(path, req), (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      // A body cut off upstream (the simulator's `truncate`) is cut off here too.
      answer.on("close", () => {
        if (!answer.complete) res.destroy();
      });
    });
    out.on("error", () => res.destroy());
    req.pipe(out);
  };
  /** Page 2 onwards with an overlap: the `overlap` events just newer than the cursor, then the page after it. */
  const overlapped = async (url: URL, cursor: string, overlap: number, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const limit = Number(url.searchParams.get("limit"));
    const newer = new URL(url);
    newer.searchParams.delete("starting_after");
    newer.searchParams.set("ending_before", cursor);
    newer.searchParams.set("limit", String(overlap));
    const older = new URL(url);
    older.searchParams.set("limit", String(limit - overlap));
    const repeated = await fetchUpstream(newer.pathname + newer.search, req);
    const page = await fetchUpstream(older.pathname + older.search, req);
    const first = parseList(repeated.body);
    const second = parseList(page.body);
    if (repeated.status !== 200 || page.status !== 200 || !first || !second) {
      res.writeHead(page.status, { "Content-Type": page.headers["content-type"] ?? "application/json" });
      res.end(page.body);
      return;
    }
    const text = JSON.stringify({ ...second, data: [...first.data, ...second.data] });
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
    res.end(text);
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", target);
    const isList = req.method === "GET" && url.pathname === "/events";
    if (isList) listRequestTimes.push(Date.now());
    if (isList) url.searchParams.set("limit", String(Math.min(proxy.pageSize, Number(url.searchParams.get("limit") ?? 30))));
    const cursor = url.searchParams.get("starting_after");
    const overlap = Math.min(proxy.overlap, Number(url.searchParams.get("limit")) - 1);
    if (isList && cursor && overlap > 0) {
      overlapped(url, cursor, overlap, req, res).catch(() => res.destroy());
      return;
    }
    pipe(url.pathname + url.search, req, res);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    listRequestTimes,
    get pageSize() {
      return proxy.pageSize;
    },
    set pageSize(value: number) {
      proxy.pageSize = value;
    },
    get overlap() {
      return proxy.overlap;
    },
    set overlap(value: number) {
      proxy.overlap = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

function parseList(text: string): { data: unknown[] } | undefined {
  try {
    const body = JSON.parse(text) as { data?: unknown };
    return Array.isArray(body?.data) ? (body as { data: unknown[] }) : undefined;
  } catch {
    return undefined;
  }
}

/** A misbehaviour of the list route for the next poll's first request. */
type FaultPlan =
  | { kind: "server-error"; status: number }
  | { kind: "rate-limited"; retryAfter: string | undefined }
  | { kind: "not-list"; body: unknown }
  | { kind: "not-json" }
  | { kind: "cut-json"; keep: number }
  | { kind: "truncate" }
  | { kind: "reset" }
  /** The real page with entries that are not events mixed in, and maybe one real event listed twice. */
  | { kind: "garbage"; entries: Array<{ at: number; value: unknown }>; repeatAt: number | undefined }
  /** A list with no events at all: the node cannot tell it from a list that lost its cursor. */
  | { kind: "empty-list" };

type Step =
  | { kind: "create"; types: string[] }
  | { kind: "fault"; fault: FaultPlan }
  | { kind: "poll" }
  | { kind: "poll-twice" }
  | { kind: "redeploy" };

interface Scenario {
  pageSize: number;
  overlap: number;
  filter: string[];
  replay: number;
  retries: number;
  /** The node's cursor store: the default one or a named one (both set up in contextStorage). */
  store: string;
  steps: Step[];
}

interface StatusView {
  fill?: string;
  shape?: string;
  text?: string;
}

const POLLING: StatusView = { fill: "blue", shape: "dot", text: "polling…" };
const MISSED: StatusView = { fill: "yellow", shape: "ring", text: "may have missed events" };
const sentStatus = (count: number): StatusView => ({ fill: "green", shape: "dot", text: `${count} sent` });
const failedStatus = (code: string): StatusView => ({ fill: "red", shape: "ring", text: `poll failed: ${code.replace(/^FLATPEAK_/, "").replace(/_/g, " ").toLowerCase()}` });

/** What the client makes of each failing fault, and whether one more attempt (retries: 1) gets past it. */
function failureOf(fault: FaultPlan): { code: string; retriable: boolean } | undefined {
  switch (fault.kind) {
    case "server-error":
      return { code: "FLATPEAK_SERVER_ERROR", retriable: true };
    case "rate-limited": {
      const wait = fault.retryAfter === undefined ? 0 : /^\d+$/.test(fault.retryAfter) ? Number(fault.retryAfter) : 0;
      return { code: "FLATPEAK_RATE_LIMITED", retriable: wait <= MAX_BACKOFF_S };
    }
    case "not-list":
    case "not-json":
    case "cut-json":
      return { code: "FLATPEAK_BAD_RESPONSE", retriable: false };
    case "truncate":
    case "reset":
      return { code: "FLATPEAK_NETWORK", retriable: true };
    case "garbage":
    case "empty-list":
      return undefined;
  }
}

/**
 * The spec's `flatpeak watch`, as a model: which events each poll sends, the
 * cursor, the status it shows, what reaches a Catch node and the warnings.
 * `listed()` is the list the server has (newest first, with the one-type
 * server filter); the model never looks at the node.
 */
class WatchModel {
  cursor: string | undefined;
  initialised = false;
  /** This instance warned that events may have been missed. */
  warned = false;
  /** Failure codes reported since the last good poll, in this instance. */
  logged = new Set<string>();
  sentTotal = 0;
  /** The last poll of this instance failed (its retry timer is then at most 5 s away). */
  lastFailed = false;
  readonly out: string[] = [];
  /** The statuses the current instance has shown. */
  statuses: StatusView[] = [];
  readonly caught: string[] = [];
  warnings = 0;
  /** Wanted events created during the run that a poll over the catch-up cap skipped (the documented loss). */
  readonly lost = new Set<string>();
  readonly serverType: string | undefined;

  constructor(
    private readonly mirror: EventStore,
    private readonly sc: Scenario,
  ) {
    this.serverType = sc.filter.length === 1 ? sc.filter[0] : undefined;
  }

  /** Events one poll can reach: a full first page, then pages that each add `pageSize - overlap` events not seen yet. */
  get cap(): number {
    return this.sc.pageSize + (CATCH_UP_PAGES - 1) * (this.sc.pageSize - this.sc.overlap);
  }

  listed(): FlatpeakEvent[] {
    return this.mirror.newestFirst().filter((event) => this.serverType === undefined || event.type === this.serverType);
  }

  wanted(event: FlatpeakEvent): boolean {
    return this.sc.filter.length === 0 || this.sc.filter.includes(event.type);
  }

  /** How many listed events are newer than the cursor. */
  pending(): number {
    const listed = this.listed();
    if (this.cursor === undefined) return listed.length;
    const index = listed.findIndex((event) => event.id === this.cursor);
    if (index < 0) throw new Error(`model: cursor ${this.cursor} is not listed`);
    return index;
  }

  /**
   * Whether an event of this type may be created. After the node warned, the
   * scenario keeps every catch-up within the cap (with room for the final
   * marker): a second catch-up over the cap in one instance hits the status
   * bug in the skipped test below.
   */
  mayCreate(type: string, marker = false): boolean {
    const listedToo = this.serverType === undefined || type === this.serverType;
    // Found when fewer than `cap` events are newer than the cursor; the marker needs the last place.
    return !(this.warned && listedToo && this.pending() + 1 > this.cap - (marker ? 1 : 2));
  }

  /** An empty list is injected only where its false "missed" warning cannot be followed by a catch-up over the cap in the same instance. */
  mayInjectEmptyList(): boolean {
    return this.cursor === undefined || (!this.warned && this.pending() <= this.cap - 2);
  }

  restart(): void {
    this.warned = false;
    this.logged = new Set();
    this.sentTotal = 0;
    this.lastFailed = false;
    this.statuses = [];
  }

  /** One poll, with `fault` on its first request. */
  poll(fault: FaultPlan | undefined): void {
    this.statuses.push(POLLING);
    const failure = fault && failureOf(fault);
    this.lastFailed = failure !== undefined && !(this.sc.retries >= 1 && failure.retriable);
    if (failure && this.lastFailed) {
      this.statuses.push(failedStatus(failure.code));
      if (!this.logged.has(failure.code)) {
        this.logged.add(failure.code);
        this.caught.push(failure.code);
      }
      return;
    }
    const listed = this.listed();
    let fresh: FlatpeakEvent[];
    let found: boolean;
    let newest: string | undefined = listed[0]?.id;
    if (fault?.kind === "empty-list") {
      fresh = [];
      found = this.cursor === undefined;
      newest = undefined;
    } else if (!this.initialised) {
      fresh = listed.slice(0, this.sc.pageSize);
      found = true;
    } else {
      const pending = this.pending();
      found = this.cursor === undefined ? pending <= this.cap : pending < this.cap;
      fresh = listed.slice(0, found ? pending : this.cap);
      if (!found) for (const event of listed.slice(this.cap, pending)) if (this.wanted(event)) this.lost.add(event.id);
    }
    const wanted = fresh.filter((event) => this.wanted(event));
    const sent = (this.initialised ? wanted : wanted.slice(0, this.sc.replay)).reverse();
    const wasInitialised = this.initialised;
    this.initialised = true;
    this.cursor = newest ?? this.cursor;
    this.out.push(...sent.map((event) => event.id));
    this.sentTotal += sent.length;
    this.logged.clear();
    if (found) {
      this.statuses.push(sentStatus(this.sentTotal));
    } else if (wasInitialised && !this.warned) {
      this.warned = true;
      this.warnings += 1;
      this.statuses.push(MISSED);
    } else {
      throw new Error("model: a second catch-up over the cap in one instance (the scenario should have avoided it)");
    }
  }

  /** The simulator fault for `plan`, built from the list as it is now. */
  fault(plan: FaultPlan): Fault {
    const base = { route: "list" as const, times: 1 };
    switch (plan.kind) {
      case "server-error":
        return { ...base, kind: "status", status: plan.status };
      case "rate-limited":
        return { ...base, kind: "status", status: 429, headers: plan.retryAfter === undefined ? {} : { "Retry-After": plan.retryAfter } };
      case "not-list":
        return { ...base, kind: "status", status: 200, body: plan.body };
      case "not-json":
        return { ...base, kind: "not-json" };
      case "cut-json": {
        const text = JSON.stringify(this.firstPage());
        return { ...base, kind: "status", status: 200, body: text.slice(0, Math.max(1, Math.floor((text.length - 1) * plan.keep))) };
      }
      case "truncate":
        return { ...base, kind: "truncate" };
      case "reset":
        return { ...base, kind: "reset" };
      case "garbage": {
        const page = this.firstPage();
        const data: unknown[] = [...page.data];
        if (plan.repeatAt !== undefined && data.length > 0) {
          const at = plan.repeatAt % data.length;
          data.splice(at + 1, 0, data[at]);
        }
        for (const { at, value } of plan.entries) data.splice(at % (data.length + 1), 0, value);
        return { ...base, kind: "status", status: 200, body: { ...page, data } };
      }
      case "empty-list":
        return { ...base, kind: "status", status: 200, body: { object: "list", url: "/events", has_more: false, data: [] } };
    }
  }

  /** The page the node's next first request would get. */
  private firstPage(): { object: "list"; url: "/events"; has_more: boolean; data: FlatpeakEvent[] } {
    const listed = this.listed();
    return { object: "list", url: "/events", has_more: listed.length > this.sc.pageSize, data: listed.slice(0, this.sc.pageSize) };
  }
}

const eventType = fc.constantFrom(...TYPES);
const fakeId = fc.stringMatching(/^[0-9a-f]{24}$/).map((hex) => `evt_${hex}`);
/** Entries of a list page that are not events: the node must skip every one of them. */
const garbageEntry: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, 0, 42, true, "evt_6650a1b2c3d4e5f6a7b8c9d0", [], {}, [{ id: "evt_6650a1b2c3d4e5f6a7b8c9d0", type: "device.update" }]),
  // Events missing a field the node relies on, or with one of the wrong kind.
  fc.record({ id: fakeId, object: fc.constant("event"), data: fc.constant({}) }),
  fc.record({ type: eventType, object: fc.constant("event"), data: fc.constant({}) }),
  fc.record({ id: fakeId, type: fc.constantFrom<unknown>("", null, 7, ["device.update"]), object: fc.constant("event") }),
  fc.record({ id: fakeId, type: eventType, object: fc.constantFrom<unknown>("customer", "list", null, 1) }),
  fc.record({
    id: fc.constantFrom<unknown>(12, null, "dev_6650a1b2c3d4e5f6a7b8c001", "evt_", "evt_with space", " evt_6650a1b2c3d4e5f6a7b8c9d0", `evt_${"a".repeat(65)}`, { id: "evt_x" }),
    type: eventType,
    object: fc.constant("event"),
    time_created: fc.constant("2026-01-01T00:00:00Z"),
  }),
);
const notAList = fc.constantFrom<unknown>(
  { object: "list", url: "/events", has_more: false, data: { id: "evt_notAnArray" } },
  { object: "list", url: "/events", has_more: true },
  { object: "list", url: "/events", has_more: false, data: null },
  { object: "list", url: "/events", has_more: false, data: "[]" },
  { object: "event", url: "/events", has_more: false, data: [] },
  [],
  [SAMPLE_EVENTS[0]],
  42,
  "list",
);
const faultPlan: fc.Arbitrary<FaultPlan> = fc.oneof(
  fc.record({ kind: fc.constant("server-error" as const), status: fc.constantFrom(500, 502, 503, 504) }),
  fc.record({ kind: fc.constant("rate-limited" as const), retryAfter: fc.constantFrom(undefined, "0", "1", "30", "Thu, 01 Jan 1970 00:00:00 GMT") }),
  fc.record({ kind: fc.constant("not-list" as const), body: notAList }),
  fc.constant({ kind: "not-json" as const }),
  fc.record({ kind: fc.constant("cut-json" as const), keep: fc.double({ min: 0, max: 0.99, noNaN: true }) }),
  fc.constant({ kind: "truncate" as const }),
  fc.constant({ kind: "reset" as const }),
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("garbage" as const),
      entries: fc.array(fc.record({ at: fc.nat(200), value: garbageEntry }), { minLength: 1, maxLength: 6 }),
      repeatAt: fc.option(fc.nat(200), { nil: undefined }),
    }),
  },
  fc.constant({ kind: "empty-list" as const }),
);
const typeFilter = fc.oneof(
  fc.constant<string[]>([]),
  eventType.map((type) => [type]),
  fc.uniqueArray(eventType, { minLength: 2, maxLength: 4 }),
);
const pageShape = fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom(10, 100)).chain((pageSize) =>
  fc.record({ pageSize: fc.constant(pageSize), overlap: fc.integer({ min: 0, max: Math.min(3, pageSize - 1) }) }),
);
const scenario: fc.Arbitrary<Scenario> = fc
  .record({ shape: pageShape, filter: typeFilter, replay: fc.constantFrom(0, 0, 1, 3), retries: fc.constantFrom(0, 0, 1), store: fc.constantFrom("", "cursor") })
  .chain(({ shape, filter, replay, retries, store }) => {
    // New events mostly of the filtered types, so that filters have something to send.
    const newType = filter.length === 0 ? eventType : fc.oneof(fc.constantFrom(...filter), eventType);
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant("create" as const), types: fc.array(newType, { minLength: 1, maxLength: 14 }) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("fault" as const), fault: faultPlan }) },
      { weight: 4, arbitrary: fc.constant({ kind: "poll" as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: "poll-twice" as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: "redeploy" as const }) },
    );
    return fc.record({ steps: fc.array(step, { minLength: 1, maxLength: 14 }) }).map(({ steps }) => ({ ...shape, filter, replay, retries, store, steps }));
  });

/** Statuses as the model writes them: fill, shape and text; a success without its time of day. */
function shownStatuses(node: any): StatusView[] {
  return statusesOf(node).map((status) => {
    const { fill, shape, text } = status.fill === "green" ? untimed(status) : status;
    return { fill, shape, text };
  });
}

function missedWarnings(): number {
  return loggedTexts().filter((text) => text.includes("older ones may have been missed")).length;
}


/**
 * Runs `body` with context stores set up as a settings.js `contextStorage`
 * would (a default and a named "cursor" store). The test helper never runs the
 * runtime's step that loads them, so this runs it before the flows load. With
 * a configured store Node-RED keeps a node's context when the node closes, so
 * a redeploy resumes from the stored cursor as after a restart with a
 * persistent store. (Without one, Node-RED deletes the context of every node
 * it closes: a redeploy is then a first start.) A memory store is enough: the
 * node sees it as it sees localfilesystem with its cache (the default).
 */
async function withContextStorage<T>(body: () => Promise<T>): Promise<T> {
  const internals = helper as any;
  const settings = internals._settings;
  const redNodes = internals._redNodes;
  const loadFlows = redNodes.loadFlows;
  internals.settings({ contextStorage: { default: { module: "memory" }, cursor: { module: "memory" } } });
  redNodes.loadFlows = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
    await redNodes.loadContextsPlugin();
    return loadFlows.apply(this, args);
  };
  try {
    return await body();
  } finally {
    redNodes.loadFlows = loadFlows;
    internals._settings = settings;
  }
}

/** A full redeploy; the helper gives the runtime 300 ms to report the start, which a busy machine may miss: then wait for the new node. */
async function redeployWatch(flow: SourceFlow, old: unknown): Promise<void> {
  try {
    await flow.redeploy();
  } catch (err) {
    if (!(err instanceof Error) || !/timeout waiting event/.test(err.message)) throw err;
  }
  await waitFor(() => flow.node("source") !== undefined && flow.node("source") !== old, 15_000, "the redeployed watch node");
}

describe("fuzz: polls of the watch node", function () {
  const env = useSimulator();
  let proxy: ListProxy | undefined;

  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  /*
   * Found by the fuzz test below (whose scenarios steer around it): once a node had warned that
   * events may have been missed, a later catch-up that again did not reach the cursor within the
   * 10 pages set no status at all, so the node kept showing "polling…" after the poll was over.
   * Every poll now ends in a status of its own; the log warning stays once per deployment.
   */
  it("shows a second catch-up over the cap in the status, not \"polling…\"", async function () {
    this.timeout(60_000);
    const flow = await deploySource(env.sim, { ...WATCH, eventTypes: "", replay: 0, store: "" });
    const node = flow.node("source");
    await waitFor(() => statusesOf(node).length >= 2, 15_000, "the first poll");
    for (const round of [1, 2]) {
      // More than 10 pages of 100: the cursor is out of reach, the 1000 newest are sent.
      for (let i = 0; i < 1001; i += 1) env.sim.createEvent();
      node.receive({ payload: "poll" });
      await waitFor(() => flow.received("out").length >= round * 1000, 30_000, `catch-up ${round}`);
    }
    // The events are sent after the status is set, in the same turn: the poll is over.
    flow.received("out").length.should.equal(2000);
    const shown = statusesOf(node).map(({ fill, shape, text }) => ({ fill, shape, text }));
    shown.slice(0, 4).should.eql([POLLING, sentStatus(0), POLLING, MISSED].map((status, i) => (i === 1 ? { ...status, text: shown[1].text } : status)));
    should(shown[shown.length - 1]).eql(MISSED, `the poll is over: its status must say it missed events: ${JSON.stringify(shown)}`);
  });

  /**
   * Invariants checked after every poll (each with its own message):
   * no event sent twice; oldest first; only real events, as listed; the
   * status of every poll (a red ring for each failed one); one Catch message
   * per kind of failure since the last good poll; the documented warning
   * exactly when a catch-up exceeds the cap; and the whole output equal to
   * the model's. At the end: a new event is still sent (the node kept
   * polling), and every wanted event created during the run was sent exactly
   * once unless a catch-up over the cap skipped it (which was warned of).
   */
  it("sends each new event once, oldest first, through faults, overlapping pages and redeploys", async function () {
    const explore = WATCH_RUNS > 150;
    this.timeout(explore ? WATCH_RUNS * 1000 : 60_000);
    proxy = await startListProxy(env.sim.url);
    const listProxy = proxy;
    const sim: Simulator = env.sim;
    const mirror = new EventStore(SAMPLE_EVENTS, 10_000);
    const watch = watchProcess();
    let runs = 0;
    let loaded = false;
    const seen = { polls: 0, failedPolls: 0, redeploys: 0, warnings: 0, garbagePages: 0, multiPagePolls: 0 };

    const runScenario = async (sc: Scenario): Promise<void> => {
      if (loaded) await helper.unload();
      loaded = false;
      sim.clearFaults();
      listProxy.pageSize = sc.pageSize;
      listProxy.overlap = sc.overlap;
      const model = new WatchModel(mirror, sc);
      const created: FlatpeakEvent[] = [];
      const flow = await deploySource(sim, { ...WATCH, eventTypes: sc.filter.join(", "), replay: sc.replay, store: sc.store }, { baseUrl: listProxy.url, retries: sc.retries });
      loaded = true;
      let node = flow.node("source");
      const describeState = (): string =>
        JSON.stringify({ scenario: sc, expected: { out: model.out, statuses: model.statuses, caught: model.caught }, got: { out: flow.received("out").map((m: any) => m.payload?.id), statuses: shownStatuses(node), caught: flow.received("caught").map((m: any) => m.flatpeak?.error?.code) } });

      /** Waits until the node has shown, sent and reported what the model expects, then checks it all. */
      const check = async (): Promise<void> => {
        const counts = (): number[] => [statusesOf(node).length - model.statuses.length, flow.received("out").length - model.out.length, flow.received("caught").length - model.caught.length];
        // Until all of it is there, or something more than expected (then the checks below say what).
        const reached = (): boolean => counts().every((d) => d >= 0) || counts().some((d) => d > 0);
        let timedOut = false;
        await waitFor(reached, 15_000, "the poll's status, messages and reports").catch(() => (timedOut = true));
        const out = flow.received("out") as any[];
        const ids = out.map((m) => m.payload?.id as string);
        should(new Set(ids).size).equal(ids.length, `an event was sent twice: ${describeState()}`);
        const rank = new Map(mirror.newestFirst().map((event, index) => [event.id, index]));
        ids.forEach((id, i) => {
          // Garbage never reaches the output: every message is a real event, exactly as listed.
          const real = mirror.get(id);
          should(real !== undefined).be.true(`sent something that is not an event of the list: ${JSON.stringify(out[i].payload)}`);
          should(out[i].payload).eql(real, `sent ${id} changed`);
          should(out[i].topic).equal(real!.type);
          const summary = real!.time_created === undefined ? { id, type: real!.type } : { id, type: real!.type, time_created: real!.time_created };
          should(out[i].flatpeak).eql({ source: "watch", event: summary });
          if (i > 0) should(rank.get(ids[i - 1])! > rank.get(id)!).be.true(`not oldest first: ${ids[i - 1]} before ${id}: ${describeState()}`);
        });
        should(ids).eql(model.out, `sent: ${describeState()}`);
        should(shownStatuses(node)).eql(model.statuses, `status: ${describeState()}`);
        should(flow.received("caught").map((m: any) => m.flatpeak?.error?.code)).eql(model.caught, `reported failures: ${describeState()}`);
        should(missedWarnings()).equal(model.warnings, `"missed" warnings: ${describeState()}`);
        if (timedOut) throw new Error(`the node did not get to what the model expects: ${describeState()}`);
      };

      const inject = (pending: FaultPlan | undefined): FaultPlan | undefined => {
        if (!pending || (pending.kind === "empty-list" && !model.mayInjectEmptyList())) return undefined;
        sim.addFault(model.fault(pending));
        if (pending.kind === "garbage") seen.garbagePages += 1;
        return pending;
      };
      const countPolls = (faults: Array<FaultPlan | undefined>): void => {
        seen.polls += faults.length;
        seen.failedPolls += faults.filter((f) => f && failureOf(f) && !(sc.retries >= 1 && failureOf(f)!.retriable)).length;
        if (model.pending() > sc.pageSize) seen.multiPagePolls += 1;
      };

      /**
       * Sends `count` inputs; returns a check that the first one polled at once. After a failed
       * poll that is the one thing a late poll would hide: the node's own retry comes 5 s later.
       */
      const sendPolls = (count: number): (() => void) => {
        const afterFailure = model.lastFailed;
        const firstRequest = listProxy.listRequestTimes.length;
        const sentAt = Date.now();
        for (let i = 0; i < count; i += 1) node.receive({ payload: "poll" });
        return () => {
          if (!afterFailure) return;
          const waited = listProxy.listRequestTimes[firstRequest] - sentAt;
          should(waited < 4000).be.true(`an input after a failed poll polled only after ${waited} ms (the retry timer's wait): ${describeState()}`);
        };
      };

      model.poll(undefined); // the first start: sets the cursor, sends the replay events
      await check();
      let pending: FaultPlan | undefined;
      for (const step of sc.steps) {
        switch (step.kind) {
          case "create":
            for (const type of step.types) {
              if (!model.mayCreate(type)) continue;
              const event = sim.createEvent({ type });
              mirror.add(event);
              created.push(event);
            }
            break;
          case "fault":
            pending = step.fault;
            break;
          case "poll": {
            const fault = inject(pending);
            pending = undefined;
            countPolls([fault]);
            const promptly = sendPolls(1);
            model.poll(fault);
            await check();
            promptly();
            break;
          }
          case "poll-twice": {
            // The second input arrives during the first poll: one more poll right after it.
            const fault = inject(pending);
            pending = undefined;
            countPolls([fault, undefined]);
            const promptly = sendPolls(2);
            model.poll(fault);
            model.poll(undefined);
            await check();
            promptly();
            break;
          }
          case "redeploy": {
            // Every node closed and created anew; node context (the cursor) stays in the default store.
            const fault = inject(pending);
            pending = undefined;
            countPolls([fault]);
            seen.redeploys += 1;
            const old = node;
            await redeployWatch(flow, old);
            node = flow.node("source");
            model.restart();
            model.poll(fault);
            await check();
            break;
          }
        }
      }
      // However the run went, the node still polls and sends what is new.
      const markerType = sc.filter[0] ?? "device.update";
      should(model.mayCreate(markerType, true)).be.true("room for the marker");
      const marker = sim.createEvent({ type: markerType });
      mirror.add(marker);
      created.push(marker);
      countPolls([undefined]);
      const promptly = sendPolls(1);
      model.poll(undefined);
      await check();
      promptly();
      const ids = flow.received("out").map((m: any) => m.payload.id as string);
      should(ids[ids.length - 1]).equal(marker.id, "the last poll sent the newest event");
      // Every wanted event created during the run: sent exactly once, unless a catch-up over the cap skipped it.
      const sentIds = new Set(ids);
      for (const event of created) {
        const wanted = sc.filter.length === 0 || sc.filter.includes(event.type);
        if (!wanted) should(sentIds.has(event.id)).be.false(`sent ${event.id} of type ${event.type}, not in the filter`);
        else if (model.lost.has(event.id)) should(sentIds.has(event.id)).be.false(`the model says ${event.id} was beyond the cap`);
        else should(sentIds.has(event.id)).be.true(`never sent ${event.id}: ${describeState()}`);
      }
      if (model.lost.size > 0) missedWarnings().should.be.above(0, "events skipped by the cap were warned of");
      seen.warnings += model.warnings;
      runs += 1;
    };

    try {
      await withContextStorage(() =>
        fc.assert(fc.asyncProperty(scenario, runScenario), { seed: WATCH_SEED, numRuns: WATCH_RUNS, endOnFailure: true, interruptAfterTimeLimit: explore ? undefined : 40_000 }),
      );
    } finally {
      watch.stop();
      sim.clearFaults();
    }
    watch.problems.should.be.empty();
    if (process.env.FLATPEAK_FUZZ_STATS) console.log(JSON.stringify({ runs, ...seen }));
    // Not vacuous: every kind of step happened (a slow machine may stop the runs early, after 40 s).
    runs.should.be.aboveOrEqual(Math.min(WATCH_RUNS, 8));
    seen.failedPolls.should.be.above(0);
    seen.garbagePages.should.be.above(0);
    seen.redeploys.should.be.above(0);
    seen.warnings.should.be.above(0);
    seen.multiPagePolls.should.be.above(0);
  });
});

void should;
