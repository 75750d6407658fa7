import should from "should";
import { matchesTypes, parseEventTypes, serverFilter } from "../nodes/lib/watch/event-types";
import {
  NEVER_POLLED,
  PollWalk,
  readCursorState,
  type CursorState,
  type PollResult,
  type PollWalkOptions,
} from "../nodes/lib/watch/cursor-walk";
import { readListPage, type ListPage } from "../nodes/lib/client/responses";

/** Events `evt_<n>` of type `device.update` unless told; a higher number is newer. */
function event(n: number, type = "device.update"): Record<string, unknown> {
  return { id: `evt_${n}`, object: "event", type, time_created: "2025-01-01T00:00:00Z", data: {} };
}

/** A newest-first page of the given event numbers. */
function page(numbers: number[], hasMore: boolean, extra: unknown[] = []): ListPage {
  return { data: [...numbers.map((n) => event(n)), ...extra], has_more: hasMore };
}

/**
 * A server listing `events` (numbers, newest first) in pages of `limit`,
 * walked by `starting_after` the way `GET /events` does.
 */
function serve(events: number[], limit: number): (startingAfter?: string) => ListPage {
  return (startingAfter) => {
    const start = startingAfter === undefined ? 0 : events.findIndex((n) => `evt_${n}` === startingAfter) + 1;
    const slice = events.slice(start, start + limit);
    return page(slice, start + limit < events.length);
  };
}

/** Runs one whole poll against `fetchPage`, recording what was asked. */
function poll(state: CursorState, fetchPage: (startingAfter?: string) => ListPage, options: PollWalkOptions = {}): PollResult & { asked: Array<string | undefined> } {
  const walk = new PollWalk(state, options);
  const asked: Array<string | undefined> = [undefined];
  let step = walk.accept(fetchPage());
  while ("next" in step) {
    asked.push(step.next);
    step = walk.accept(fetchPage(step.next));
  }
  return { ...step.done, asked };
}

const ids = (result: PollResult): string[] => result.newEvents.map((e) => e.id);
const range = (from: number, to: number): number[] => Array.from({ length: from - to + 1 }, (_, i) => from - i);

describe("watch (pure)", function () {
  describe("event types", function () {
    it("parses a comma-separated list: trimmed, no blanks, no repeats", function () {
      parseEventTypes("device.create, device.update").should.eql(["device.create", "device.update"]);
      parseEventTypes(" device.create ,,device.create,  , tariff.expiring,").should.eql(["device.create", "tariff.expiring"]);
      parseEventTypes("").should.eql([]);
      parseEventTypes(" , ").should.eql([]);
    });

    it("treats anything but a string as no filter", function () {
      for (const value of [undefined, null, 5, ["device.create"], {}]) parseEventTypes(value).should.eql([]);
    });

    it("lets the server filter only a single type", function () {
      should(serverFilter([])).be.undefined();
      should(serverFilter(["device.update"])).equal("device.update");
      should(serverFilter(["device.update", "device.create"])).be.undefined();
    });

    it("matches exactly, an empty list matching all", function () {
      matchesTypes("anything", []).should.be.true();
      matchesTypes("device.update", ["device.create", "device.update"]).should.be.true();
      matchesTypes("device.update.failed", ["device.update"]).should.be.false();
      matchesTypes("Device.update", ["device.update"]).should.be.false();
    });
  });

  describe("readCursorState", function () {
    it("reads what the node stored", function () {
      readCursorState({ cursor: "evt_9", initialised: true }).should.eql({ cursor: "evt_9", initialised: true });
      readCursorState({ initialised: true }).should.eql({ initialised: true });
      readCursorState(JSON.parse(JSON.stringify({ cursor: undefined, initialised: true }))).should.eql({ initialised: true });
    });

    it("treats garbage as never polled, and a valid cursor as polled", function () {
      for (const value of [undefined, null, "evt_1", 5, [], {}, { initialised: "yes" }, { cursor: 5 }]) readCursorState(value).should.eql(NEVER_POLLED);
      readCursorState({ cursor: "evt_1" }).should.eql({ cursor: "evt_1", initialised: true });
      readCursorState({ cursor: "dev_1", initialised: true }).should.eql({ initialised: true });
    });
  });

  describe("readListPage", function () {
    it("reads a list body", function () {
      readListPage({ object: "list", url: "/events", has_more: true, data: [1] })!.should.eql({ data: [1], has_more: true });
      readListPage({ data: [] })!.should.eql({ data: [], has_more: false });
    });

    it("refuses a body that is not a list", function () {
      for (const body of [null, "x", [], {}, { data: {} }, { object: "event", data: [] }]) should(readListPage(body)).be.undefined();
    });
  });

  describe("PollWalk", function () {
    it("first start: sets the cursor from one page and sends nothing", function () {
      const result = poll(NEVER_POLLED, serve(range(250, 1), 100));
      result.newEvents.should.eql([]);
      result.newState.should.eql({ cursor: "evt_250", initialised: true });
      result.newCursor!.should.equal("evt_250");
      result.cursorFound.should.be.true();
      result.asked.should.eql([undefined]);
    });

    it("first start with replay sends the N newest, oldest first, without walking on", function () {
      const result = poll(NEVER_POLLED, serve(range(250, 1), 100), { replay: 3 });
      ids(result).should.eql(["evt_248", "evt_249", "evt_250"]);
      result.asked.should.eql([undefined]);
      result.pagesRead.should.equal(1);
    });

    it("replay is bounded to 0–100 and counts only wanted types", function () {
      ids(poll(NEVER_POLLED, serve(range(250, 1), 100), { replay: 1000 })).length.should.equal(100);
      poll(NEVER_POLLED, serve(range(10, 1), 100), { replay: -4 }).newEvents.should.eql([]);
      const mixed = { data: [event(5, "a"), event(4, "b"), event(3, "a"), event(2, "a")], has_more: false };
      const result = poll(NEVER_POLLED, () => mixed, { replay: 2, types: ["a"] });
      ids(result).should.eql(["evt_3", "evt_5"]);
      result.newState.should.eql({ cursor: "evt_5", initialised: true });
    });

    it("first start with an empty list leaves the cursor unset, and then every listed event is new", function () {
      const first = poll(NEVER_POLLED, () => page([], false), { replay: 5 });
      first.newEvents.should.eql([]);
      first.newState.should.eql({ initialised: true });
      should(first.newCursor).be.undefined();

      const second = poll(first.newState, serve([3, 2, 1], 2), { replay: 5 });
      ids(second).should.eql(["evt_1", "evt_2", "evt_3"]);
      second.cursorFound.should.be.true();
      second.newState.should.eql({ cursor: "evt_3", initialised: true });
    });

    it("sends the events newer than the cursor, oldest first, and stops at the cursor", function () {
      const result = poll({ cursor: "evt_7", initialised: true }, serve(range(10, 1), 100));
      ids(result).should.eql(["evt_8", "evt_9", "evt_10"]);
      result.cursorFound.should.be.true();
      result.newState.should.eql({ cursor: "evt_10", initialised: true });
    });

    it("sends nothing and keeps the cursor when nothing is new", function () {
      const result = poll({ cursor: "evt_10", initialised: true }, serve(range(10, 1), 100));
      result.newEvents.should.eql([]);
      result.newState.should.eql({ cursor: "evt_10", initialised: true });
      result.cursorFound.should.be.true();
    });

    it("walks pages with starting_after until it meets the cursor", function () {
      const result = poll({ cursor: "evt_3", initialised: true }, serve(range(10, 1), 3));
      result.asked.should.eql([undefined, "evt_8", "evt_5"]);
      ids(result).should.eql(["evt_4", "evt_5", "evt_6", "evt_7", "evt_8", "evt_9", "evt_10"]);
      result.newState.should.eql({ cursor: "evt_10", initialised: true });
      result.cursorFound.should.be.true();
    });

    it("counts an event listed on two overlapping pages once", function () {
      const pages: Record<string, ListPage> = {
        first: page([10, 9, 8], true),
        evt_8: page([9, 8, 7, 6], true), // the server repeats a little
        evt_6: page([6, 5, 4], false),
      };
      const result = poll({ cursor: "evt_5", initialised: true }, (after) => pages[after ?? "first"]);
      ids(result).should.eql(["evt_6", "evt_7", "evt_8", "evt_9", "evt_10"]);
    });

    it("stops at the catch-up cap, sends what it found and reports the cursor not found", function () {
      const result = poll({ cursor: "evt_1", initialised: true }, serve(range(50, 1), 3), { maxPages: 10 });
      result.pagesRead.should.equal(10);
      result.asked.length.should.equal(10);
      ids(result).should.eql(range(50, 21).reverse().map((n) => `evt_${n}`));
      result.cursorFound.should.be.false();
      result.newState.should.eql({ cursor: "evt_50", initialised: true });
    });

    it("defaults the catch-up cap to 10 pages", function () {
      poll({ cursor: "evt_1", initialised: true }, serve(range(500, 1), 5)).pagesRead.should.equal(10);
    });

    it("reports the cursor not found when the list ends without it (retention)", function () {
      const result = poll({ cursor: "evt_1", initialised: true }, serve(range(9, 5), 2));
      ids(result).should.eql(["evt_5", "evt_6", "evt_7", "evt_8", "evt_9"]);
      result.cursorFound.should.be.false();
    });

    it("keeps the old cursor when the list is empty", function () {
      const result = poll({ cursor: "evt_4", initialised: true }, () => page([], false));
      result.newEvents.should.eql([]);
      result.newState.should.eql({ cursor: "evt_4", initialised: true });
    });

    it("with no cursor but a list longer than the cap, reports that events may be missed", function () {
      poll({ initialised: true }, serve(range(50, 1), 2), { maxPages: 3 }).cursorFound.should.be.false();
    });

    it("skips and counts malformed entries, never taking the cursor from one", function () {
      const junk = [null, "evt_x", 5, [event(99)], { id: "evt_98" }, { id: 7, type: "x" }, { id: "dev_1", type: "device.update" }];
      const result = poll({ cursor: "evt_1", initialised: true }, () => ({ data: [junk[0], event(3), ...junk.slice(1), event(2), event(1), null], has_more: false }));
      ids(result).should.eql(["evt_2", "evt_3"]);
      result.skipped.should.equal(junk.length);
      result.newState.should.eql({ cursor: "evt_3", initialised: true });
    });

    it("walks on from the last well-formed ID when a page ends with junk", function () {
      const pages: Record<string, ListPage> = { first: page([6, 5], true, [{ broken: true }]), evt_5: page([4, 3], false) };
      const result = poll({ cursor: "evt_3", initialised: true }, (after) => pages[after ?? "first"]);
      result.asked.should.eql([undefined, "evt_5"]);
      ids(result).should.eql(["evt_4", "evt_5", "evt_6"]);
    });

    it("stops when a page cannot be walked on from or the server repeats a page", function () {
      const empty = poll({ cursor: "evt_1", initialised: true }, () => page([], true));
      empty.cursorFound.should.be.false();
      empty.pagesRead.should.equal(1);
      const repeating = poll({ cursor: "evt_1", initialised: true }, () => page([9, 8], true));
      repeating.pagesRead.should.equal(2);
      ids(repeating).should.eql(["evt_8", "evt_9"]);
      repeating.cursorFound.should.be.false();
    });

    it("moves the cursor past events the type filter does not send", function () {
      const mixed = { data: [event(4, "tariff.expiring"), event(3, "device.update"), event(2, "customer.create"), event(1)], has_more: false };
      const result = poll({ cursor: "evt_1", initialised: true }, () => mixed, { types: ["device.update", "customer.create"] });
      ids(result).should.eql(["evt_2", "evt_3"]);
      result.newState.should.eql({ cursor: "evt_4", initialised: true });
    });

    it("sends nothing twice across polls with new events arriving", function () {
      const listed = range(20, 1);
      let state: CursorState = { cursor: "evt_20", initialised: true };
      const sent: string[] = [];
      for (const next of [21, 22, 23]) {
        listed.unshift(next);
        const result = poll(state, serve(listed, 2));
        sent.push(...ids(result));
        state = result.newState;
      }
      sent.should.eql(["evt_21", "evt_22", "evt_23"]);
    });

    it("refuses to take pages after it is done", function () {
      const walk = new PollWalk(NEVER_POLLED);
      walk.accept(page([1], false));
      (() => walk.accept(page([2], false))).should.throw(/after the walk was done/);
    });
  });
});
