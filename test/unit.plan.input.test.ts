import should from "should";
import { EARLIEST_INSTANT, readInstant } from "../nodes/lib/instants";
import { JOB_PROBLEM_CODES, PLAN_DEFAULTS, readJobSettings, readOneOffJob, type JobProblemCode } from "../nodes/lib/plan/job";
import { preview } from "../nodes/lib/plan/problems";
import { hasPrices, MAX_ROWS, mergeRows, readPrices, ROWS_PROBLEM_CODES, sanitizeRows, type RowsProblemCode } from "../nodes/lib/plan/rows";
import type { PriceRow } from "../nodes/lib/plan/types";

const utc = (text: string): number => Date.parse(text);
const MINUTE = 60_000;
const T0 = utc("2026-12-04T00:00:00Z");
const at = (minutes: number): number => T0 + minutes * MINUTE;
const row = (from: number, to: number, price: number): PriceRow => ({ start: at(from), end: at(to), price });

function rowsOf(payload: unknown): PriceRow[] {
  const result = readPrices(payload);
  if (!result.ok) throw new Error(`unexpected problem ${JSON.stringify(result.problem)}`);
  return result.rows;
}

function problemOf(payload: unknown): { code: string; vars?: Record<string, string | number> } {
  const result = readPrices(payload);
  if (result.ok) throw new Error(`expected a problem, got ${JSON.stringify(result.rows)}`);
  return result.problem;
}

describe("plan: input (pure)", function () {
  describe("times", function () {
    it("reads ISO 8601 with Z or an offset, epoch ms and Dates", function () {
      should(readInstant("2026-12-04T00:00:00Z")).equal(T0);
      should(readInstant("2026-12-04T00:00:00.000+01:00")).equal(T0 - 60 * MINUTE);
      should(readInstant("2026-12-03T19:00:00-05:00")).equal(T0);
      should(readInstant("2026-12-04T05:30:00+0530")).equal(T0);
      should(readInstant("2026-12-04T01:00+01")).equal(T0);
      should(readInstant("2026-12-04 00:00:00z")).equal(T0);
      should(readInstant("2026-12-04T00:00:00.123456Z")).equal(T0 + 123);
      should(readInstant(" 2026-12-04T00:00:00Z ")).equal(T0);
      should(readInstant(T0)).equal(T0);
      should(readInstant(new Date(T0))).equal(T0);
    });

    it("refuses what is not a time, a time without an offset, and epoch seconds", function () {
      for (const value of [
        "2026-12-04T00:00:00", // no offset: whose midnight?
        "2026-12-04",
        "2026-02-30T00:00:00Z",
        "2026-12-04T24:00:00Z",
        "2026-12-04T00:60:00Z",
        "2026-12-04T00:00:00+25:00",
        "tomorrow",
        "",
        T0 / 1000, // seconds
        Number.NaN,
        Infinity,
        new Date(Number.NaN),
        null,
        undefined,
        {},
        [T0],
        true,
      ]) {
        should(readInstant(value)).equal(undefined, preview(value));
      }
      should(readInstant(EARLIEST_INSTANT - 1)).be.undefined();
    });
  });

  describe("prices", function () {
    it("reads `prices` rows, sorted by start", function () {
      rowsOf({
        prices: [
          { start: "2026-12-04T00:15:00Z", end: "2026-12-04T00:30:00Z", price: 0.2 },
          { start: "2026-12-04T00:00:00Z", end: "2026-12-04T00:15:00Z", price: -0.05 },
          { start: at(30), end: at(45), price: "0.2431" },
        ],
      }).should.eql([row(0, 15, -0.05), row(15, 30, 0.2), row(30, 45, 0.2431)]);
    });

    it("reads `priceData` rows: each ends where the next starts, the last as long as the one before", function () {
      rowsOf({
        priceData: [
          { start: "2026-12-04T01:00:00.000+01:00", value: 0.1 },
          { start: "2026-12-04T02:00:00.000+01:00", value: 0.2 },
          { start: "2026-12-04T03:00:00.000+01:00", value: 0.3 },
        ],
      }).should.eql([row(0, 60, 0.1), row(60, 120, 0.2), row(120, 180, 0.3)]);
    });

    it("reads `priceData` rows with their own end, the last one included", function () {
      rowsOf({
        priceData: [
          { start: at(0), end: at(15), value: 1 },
          { start: at(60), value: 2 },
          { start: at(75), end: at(80), value: 3 },
        ],
      }).should.eql([row(0, 15, 1), row(60, 75, 2), row(75, 80, 3)]);
      rowsOf({ priceData: [{ start: at(0), end: at(30), value: 1 }] }).should.eql([row(0, 30, 1)]);
    });

    it("gives the zone a payload names, in its canonical spelling", function () {
      const result = readPrices({ prices: [], timezone: "europe/london" });
      result.should.eql({ ok: true, rows: [], timeZone: "Europe/London" });
      readPrices({ prices: [] }).should.eql({ ok: true, rows: [] });
      readPrices({ prices: [], timezone: " " }).should.eql({ ok: true, rows: [] });
    });

    it("reads `prices` when both shapes are there", function () {
      rowsOf({ prices: [{ start: at(0), end: at(1), price: 1 }], priceData: "ignored" }).should.eql([row(0, 1, 1)]);
    });

    it("tells prices apart from a message without them", function () {
      hasPrices({ prices: [] }).should.be.true();
      hasPrices({ priceData: [] }).should.be.true();
      hasPrices({ prices: null }).should.be.false();
      hasPrices({}).should.be.false();
      hasPrices("prices").should.be.false();
    });

    it("says what is wrong, with a stable code for each reason", function () {
      const good = { start: at(0), end: at(15), price: 1 };
      const cases: Array<[unknown, RowsProblemCode, Record<string, string | number>?]> = [
        ["text", "notAnObject"],
        [[good], "notAnObject"],
        [{ rows: [] }, "noPrices"],
        [{ prices: "many" }, "notAList", { field: "prices" }],
        [{ priceData: {} }, "notAList", { field: "priceData" }],
        [{ prices: new Array(MAX_ROWS + 1).fill(good) }, "tooManyRows", { field: "prices", count: MAX_ROWS + 1, max: MAX_ROWS }],
        [{ prices: [good, 5] }, "rowNotAnObject", { field: "prices", index: 1 }],
        [{ prices: [{ ...good, start: "2026-12-04T00:00:00" }] }, "badTime", { field: "prices", index: 0, key: "start", value: '"2026-12-04T00:00:00"' }],
        [{ prices: [{ start: at(0), price: 1 }] }, "badTime", { field: "prices", index: 0, key: "end", value: "undefined" }],
        [{ priceData: [{ start: at(0), end: "soon", value: 1 }] }, "badTime", { field: "priceData", index: 0, key: "end", value: '"soon"' }],
        [{ prices: [{ ...good, price: null }] }, "badPrice", { field: "prices", index: 0, key: "price", value: "null" }],
        [{ prices: [{ ...good, price: "1,5" }] }, "badPrice", { field: "prices", index: 0, key: "price", value: '"1,5"' }],
        [{ priceData: [{ start: at(0), price: 1 }, { start: at(15), value: 1 }] }, "badPrice", { field: "priceData", index: 0, key: "value", value: "undefined" }],
        [{ prices: [{ ...good, price: Infinity }] }, "badPrice", { field: "prices", index: 0, key: "price", value: "Infinity" }],
        [{ prices: [{ start: at(15), end: at(15), price: 1 }] }, "endNotAfterStart", { field: "prices", index: 0, start: "2026-12-04T00:15:00.000Z", end: "2026-12-04T00:15:00.000Z" }],
        [{ prices: [good, { start: at(10), end: at(20), price: 2 }] }, "overlap", { field: "prices", index: 1, otherIndex: 0, start: "2026-12-04T00:10:00.000Z" }],
        [{ prices: [good, good] }, "overlap", { field: "prices", index: 1, otherIndex: 0, start: "2026-12-04T00:00:00.000Z" }],
        [{ priceData: [{ start: at(0), value: 1 }, { start: at(0), value: 2 }, { start: at(15), value: 3 }] }, "overlap", { field: "priceData", index: 1, otherIndex: 0, start: "2026-12-04T00:00:00.000Z" }],
        [{ priceData: [{ start: at(0), end: at(30), value: 1 }, { start: at(15), value: 2 }] }, "overlap", { field: "priceData", index: 1, otherIndex: 0, start: "2026-12-04T00:15:00.000Z" }],
        [{ priceData: [{ start: at(0), value: 1 }] }, "lastRowWithoutEnd", { field: "priceData" }],
        [{ prices: [], timezone: "Mars/Base" }, "badTimeZone", { value: '"Mars/Base"' }],
        [{ prices: [], timezone: 1 }, "badTimeZone", { value: "1" }],
      ];
      const seen = new Set<string>();
      for (const [payload, code, vars] of cases) {
        const problem = problemOf(payload);
        problem.code.should.equal(code, JSON.stringify(payload).slice(0, 200));
        if (vars) should(problem.vars).eql(vars, code);
        seen.add(code);
      }
      [...seen].sort().should.eql([...ROWS_PROBLEM_CODES].sort(), "every code is tested");
    });

    it("keeps problem values short", function () {
      preview("x".repeat(100)).length.should.equal(40);
      preview({ a: 1 }).should.equal("object");
      preview([1, 2]).should.equal("array(2)");
    });
  });

  describe("merging", function () {
    it("lets new rows replace what known rows say for their time, cutting partial overlaps", function () {
      const known = [row(0, 60, 1), row(60, 120, 2), row(120, 180, 3)];
      const incoming = [row(30, 45, 9), row(90, 150, 8)];
      mergeRows(known, incoming, at(0)).should.eql([row(0, 30, 1), row(30, 45, 9), row(45, 60, 1), row(60, 90, 2), row(90, 150, 8), row(150, 180, 3)]);
    });

    it("replaces rows covered whole, keeps the others, adds new times", function () {
      const known = [row(0, 15, 1), row(15, 30, 2)];
      mergeRows(known, [row(15, 30, 5), row(30, 45, 6)], at(0)).should.eql([row(0, 15, 1), row(15, 30, 5), row(30, 45, 6)]);
      mergeRows(known, [], at(0)).should.eql(known);
      mergeRows([], known, at(0)).should.eql(known);
      mergeRows(known, [row(-10, 100, 7)], at(-10)).should.eql([row(-10, 100, 7)]);
    });

    it("drops rows that end by keepFrom", function () {
      const known = [row(0, 15, 1), row(15, 30, 2), row(30, 45, 3)];
      mergeRows(known, [row(45, 60, 4)], at(30)).should.eql([row(30, 45, 3), row(45, 60, 4)]);
      mergeRows(known, [], at(29)).should.eql([row(15, 30, 2), row(30, 45, 3)]);
    });

    it("does not change its inputs", function () {
      const known = [row(0, 60, 1)];
      const incoming = [row(15, 30, 2)];
      mergeRows(known, incoming, at(0));
      known.should.eql([row(0, 60, 1)]);
      incoming.should.eql([row(15, 30, 2)]);
    });

    it("reads stored rows back, dropping what is not a row", function () {
      sanitizeRows([row(30, 45, 3), row(0, 15, 1), { start: at(15), end: at(30), price: "2" }, row(40, 50, 4), null, row(50, 50, 5)]).should.eql([row(0, 15, 1), row(30, 45, 3)]);
      sanitizeRows("rows").should.eql([]);
    });
  });

  describe("job settings", function () {
    it("reads the defaults from blank settings", function () {
      readJobSettings({}).should.eql({ ok: true, settings: PLAN_DEFAULTS });
      readJobSettings({ minutes: "", from: "", until: " ", minRun: null, goal: "", contiguous: "" }).should.eql({ ok: true, settings: PLAN_DEFAULTS });
    });

    it("reads numbers given as text, as the editor gives them", function () {
      readJobSettings({ minutes: "240", minRun: "30", from: "22:00", until: "07:00", contiguous: "true", goal: "highest" }).should.eql({
        ok: true,
        settings: { minutes: 240, minRun: 30, from: "22:00", until: "07:00", contiguous: true, goal: "highest" },
      });
      readJobSettings({ minutes: 4320 / 3, contiguous: false }).should.have.property("ok", true);
    });

    it("says what is wrong with a setting", function () {
      const cases: Array<[Record<string, unknown>, JobProblemCode, Record<string, string | number>?]> = [
        [{ minutes: 0 }, "badMinutes", { value: "0", min: 1, max: 4320 }],
        [{ minutes: 4321 }, "badMinutes"],
        [{ minutes: 1.5 }, "badMinutes"],
        [{ minutes: "ten" }, "badMinutes", { value: '"ten"', min: 1, max: 4320 }],
        [{ minRun: -1 }, "badMinRun", { value: "-1", min: 0, max: 4320 }],
        [{ contiguous: "yes" }, "badContiguous", { value: '"yes"' }],
        [{ goal: "cheapest" }, "badGoal", { value: '"cheapest"' }],
        [{ from: "7:00" }, "badFrom", { value: '"7:00"' }],
        [{ until: "24:00" }, "badUntil", { value: '"24:00"' }],
        [{ minutes: 600, from: "22:00", until: "07:00" }, "minutesExceedWindow", { minutes: 600, windowMinutes: 540 }],
        [{ minutes: 1441 }, "minutesExceedWindow", { minutes: 1441, windowMinutes: 1440 }],
      ];
      for (const [def, code, vars] of cases) {
        const result = readJobSettings(def);
        if (result.ok) throw new Error(`expected ${code} for ${JSON.stringify(def)}`);
        result.problem.code.should.equal(code, JSON.stringify(def));
        if (vars) should(result.problem.vars).eql(vars);
      }
    });
  });

  describe("one-off job", function () {
    const now = utc("2026-12-04T10:00:20Z");
    const settings = { minutes: 60, contiguous: true, minRun: 15, goal: "highest" as const };

    function jobOf(value: unknown): ReturnType<typeof readOneOffJob> & { ok: true } {
      const result = readOneOffJob(value, settings, now);
      if (!result.ok) throw new Error(`unexpected problem ${JSON.stringify(result.problem)}`);
      return result;
    }

    it("takes the node's settings for what msg.job leaves out, and now for `from`", function () {
      jobOf({ minutes: 90, until: "2026-12-04T18:00:00Z" }).should.eql({
        ok: true,
        job: { minutes: 90, contiguous: true, minRun: 15, goal: "highest" },
        window: { start: utc("2026-12-04T10:01:00Z"), end: utc("2026-12-04T18:00:00Z") },
      });
    });

    it("reads every field msg.job may have, and keeps the window to whole minutes", function () {
      jobOf({ minutes: "30", from: "2026-12-04T12:00:30+01:00", until: "2026-12-04T20:59:59Z", contiguous: false, minRun: 0, goal: "lowest" }).should.eql({
        ok: true,
        job: { minutes: 30, contiguous: false, minRun: 0, goal: "lowest" },
        window: { start: utc("2026-12-04T11:01:00Z"), end: utc("2026-12-04T20:59:00Z") },
      });
    });

    it("accepts a window of exactly 72 h, and one that began before now", function () {
      jobOf({ minutes: 4320, from: "2026-12-05T00:00:00Z", until: "2026-12-08T00:00:00Z" }).window.should.eql({ start: utc("2026-12-05T00:00:00Z"), end: utc("2026-12-08T00:00:00Z") });
      jobOf({ minutes: 60, from: "2026-12-04T09:00:00Z", until: "2026-12-04T11:01:00Z" }).window.start.should.equal(utc("2026-12-04T09:00:00Z"));
    });

    it("says what is wrong with a job", function () {
      const until = "2026-12-04T18:00:00Z";
      const cases: Array<[unknown, JobProblemCode, Record<string, string | number>?]> = [
        ["run", "jobNotAnObject", { value: '"run"' }],
        [null, "jobNotAnObject", { value: "null" }],
        [[1], "jobNotAnObject", { value: "array(1)" }],
        [{ until }, "jobMinutesMissing"],
        [{ minutes: 60 }, "jobUntilMissing"],
        [{ minutes: 0, until }, "badMinutes", { value: "0", min: 1, max: 4320 }],
        [{ minutes: 60, until: "18:00" }, "badJobUntil", { value: '"18:00"' }],
        [{ minutes: 60, until, from: "now" }, "badJobFrom", { value: '"now"' }],
        [{ minutes: 60, until, minRun: 5000 }, "badMinRun", { value: "5000", min: 0, max: 4320 }],
        [{ minutes: 60, until, contiguous: 1 }, "badContiguous", { value: "1" }],
        [{ minutes: 60, until, goal: "max" }, "badGoal", { value: '"max"' }],
        [{ minutes: 60, from: until, until: "2026-12-04T17:00:00Z" }, "untilNotAfterFrom", { from: "2026-12-04T18:00:00.000Z", until: "2026-12-04T17:00:00.000Z" }],
        [{ minutes: 60, from: "2026-12-04T08:00:00Z", until: "2026-12-04T09:00:00Z" }, "untilPassed", { until: "2026-12-04T09:00:00.000Z", now: "2026-12-04T10:00:20.000Z" }],
        [{ minutes: 60, until: "2026-12-07T10:01:00Z" }, "windowTooLong", { from: "2026-12-04T10:00:20.000Z", until: "2026-12-07T10:01:00.000Z", hours: 72 }],
        [{ minutes: 60, until: "2026-12-04T11:00:30Z" }, "jobImpossible", { minutes: 60, available: 59 }],
        [{ minutes: 60, from: "2026-12-04T09:00:00Z", until: "2026-12-04T10:59:00Z" }, "jobImpossible", { minutes: 60, available: 58 }],
      ];
      const seen = new Set<string>();
      for (const [value, code, vars] of cases) {
        const result = readOneOffJob(value, settings, now);
        if (result.ok) throw new Error(`expected ${code} for ${JSON.stringify(value)}`);
        result.problem.code.should.equal(code, JSON.stringify(value));
        if (vars) should(result.problem.vars).eql(vars, code);
        seen.add(code);
      }
      const settingsOnly = ["badFrom", "badUntil", "minutesExceedWindow"];
      [...seen].sort().should.eql(JOB_PROBLEM_CODES.filter((code) => !settingsOnly.includes(code)).sort());
    });
  });
});
