import should from "should";
import {
  addDays,
  canonicalTimeZone,
  civilDateAt,
  formatWallTime,
  isValidTimeZone,
  systemTimeZone,
  wallTimeToInstant,
  zoneOffsetAt,
} from "../nodes/lib/plan/time-zone";
import { dailyWindow, isWallTime, minuteOfDay, nextWindowAfter, nominalWindowMinutes, type DailySchedule } from "../nodes/lib/plan/window";
import type { Window } from "../nodes/lib/plan/types";

const HOUR = 3_600_000;
const utc = (text: string): number => Date.parse(text);
const iso = (window: Window): { start: string; end: string } => ({ start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString() });
const london = (from: string, until: string): DailySchedule => ({ from, until, timeZone: "Europe/London" });
const newYork = (from: string, until: string): DailySchedule => ({ from, until, timeZone: "America/New_York" });

describe("plan: time zones (pure)", function () {
  describe("zones", function () {
    it("knows IANA zones in any letter case and UTC, and nothing else", function () {
      for (const zone of ["Europe/London", "europe/london", "America/New_York", "UTC", "Asia/Kolkata"]) isValidTimeZone(zone).should.be.true(zone);
      for (const zone of ["", "Mars/Olympus", "Europe/Londn", "+01:00x", 5, null, undefined, {}, "x".repeat(200)]) isValidTimeZone(zone).should.be.false(JSON.stringify(zone));
      should(canonicalTimeZone("europe/london")).equal("Europe/London");
      should(canonicalTimeZone("Nowhere/Else")).be.undefined();
      isValidTimeZone(systemTimeZone()).should.be.true();
    });

    it("reads the offset at an instant, summer and winter, whole and half hours", function () {
      zoneOffsetAt(utc("2026-01-15T12:00:00Z"), "Europe/London").should.equal(0);
      zoneOffsetAt(utc("2026-07-15T12:00:00Z"), "Europe/London").should.equal(HOUR);
      zoneOffsetAt(utc("2026-07-15T12:00:00Z"), "America/New_York").should.equal(-4 * HOUR);
      zoneOffsetAt(utc("2026-07-15T12:00:00Z"), "Asia/Kolkata").should.equal(5.5 * HOUR);
      // London's change, 2026-03-29 01:00Z: the last second before and the first after.
      zoneOffsetAt(utc("2026-03-29T00:59:59Z"), "Europe/London").should.equal(0);
      zoneOffsetAt(utc("2026-03-29T01:00:00Z"), "Europe/London").should.equal(HOUR);
      (() => zoneOffsetAt(0, "Nowhere/Else")).should.throw(RangeError);
    });

    it("turns wall-clock time into instants, and instants into HH:MM and days", function () {
      wallTimeToInstant({ year: 2026, month: 7, day: 1 }, 14 * 60 + 30, "Europe/London").should.equal(utc("2026-07-01T13:30:00Z"));
      wallTimeToInstant({ year: 2026, month: 1, day: 1 }, 0, "America/New_York").should.equal(utc("2026-01-01T05:00:00Z"));
      formatWallTime(utc("2026-07-01T13:30:00Z"), "Europe/London").should.equal("14:30");
      formatWallTime(utc("2026-07-01T23:05:00Z"), "Europe/London").should.equal("00:05");
      civilDateAt(utc("2026-07-01T23:05:00Z"), "Europe/London").should.eql({ year: 2026, month: 7, day: 2 });
      civilDateAt(utc("2026-07-01T23:05:00Z"), "America/New_York").should.eql({ year: 2026, month: 7, day: 1 });
      addDays({ year: 2026, month: 2, day: 28 }, 1).should.eql({ year: 2026, month: 3, day: 1 });
      addDays({ year: 2028, month: 2, day: 28 }, 1).should.eql({ year: 2028, month: 2, day: 29 });
      addDays({ year: 2026, month: 1, day: 1 }, -1).should.eql({ year: 2025, month: 12, day: 31 });
    });

    it("gives the first instant after the jump for a wall time that does not exist", function () {
      // London 2026-03-29: 01:00 GMT → 02:00 BST at 01:00Z; 01:00–01:59 never shows.
      wallTimeToInstant({ year: 2026, month: 3, day: 29 }, 90, "Europe/London").should.equal(utc("2026-03-29T01:00:00Z"));
      wallTimeToInstant({ year: 2026, month: 3, day: 29 }, 60, "Europe/London").should.equal(utc("2026-03-29T01:00:00Z"));
      wallTimeToInstant({ year: 2026, month: 3, day: 29 }, 120, "Europe/London").should.equal(utc("2026-03-29T01:00:00Z"), "02:00 exists: it is the jump");
      wallTimeToInstant({ year: 2026, month: 3, day: 29 }, 59, "Europe/London").should.equal(utc("2026-03-29T00:59:00Z"));
      // New York 2026-03-08: 02:00 EST → 03:00 EDT at 07:00Z.
      wallTimeToInstant({ year: 2026, month: 3, day: 8 }, 150, "America/New_York").should.equal(utc("2026-03-08T07:00:00Z"));
    });

    it("gives the earlier instant for a wall time that happens twice", function () {
      // London 2026-10-25: 02:00 BST → 01:00 GMT at 01:00Z; 01:30 is 00:30Z (BST) and 01:30Z (GMT).
      wallTimeToInstant({ year: 2026, month: 10, day: 25 }, 90, "Europe/London").should.equal(utc("2026-10-25T00:30:00Z"));
      wallTimeToInstant({ year: 2026, month: 10, day: 25 }, 120, "Europe/London").should.equal(utc("2026-10-25T02:00:00Z"));
      // New York 2026-11-01: 01:30 is 05:30Z (EDT) and 06:30Z (EST).
      wallTimeToInstant({ year: 2026, month: 11, day: 1 }, 90, "America/New_York").should.equal(utc("2026-11-01T05:30:00Z"));
    });
  });

  describe("HH:MM", function () {
    it("accepts two-digit 24-hour times only", function () {
      for (const text of ["00:00", "07:30", "23:59", "12:00"]) isWallTime(text).should.be.true(text);
      for (const text of ["7:30", "24:00", "23:60", "07:30:00", " 07:30", "0730", "", 730, null, undefined]) isWallTime(text).should.be.false(String(text));
      minuteOfDay("07:30").should.equal(450);
      (() => minuteOfDay("7:30")).should.throw(RangeError);
    });

    it("says how long a window is on an ordinary day", function () {
      nominalWindowMinutes("22:00", "07:00").should.equal(540);
      nominalWindowMinutes("00:00", "00:00").should.equal(1440);
      nominalWindowMinutes("07:00", "07:00").should.equal(1440);
      nominalWindowMinutes("09:00", "17:30").should.equal(510);
      nominalWindowMinutes("17:30", "09:00").should.equal(930);
    });
  });

  describe("daily window", function () {
    it("gives the window that contains now, else the next one", function () {
      const schedule = london("09:00", "17:00");
      const today = { start: "2026-07-01T08:00:00.000Z", end: "2026-07-01T16:00:00.000Z" };
      iso(dailyWindow(utc("2026-07-01T06:00:00Z"), schedule)).should.eql(today, "before");
      iso(dailyWindow(utc("2026-07-01T08:00:00Z"), schedule)).should.eql(today, "at its start");
      iso(dailyWindow(utc("2026-07-01T12:00:00Z"), schedule)).should.eql(today, "inside");
      iso(dailyWindow(utc("2026-07-01T16:00:00Z"), schedule)).should.eql({ start: "2026-07-02T08:00:00.000Z", end: "2026-07-02T16:00:00.000Z" }, "at its end: the next");
      iso(dailyWindow(utc("2026-07-01T20:00:00Z"), schedule)).should.eql({ start: "2026-07-02T08:00:00.000Z", end: "2026-07-02T16:00:00.000Z" }, "after");
    });

    it("runs a window across midnight into the next day, and finds yesterday's while it is open", function () {
      const schedule = london("22:00", "07:00");
      const night = { start: "2026-07-01T21:00:00.000Z", end: "2026-07-02T06:00:00.000Z" };
      iso(dailyWindow(utc("2026-07-01T12:00:00Z"), schedule)).should.eql(night);
      iso(dailyWindow(utc("2026-07-01T23:30:00Z"), schedule)).should.eql(night, "after midnight UTC, before local midnight");
      iso(dailyWindow(utc("2026-07-02T03:00:00Z"), schedule)).should.eql(night, "after midnight: still yesterday's night");
      iso(dailyWindow(utc("2026-07-02T06:00:00Z"), schedule)).should.eql({ start: "2026-07-02T21:00:00.000Z", end: "2026-07-03T06:00:00.000Z" });
    });

    it("makes a 22:00–07:00 night 8 h in spring and 10 h in autumn (London)", function () {
      const schedule = london("22:00", "07:00");
      const spring = dailyWindow(utc("2026-03-28T23:00:00Z"), schedule);
      iso(spring).should.eql({ start: "2026-03-28T22:00:00.000Z", end: "2026-03-29T06:00:00.000Z" });
      (spring.end - spring.start).should.equal(8 * HOUR);
      const autumn = dailyWindow(utc("2026-10-24T23:00:00Z"), schedule);
      iso(autumn).should.eql({ start: "2026-10-24T21:00:00.000Z", end: "2026-10-25T07:00:00.000Z" });
      (autumn.end - autumn.start).should.equal(10 * HOUR);
    });

    it("makes a 22:00–07:00 night 8 h in spring and 10 h in autumn (New York)", function () {
      const schedule = newYork("22:00", "07:00");
      const spring = dailyWindow(utc("2026-03-08T05:00:00Z"), schedule);
      iso(spring).should.eql({ start: "2026-03-08T03:00:00.000Z", end: "2026-03-08T11:00:00.000Z" });
      (spring.end - spring.start).should.equal(8 * HOUR);
      const autumn = dailyWindow(utc("2026-11-01T05:00:00Z"), schedule);
      iso(autumn).should.eql({ start: "2026-11-01T02:00:00.000Z", end: "2026-11-01T12:00:00.000Z" });
      (autumn.end - autumn.start).should.equal(10 * HOUR);
    });

    it("makes 00:00–00:00 the whole day: 23 h, 24 h or 25 h", function () {
      const schedule = london("00:00", "00:00");
      const spring = dailyWindow(utc("2026-03-29T12:00:00Z"), schedule);
      iso(spring).should.eql({ start: "2026-03-29T00:00:00.000Z", end: "2026-03-29T23:00:00.000Z" });
      const autumn = dailyWindow(utc("2026-10-25T12:00:00Z"), schedule);
      iso(autumn).should.eql({ start: "2026-10-24T23:00:00.000Z", end: "2026-10-26T00:00:00.000Z" });
      (autumn.end - autumn.start).should.equal(25 * HOUR);
      const ordinary = dailyWindow(utc("2026-07-01T12:00:00Z"), schedule);
      (ordinary.end - ordinary.start).should.equal(24 * HOUR);
      // Whole days follow each other without a gap.
      const next = nextWindowAfter(spring, schedule);
      next.start.should.equal(spring.end);
      (next.end - next.start).should.equal(24 * HOUR);
      const nyAutumn = dailyWindow(utc("2026-11-01T12:00:00Z"), newYork("00:00", "00:00"));
      (nyAutumn.end - nyAutumn.start).should.equal(25 * HOUR);
    });

    it("starts a window at a wall time that does not exist at the jump, and ends one at a repeated time at its first", function () {
      const gap = dailyWindow(utc("2026-03-28T12:00:00Z"), london("01:30", "06:00"));
      iso(gap).should.eql({ start: "2026-03-29T01:00:00.000Z", end: "2026-03-29T05:00:00.000Z" });
      const repeated = dailyWindow(utc("2026-10-24T12:00:00Z"), london("00:00", "01:30"));
      iso(repeated).should.eql({ start: "2026-10-24T23:00:00.000Z", end: "2026-10-25T00:30:00.000Z" });
    });

    it("skips a day whose window falls wholly inside the jump", function () {
      // 01:00–01:59 does not exist on 2026-03-29: that day's 01:10–01:50 window is empty.
      const schedule = london("01:10", "01:50");
      iso(dailyWindow(utc("2026-03-28T12:00:00Z"), schedule)).should.eql({ start: "2026-03-30T00:10:00.000Z", end: "2026-03-30T00:50:00.000Z" });
    });

    it("gives the next day's window after a window", function () {
      const schedule = london("22:00", "07:00");
      const night = dailyWindow(utc("2026-03-27T23:00:00Z"), schedule);
      iso(night).should.eql({ start: "2026-03-27T22:00:00.000Z", end: "2026-03-28T07:00:00.000Z" });
      const next = nextWindowAfter(night, schedule);
      iso(next).should.eql({ start: "2026-03-28T22:00:00.000Z", end: "2026-03-29T06:00:00.000Z" });
      iso(nextWindowAfter(next, schedule)).should.eql({ start: "2026-03-29T21:00:00.000Z", end: "2026-03-30T06:00:00.000Z" });
    });

    it("throws on settings that were not checked", function () {
      (() => dailyWindow(0, london("7:00", "08:00"))).should.throw(RangeError);
      (() => dailyWindow(0, { from: "07:00", until: "08:00", timeZone: "Nowhere/Else" })).should.throw(RangeError);
    });
  });
});
