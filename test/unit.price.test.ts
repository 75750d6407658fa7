import should from "should";
import { readPriceAnswer } from "../nodes/lib/client/dialects";
import { PriceHolds, PRICE_HOLD_MS } from "../nodes/lib/client/price-holds";
import { FlatpeakError } from "../nodes/lib/client/errors";
import { InstantTimer } from "../nodes/lib/instant-timer";
import { isLocationId, nextBoundary, nextRefreshAt, pricesPayload, readPriceRows, rowAt, windowStart } from "../nodes/lib/price/prices";
import { waitFor } from "./support/harness";

const T0 = Date.UTC(2026, 11, 4, 22, 0);
const MIN = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const raw = (start: unknown, end: unknown, value: unknown, confidence: unknown = 1) => ({ start, end, value, confidence });

describe("price (pure)", function () {
  describe("readPriceRows", function () {
    it("keeps usable rows sorted, with the lengths given, and counts what it drops", function () {
      const result = readPriceRows([
        raw(iso(T0 + 30 * MIN), iso(T0 + 45 * MIN), 0.41, 0.8),
        raw(iso(T0), iso(T0 + 30 * MIN), -0.02),
        raw(iso(T0 + 45 * MIN), iso(T0 + 180 * MIN), 0.12),
      ]);
      result.rows.should.eql([
        { start: T0, end: T0 + 30 * MIN, price: -0.02, confidence: 1 },
        { start: T0 + 30 * MIN, end: T0 + 45 * MIN, price: 0.41, confidence: 0.8 },
        { start: T0 + 45 * MIN, end: T0 + 180 * MIN, price: 0.12, confidence: 1 },
      ]);
      result.dropped.should.equal(0);
    });

    it("drops rows without two times, with end not after start, without a finite number, placeholders and overlaps", function () {
      const good = raw(iso(T0), iso(T0 + 30 * MIN), 0.2);
      const result = readPriceRows([
        good,
        raw(undefined, iso(T0 + 30 * MIN), 0.2),
        raw(iso(T0 + 30 * MIN), iso(T0 + 30 * MIN), 0.2),
        raw(iso(T0 + 60 * MIN), iso(T0 + 30 * MIN), 0.2),
        raw(iso(T0 + 30 * MIN), iso(T0 + 60 * MIN), "0.2"),
        raw(iso(T0 + 30 * MIN), iso(T0 + 60 * MIN), Number.NaN),
        raw(iso(T0 + 30 * MIN), iso(T0 + 60 * MIN), 0, 0),
        raw("yesterday", iso(T0 + 60 * MIN), 0.2),
        raw(T0, T0 + MIN, 0.2),
        raw(iso(T0 + 15 * MIN), iso(T0 + 45 * MIN), 0.3),
      ]);
      result.rows.should.eql([{ start: T0, end: T0 + 30 * MIN, price: 0.2, confidence: 1 }]);
      result.dropped.should.equal(9);
    });

    it("reads times with an offset, and without a zone as UTC (never as the Pi's local time)", function () {
      const { rows } = readPriceRows([raw("2026-12-04T23:00:00+01:00", "2026-12-04T22:30:00", 0.2, null)]);
      rows.should.eql([{ start: T0, end: T0 + 30 * MIN, price: 0.2, confidence: null }]);
    });
  });

  describe("the payload and the row for an instant", function () {
    it("builds output 1 from an answer of any dialect, with null for what Flatpeak left out", function () {
      const answer = readPriceAnswer("zero", {
        location_id: "loc_abc",
        location_timezone: "Europe/London",
        currency_code: "GBP",
        last_updated: "2026-12-04T21:58:00Z",
        data: [{ valid_from: iso(T0), valid_to: iso(T0 + 30 * MIN), tariff: { rate: 0.25, confidence: 1 } }],
      })!;
      const { rows } = readPriceRows(answer.rows);
      pricesPayload(answer, rows, { locationId: "loc_abc", direction: "EXPORT" }).should.eql({
        location_id: "loc_abc",
        direction: "EXPORT",
        currency: "GBP",
        timezone: "Europe/London",
        updated: "2026-12-04T21:58:00.000Z",
        next_update: null,
        prices: [{ start: iso(T0), end: iso(T0 + 30 * MIN), price: 0.25, confidence: 1 }],
        priceData: [{ start: iso(T0), value: 0.25 }],
      });
    });

    it("finds the row in force and the next boundary, across gaps", function () {
      const rows = [
        { start: T0, end: T0 + 30 * MIN, price: 1, confidence: 1 },
        { start: T0 + 30 * MIN, end: T0 + 45 * MIN, price: 2, confidence: 1 },
        { start: T0 + 60 * MIN, end: T0 + 90 * MIN, price: 3, confidence: 1 },
      ];
      should(rowAt(rows, T0 - 1)).be.undefined();
      rowAt(rows, T0)!.price.should.equal(1);
      rowAt(rows, T0 + 30 * MIN - 1)!.price.should.equal(1);
      rowAt(rows, T0 + 30 * MIN)!.price.should.equal(2);
      should(rowAt(rows, T0 + 50 * MIN)).be.undefined();
      rowAt(rows, T0 + 89 * MIN)!.price.should.equal(3);
      should(rowAt(rows, T0 + 90 * MIN)).be.undefined();
      nextBoundary(rows, T0 - 5)!.should.equal(T0);
      nextBoundary(rows, T0)!.should.equal(T0 + 30 * MIN);
      nextBoundary(rows, T0 + 46 * MIN)!.should.equal(T0 + 60 * MIN);
      should(nextBoundary(rows, T0 + 90 * MIN)).be.undefined();
    });

    it("asks from the start of the hour, and refreshes at next_update within 15 minutes and 6 hours, else hourly", function () {
      windowStart(T0 + 59 * MIN + 59_999).should.equal(T0);
      nextRefreshAt(T0, iso(T0 + 120 * MIN)).should.equal(T0 + 120 * MIN);
      nextRefreshAt(T0, iso(T0 + 2 * MIN)).should.equal(T0 + 15 * MIN);
      nextRefreshAt(T0, iso(T0 - 60 * MIN)).should.equal(T0 + 15 * MIN);
      nextRefreshAt(T0, iso(T0 + 48 * 60 * MIN)).should.equal(T0 + 6 * 60 * MIN);
      nextRefreshAt(T0, null).should.equal(T0 + 60 * MIN);
      nextRefreshAt(T0, "soon").should.equal(T0 + 60 * MIN);
    });

    it("takes loc_ with letters or digits as a location ID, nothing else", function () {
      for (const id of ["loc_6650a1b2c3d4e5f6a7b8c0b1", "loc_A1"]) isLocationId(id).should.be.true(id);
      for (const id of ["loc_", "loc-1", " loc_1", "loc_1/2", "dev_1", 5, null, "loc_" + "a".repeat(65)]) isLocationId(id).should.be.false(String(id));
    });
  });

  describe("PriceHolds", function () {
    it("holds a refusal per location and direction for 15 minutes", function () {
      let now = 0;
      const holds = new PriceHolds(() => now);
      const error = new FlatpeakError({ kind: "no-prices", messageKey: "pendingConnect" }, "pending");
      holds.hold({ locationId: "loc_a", direction: "IMPORT" }, error);
      holds.held({ locationId: "loc_a", direction: "IMPORT" })!.should.equal(error);
      should(holds.held({ locationId: "loc_a", direction: "EXPORT" })).be.undefined();
      should(holds.held({ locationId: "loc_b", direction: "IMPORT" })).be.undefined();
      now = PRICE_HOLD_MS - 1;
      holds.held({ locationId: "loc_a", direction: "IMPORT" })!.should.equal(error);
      now = PRICE_HOLD_MS;
      should(holds.held({ locationId: "loc_a", direction: "IMPORT" })).be.undefined();
    });
  });

  describe("InstantTimer", function () {
    it("fires at the instant, not before, and notices a clock that jumps forward", async function () {
      let now = 1_000_000;
      const timer = new InstantTimer(10, () => now);
      let firedAt: number | undefined;
      timer.armAt(now + 3_600_000, () => (firedAt = now));
      timer.armedFor!.should.equal(1_000_000 + 3_600_000);
      // Several wake-ups pass without the clock reaching the instant: nothing happens.
      const started = Date.now();
      await waitFor(() => Date.now() - started > 50, 1000, "a few wake-ups");
      should(firedAt).be.undefined();
      now += 3_600_000; // the clock jumps (NTP)
      await waitFor(() => firedAt !== undefined, 1000, "the timer to notice the jump");
      firedAt!.should.equal(1_000_000 + 3_600_000);
      should(timer.armedFor).be.undefined();
    });

    it("replaces the instant when armed again, and does nothing once cancelled", async function () {
      const timer = new InstantTimer();
      const fired: string[] = [];
      timer.armAt(Date.now() + 10_000, () => fired.push("first"));
      timer.armAt(Date.now() + 5, () => fired.push("second"));
      await waitFor(() => fired.length > 0, 1000, "the second instant");
      fired.should.eql(["second"]);
      timer.armAt(Date.now() + 5, () => fired.push("third"));
      timer.cancel();
      const cancelledAt = Date.now();
      await waitFor(() => Date.now() - cancelledAt > 30, 1000, "past the cancelled instant");
      fired.should.eql(["second"]);
    });
  });
});
