import should from "should";
import { deadline, CancelledError } from "../nodes/lib/client/abort";
import { retryDelay } from "../nodes/lib/client/retry";
import { SharedRequests } from "../nodes/lib/client/shared-requests";
import { depthExceeds } from "../nodes/lib/client/client";
import { copyJson } from "../nodes/lib/client/responses";
import { SecretMask } from "../nodes/lib/client/secrets";
import { CONFIG_LIMITS, readConfigNumbers } from "../nodes/lib/settings";
import { StatusBoard, clockTime, type StatusView } from "../nodes/lib/status";

describe("core parts (pure)", function () {
  describe("SharedRequests", function () {
    it("starts one request per key and gives every caller its result", async function () {
      const shared = new SharedRequests<string>();
      let starts = 0;
      let finish: (value: string) => void = () => undefined;
      const start = (): Promise<string> => {
        starts += 1;
        return new Promise((resolve) => (finish = resolve));
      };
      const callers = [shared.join("a", undefined, start), shared.join("a", undefined, start)];
      finish("one");
      (await Promise.all(callers)).should.eql(["one", "one"]);
      starts.should.equal(1);
      await shared.join("a", undefined, () => Promise.resolve("again"));
      starts.should.equal(1, "a finished request is not reused");
    });

    it("cancels the request when the last caller leaves, not before", async function () {
      const shared = new SharedRequests<string>();
      let requestSignal: AbortSignal | undefined;
      const start = (signal: AbortSignal): Promise<string> => {
        requestSignal = signal;
        return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
      };
      const first = new AbortController();
      const second = new AbortController();
      const a = shared.join("k", first.signal, start);
      const b = shared.join("k", second.signal, start);
      first.abort();
      await a.should.be.rejectedWith(CancelledError);
      requestSignal!.aborted.should.be.false();
      second.abort();
      await b.should.be.rejectedWith(CancelledError);
      requestSignal!.aborted.should.be.true();
    });
  });

  describe("deadline", function () {
    it("aborts when the time runs out and says so", async function () {
      const limit = deadline(10);
      await new Promise<void>((resolve) => limit.signal.addEventListener("abort", () => resolve()));
      limit.timedOut().should.be.true();
      limit.dispose();
    });

    it("aborts with a parent, not as a timeout, and dispose leaves no listener", function () {
      const parent = new AbortController();
      const limit = deadline(60_000, parent.signal, undefined);
      parent.abort();
      limit.signal.aborted.should.be.true();
      limit.timedOut().should.be.false();
      limit.dispose();
      const quiet = new AbortController();
      const other = deadline(60_000, quiet.signal);
      other.dispose();
      quiet.abort();
      other.signal.aborted.should.be.false("a disposed deadline no longer follows its parent");
    });
  });

  describe("retryDelay", function () {
    const policy = { retries: 5, baseDelayMs: 500, maxDelayMs: 3000 };
    it("backs off exponentially with jitter in the upper half, capped", function () {
      for (let i = 0; i < 200; i += 1) {
        retryDelay(policy, 1, undefined)!.should.be.within(250, 500);
        retryDelay(policy, 3, undefined)!.should.be.within(1000, 2000);
        retryDelay(policy, 10, undefined)!.should.be.within(1500, 3000);
      }
    });

    it("waits what Retry-After asks, and not at all when that is beyond the cap", function () {
      retryDelay(policy, 1, 2)!.should.equal(2000);
      should(retryDelay(policy, 1, 4)).be.undefined();
    });
  });

  describe("depthExceeds", function () {
    it("finds nesting beyond the limit without recursion", function () {
      let deep: unknown = 1;
      for (let i = 0; i < 200_000; i += 1) deep = { a: deep };
      depthExceeds(deep, 64).should.be.true();
      depthExceeds({ data: { properties: { battery: { capacity_kwh: 1 } } } }, 64).should.be.false();
      depthExceeds([[[[1]]]], 3).should.be.true();
    });
  });

  describe("copyJson", function () {
    it("copies parsed JSON deeply, and keeps __proto__ an own key", function () {
      const original = JSON.parse('{"a":{"b":[1,{"c":"x"}]},"n":null,"__proto__":{"polluted":true}}');
      const copy = copyJson(original);
      copy.should.not.equal(original);
      copy.a.b[1].should.not.equal(original.a.b[1]);
      JSON.stringify(copy).should.equal(JSON.stringify(original));
      Object.getPrototypeOf(copy).should.equal(Object.prototype);
      Object.keys(copy).should.containEql("__proto__");
      should(({} as any).polluted).be.undefined();
      copy.a.b[1].c = "changed";
      original.a.b[1].c.should.equal("x");
    });
  });

  describe("SecretMask", function () {
    it("masks recent tokens, forgetting the oldest after eight", function () {
      const mask = new SecretMask();
      mask.addConfigured("sk_configured", undefined, "ab");
      for (let i = 1; i <= 9; i += 1) mask.addToken(`token-number-${i}`);
      mask.clean("sk_configured token-number-9 token-number-2 token-number-1 ab").should.equal("*** *** *** token-number-1 ab");
    });
  });

  describe("settings table", function () {
    it("uses defaults for blanks and unreadable values, clamps the rest, and reports each", function () {
      const { values, clamped } = readConfigNumbers({ timeout: "", retries: "x", maxBackoff: "-3", concurrency: "2.7", queueSize: 1e9, cacheSize: "50" });
      values.should.eql({ timeout: 15, retries: 3, maxBackoff: 0, concurrency: 2, queueSize: 10_000, cacheSize: 50 });
      clamped.map((c) => c.name).should.eql(["retries", "maxBackoff", "concurrency", "queueSize"]);
    });

    it("has each default within its bounds", function () {
      for (const [name, limits] of Object.entries(CONFIG_LIMITS)) {
        limits.default.should.be.within(limits.min, limits.max, name);
      }
    });
  });

  describe("StatusBoard", function () {
    function board(): { statuses: StatusView[]; status: StatusBoard } {
      const statuses: StatusView[] = [];
      const status = new StatusBoard((s) => statuses.push(s), () => new Date(2026, 11, 1, 9, 5, 7));
      return { statuses, status };
    }

    it("shows busy once for overlapping work, and a success with its time", function () {
      const { statuses, status } = board();
      status.busy("fetching…");
      status.busy("fetching…");
      status.idle();
      status.idle();
      status.success("device.update");
      status.success("device.update");
      statuses.should.eql([
        { fill: "blue", shape: "dot", text: "fetching…" },
        { fill: "green", shape: "dot", text: "device.update · 09:05:07" },
      ]);
      status.busy("fetching…");
      statuses.should.have.length(3, "busy shows again once all earlier work ended");
    });

    it("shows a delayed busy status only for work still under way when the delay ends, and clear cancels it", function () {
      const statuses: StatusView[] = [];
      const pending: Array<{ action: () => void; cancelled: boolean }> = [];
      const status = new StatusBoard(
        (shown) => statuses.push(shown),
        () => new Date(2026, 11, 1, 9, 5, 7),
        (action) => {
          const entry = { action, cancelled: false };
          pending.push(entry);
          return () => (entry.cancelled = true);
        },
      );
      // Quick work: done before the delay ends, so only its result shows.
      status.busy("fetching…", 500);
      status.idle();
      status.success("device.update");
      pending[0].cancelled.should.be.true();
      // Slow work: the delay ends while it runs.
      status.busy("fetching…", 500);
      status.busy("fetching…", 500);
      pending.should.have.length(2, "overlapping work waits once");
      pending[1].action();
      status.idle();
      status.idle();
      status.success("device.update");
      // Work under way at clear: its busy status never comes.
      status.busy("fetching…", 500);
      status.clear();
      pending[2].cancelled.should.be.true();
      statuses.should.eql([
        { fill: "green", shape: "dot", text: "device.update · 09:05:07" },
        { fill: "blue", shape: "dot", text: "fetching…" },
        { fill: "green", shape: "dot", text: "device.update · 09:05:07" },
        {},
      ]);
    });

    it("sends a status only when it changes, and clear always reaches the node", function () {
      const { statuses, status } = board();
      status.failure("not found (404)");
      status.failure("not found (404)");
      status.clear();
      status.failure("not found (404)");
      statuses.should.eql([{ fill: "red", shape: "ring", text: "not found (404)" }, {}, { fill: "red", shape: "ring", text: "not found (404)" }]);
      clockTime(new Date(2026, 0, 1, 23, 59, 0)).should.equal("23:59:00");
    });
  });
});
