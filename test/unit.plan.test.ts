import should from "should";
import { MAX_HORIZON_MINUTES, planJob, type Plan, type PlanRequest } from "../nodes/lib/plan/planner";
import { planPayload, summarisePlan } from "../nodes/lib/plan/summary";
import { isOnAt, nextChangeAfter, normalizeRuns } from "../nodes/lib/plan/timeline";
import { MINUTE_MS, type Job, type PriceRow, type Run } from "../nodes/lib/plan/types";

const T0 = Date.parse("2026-12-04T00:00:00Z");
const at = (minutes: number): number => T0 + minutes * MINUTE_MS;
/** Runs as [from, to] minute pairs after T0, easy to read in a failure. */
const minutesOf = (runs: readonly Run[]): Array<[number, number]> => runs.map((run) => [(run.start - T0) / MINUTE_MS, (run.end - T0) / MINUTE_MS]);

/** Rows of `length` minutes from minute 0, one price each. */
function rows(prices: Array<number | null>, length = 1): PriceRow[] {
  return prices.flatMap((price, i) => (price === null ? [] : [{ start: at(i * length), end: at((i + 1) * length), price }]));
}

const job = (minutes: number, more: Partial<Job> = {}): Job => ({ minutes, contiguous: false, minRun: 0, goal: "lowest", ...more });

function plan(request: Partial<PlanRequest> & { rows: PriceRow[]; job: Job }, windowMinutes = 12): Plan {
  return planJob({ window: { start: at(0), end: at(windowMinutes) }, now: at(0), ...request });
}

describe("plan: planner, summary, timeline (pure)", function () {
  describe("planner", function () {
    it("runs at the cheapest minutes of a split plan", function () {
      const result = plan({ rows: rows([5, 1, 1, 9, 2, 2, 8, 0, 3, 3, 7, 7]), job: job(5) });
      minutesOf(result.runs).should.eql([[1, 3], [4, 6], [7, 8]]);
      result.plannedMinutes.should.equal(5);
      result.unknownMinutes.should.equal(0);
      result.shortfall.should.equal(0);
    });

    it("runs at the dearest minutes with `highest`", function () {
      minutesOf(plan({ rows: rows([5, 1, 1, 9, 2, 2, 8, 0, 3, 3, 7, 7]), job: job(4, { goal: "highest" }) }).runs).should.eql([[3, 4], [6, 7], [10, 12]]);
    });

    it("finds the cheapest single run when contiguous", function () {
      minutesOf(plan({ rows: rows([5, 1, 1, 9, 2, 2, 2, 0, 3, 3, 7, 7]), job: job(4, { contiguous: true }) }).runs).should.eql([[4, 8]]);
    });

    it("keeps every run at least minRun long, even where a shorter run is cheaper", function () {
      const prices = [1, 9, 9, 1, 1, 9, 9, 9, 2, 2, 2, 9];
      minutesOf(plan({ rows: rows(prices), job: job(3) }).runs).should.eql([[0, 1], [3, 5]]);
      minutesOf(plan({ rows: rows(prices), job: job(3, { minRun: 3 }) }).runs).should.eql([[8, 11]]);
    });

    it("splits where minRun allows it", function () {
      const prices = [1, 1, 9, 9, 9, 9, 9, 9, 9, 9, 1, 1];
      minutesOf(plan({ rows: rows(prices), job: job(4, { minRun: 2 }) }).runs).should.eql([[0, 2], [10, 12]]);
      minutesOf(plan({ rows: rows(prices), job: job(4, { minRun: 3 }) }).runs).should.eql([[0, 4]]);
    });

    it("makes one short run when fewer minutes are needed than minRun", function () {
      const result = plan({ rows: rows([9, 9, 1, 1, 9, 9, 9, 9, 9, 9, 9, 9]), job: job(2, { minRun: 30 }) });
      minutesOf(result.runs).should.eql([[2, 4]]);
    });

    it("counts the minutes already done", function () {
      const result = plan({ rows: rows([5, 1, 1, 9, 2, 2, 8, 0, 3, 3, 7, 7]), job: job(5), done: 3 });
      minutesOf(result.runs).should.eql([[1, 2], [7, 8]]);
      result.neededMinutes.should.equal(2);
      plan({ rows: rows([1, 1, 1]), job: job(5), done: 5 }).runs.should.eql([]);
      plan({ rows: rows([1, 1, 1]), job: job(5), done: 9 }).neededMinutes.should.equal(0);
    });

    it("starts at now rounded up to a whole minute", function () {
      const prices = [0, 0, 5, 5, 5, 1, 5, 5, 5, 5, 5, 5];
      // From minute 2: the 1 at minute 5, and a 5 beside it (one run) rather than the earliest 5.
      minutesOf(plan({ rows: rows(prices), job: job(2), now: at(1) + 1 }).runs).should.eql([[4, 6]]);
      const result = plan({ rows: rows(prices), job: job(2), now: at(1) });
      minutesOf(result.runs).should.eql([[1, 2], [5, 6]]);
      result.planStart.should.equal(at(1));
    });

    it("plans a window that has not begun from its start", function () {
      const result = planJob({ rows: rows([0, 0, 5, 1, 5, 5]), window: { start: at(2), end: at(6) }, now: at(-30), job: job(1) });
      result.planStart.should.equal(at(2));
      minutesOf(result.runs).should.eql([[3, 4]]);
    });

    it("plans nothing after the window", function () {
      const result = plan({ rows: rows([1, 1, 1]), job: job(2), now: at(20) });
      result.runs.should.eql([]);
      result.horizonMinutes.should.equal(0);
      result.shortfall.should.equal(2);
    });

    it("plans every minute left when the window is shorter than the job, and says how many are missing", function () {
      const result = plan({ rows: rows([3, 1, 2, 4]), job: job(10, { minRun: 5 }) }, 4);
      minutesOf(result.runs).should.eql([[0, 4]]);
      result.plannedMinutes.should.equal(4);
      result.shortfall.should.equal(6);
    });

    describe("a run in progress", function () {
      const prices = [9, 9, 9, 9, 9, 1, 1, 1, 1, 1, 1, 1];

      it("is not cut shorter than minRun, even beyond the minutes needed", function () {
        // On since 2 minutes before planStart; minRun 5: 3 more minutes, though only 1 is needed.
        const result = plan({ rows: rows(prices), job: job(6, { minRun: 5 }), done: 5, runningSince: at(-2) });
        minutesOf(result.runs).should.eql([[0, 3]]);
        result.plannedMinutes.should.equal(3);
        result.neededMinutes.should.equal(1);
      });

      it("goes on to minRun, and the other runs keep to minRun", function () {
        const result = plan({ rows: rows(prices), job: job(8, { minRun: 3 }), done: 1, runningSince: at(-1) });
        minutesOf(result.runs).should.eql([[0, 2], [5, 10]]);
      });

      it("may stop at once when it has run minRun already", function () {
        minutesOf(plan({ rows: rows(prices), job: job(4, { minRun: 3 }), runningSince: at(-3) }).runs).should.eql([[5, 9]]);
      });

      it("continues rather than a new run shorter than minRun", function () {
        // 2 minutes needed, minRun 3: a new run would be too short, so the running one goes on.
        minutesOf(plan({ rows: rows(prices), job: job(2, { minRun: 3 }), runningSince: at(-5) }).runs).should.eql([[0, 2]]);
      });

      it("continues with the remainder of a contiguous job", function () {
        const result = plan({ rows: rows(prices), job: job(10, { contiguous: true }), done: 6, runningSince: at(-6) });
        minutesOf(result.runs).should.eql([[0, 4]]);
      });

      it("does not count as a new run", function () {
        // The 1s at minutes 2–3 and one 2: at minute 0 it continues the run (no new run) and is earliest.
        minutesOf(plan({ rows: rows([2, 9, 1, 1, 2, 9]), job: job(3), runningSince: at(-4) }, 6).runs).should.eql([[0, 1], [2, 4]]);
        // Not running, minute 0 would be a second run: minute 4 makes one run.
        minutesOf(plan({ rows: rows([2, 9, 1, 1, 2, 9]), job: job(3) }, 6).runs).should.eql([[2, 5]]);
      });
    });

    describe("minutes without a price", function () {
      it("uses them only when the known minutes are not enough, latest first", function () {
        const result = plan({ rows: rows([3, 2, null, null, 5, null, null, 1]), job: job(5) }, 8);
        minutesOf(result.runs).should.eql([[0, 2], [4, 5], [6, 8]]);
        result.unknownMinutes.should.equal(1);
      });

      it("plans the last minutes when no minute has a price", function () {
        const result = plan({ rows: [], job: job(3) }, 10);
        minutesOf(result.runs).should.eql([[7, 10]]);
        result.unknownMinutes.should.equal(3);
        minutesOf(plan({ rows: [], job: job(4, { minRun: 2 }) }, 10).runs).should.eql([[6, 10]]);
        minutesOf(plan({ rows: [], job: job(3, { contiguous: true }) }, 10).runs).should.eql([[7, 10]]);
      });

      it("counts as cheaper than any known price with `highest`, still latest first", function () {
        const result = plan({ rows: rows([-3, -2, null, null, -5, null, null, -1]), job: job(5, { goal: "highest" }) }, 8);
        minutesOf(result.runs).should.eql([[0, 2], [4, 5], [6, 8]]);
        result.unknownMinutes.should.equal(1);
      });

      it("keeps runs to minRun across them", function () {
        const result = plan({ rows: rows([1, 1, null, null, null, null, 9, 9]), job: job(4, { minRun: 3 }) }, 8);
        minutesOf(result.runs).should.eql([[0, 4]]);
        result.unknownMinutes.should.equal(2);
      });
    });

    it("takes the earliest of equal plans, and the fewest runs", function () {
      minutesOf(plan({ rows: rows(new Array(12).fill(0.2)), job: job(3) }).runs).should.eql([[0, 3]]);
      // The 0s and one 2: minute 5 makes one run, minute 0 (earlier) two.
      minutesOf(plan({ rows: rows([2, 2, 9, 0, 0, 2, 9, 9, 9, 9, 9, 9]), job: job(3) }).runs).should.eql([[3, 6]]);
    });

    it("adds prices exactly: 0.1 + 0.2 is as cheap as 0.3", function () {
      // Two runs of 0.1 + 0.2 and 0.3 + 0.0 cost the same; the earlier wins, whatever the float sums say.
      minutesOf(plan({ rows: rows([0.3, 0, 9, 0.1, 0.2, 9]), job: job(2, { contiguous: true }) }, 6).runs).should.eql([[0, 2]]);
      minutesOf(plan({ rows: rows([0.1, 0.2, 9, 0.3, 0, 9]), job: job(2, { contiguous: true }) }, 6).runs).should.eql([[0, 2]]);
    });

    it("never throws on odd numbers", function () {
      const odd = planJob({ rows: rows([1, 2, 3]), window: { start: at(0), end: at(3) }, now: Number.NaN, job: { minutes: Number.NaN, contiguous: false, minRun: -5, goal: "lowest" }, done: -3 });
      odd.runs.should.eql([]);
      planJob({ rows: rows([1, 2, 3]), window: { start: at(0), end: at(3) }, now: at(0), job: job(2.7), done: Number.POSITIVE_INFINITY, runningSince: Number.NaN }).plannedMinutes.should.equal(2);
    });

    it("looks at most 72 h ahead", function () {
      const result = planJob({ rows: [], window: { start: at(0), end: at(10_000) }, now: at(0), job: job(1) });
      result.horizonMinutes.should.equal(MAX_HORIZON_MINUTES);
      minutesOf(result.runs).should.eql([[MAX_HORIZON_MINUTES - 1, MAX_HORIZON_MINUTES]]);
    });

    it("plans quarter-hour prices with minRun at least as well as the best plan in whole quarter hours", function () {
      const quarters = 16;
      const prices = Array.from({ length: quarters }, (_, i) => Math.round(Math.sin(i * 1.3) * 100) / 100);
      const result = plan({ rows: rows(prices, 15), job: job(60, { minRun: 30 }) }, quarters * 15);
      let best = Infinity;
      for (let mask = 0; mask < 1 << quarters; mask += 1) {
        let count = 0;
        let cost = 0;
        let ok = true;
        for (let q = 0; q < quarters; q += 1) {
          if (((mask >> q) & 1) === 0) continue;
          count += 1;
          cost += prices[q];
          const starts = q === 0 || ((mask >> (q - 1)) & 1) === 0;
          if (starts && ((mask >> (q + 1)) & 1) === 0) ok = false; // a run of one quarter < 30 minutes
        }
        if (ok && count === 4) best = Math.min(best, cost * 15);
      }
      const cost = result.runs.reduce((sum, run) => {
        for (let t = run.start; t < run.end; t += MINUTE_MS) sum += prices[Math.floor((t - T0) / (15 * MINUTE_MS))];
        return sum;
      }, 0);
      // Whole minutes can do at least as well as whole quarters; every run is ≥ 30 minutes.
      cost.should.be.belowOrEqual(best + 1e-9);
      result.plannedMinutes.should.equal(60);
      for (const run of result.runs) (run.end - run.start).should.be.aboveOrEqual(30 * MINUTE_MS);
    });
  });

  describe("summary", function () {
    it("gives the average, the timer's price, the saving and completeness", function () {
      const prices = rows([4, 4, 1, 1, 2, 2]);
      const result = plan({ rows: prices, job: job(2) }, 6);
      summarisePlan(prices, result).should.eql({ averagePrice: 1, baselinePrice: 4, saving: 0.75, complete: true });
      const highest = plan({ rows: prices, job: job(2, { goal: "highest" }) }, 6);
      const summary = summarisePlan(prices, highest);
      summary.should.have.properties({ averagePrice: 4, baselinePrice: 4, saving: 0 });
    });

    it("counts known prices only, and says when part of the window has none", function () {
      const prices = rows([null, 4, 1, null, 1, null]);
      const result = plan({ rows: prices, job: job(2) }, 6);
      minutesOf(result.runs).should.eql([[2, 3], [4, 5]]);
      summarisePlan(prices, result).should.eql({ averagePrice: 1, baselinePrice: 4, saving: 0.75, complete: false });
    });

    it("gives null where there is nothing to average or the baseline is not above 0", function () {
      summarisePlan([], plan({ rows: [], job: job(2) }, 4)).should.eql({ averagePrice: null, baselinePrice: null, saving: null, complete: false });
      const negative = rows([-1, -2, 0, 3]);
      summarisePlan(negative, plan({ rows: negative, job: job(1) }, 4)).should.eql({ averagePrice: -2, baselinePrice: -1, saving: null, complete: true });
      const zero = rows([0, -2, 0, 3]);
      should(summarisePlan(zero, plan({ rows: zero, job: job(1) }, 4)).saving).equal(null);
    });

    it("builds output 2's payload with the runs already done", function () {
      const prices = rows([9, 9, 9, 9, 1, 1, 9, 2, 9, 9]);
      // On since minute 2 (minRun 2 reached), now 20 s past minute 3: plan from minute 4.
      const result = plan({ rows: prices, job: job(5, { minRun: 2 }), now: at(3) + 20_000, done: 2, runningSince: at(2) }, 10);
      minutesOf(result.runs).should.eql([[4, 7]], "the run in progress goes on: no new run for the same price");
      const payload = planPayload({
        plan: result,
        summary: summarisePlan(prices, result),
        doneRuns: [{ start: at(-5), end: at(0) + 30_000 }, { start: at(2), end: at(3) + 20_000 }],
        done: 2,
        timeZone: "Europe/London",
      });
      payload.should.eql({
        window: { start: "2026-12-04T00:00:00.000Z", end: "2026-12-04T00:10:00.000Z" },
        // Done runs in whole minutes within the window; the run in progress joins its continuation.
        runs: [
          { start: "2026-12-04T00:00:00.000Z", end: "2026-12-04T00:01:00.000Z" },
          { start: "2026-12-04T00:02:00.000Z", end: "2026-12-04T00:07:00.000Z" },
        ],
        minutes: 5,
        averagePrice: 11 / 3,
        baselinePrice: 11 / 3,
        saving: 0,
        complete: true,
        timezone: "Europe/London",
      });
    });
  });

  describe("timeline", function () {
    const runs = [
      { start: at(10), end: at(20) },
      { start: at(20), end: at(25) },
      { start: at(40), end: at(50) },
    ];

    it("says whether the device is on at an instant", function () {
      isOnAt(runs, at(9)).should.be.false();
      isOnAt(runs, at(10)).should.be.true();
      isOnAt(runs, at(24) + 59_999).should.be.true();
      isOnAt(runs, at(25)).should.be.false();
      isOnAt([], at(0)).should.be.false();
    });

    it("gives the next change of state, once for touching runs, none at the end", function () {
      should(nextChangeAfter(runs, at(0))).equal(at(10));
      should(nextChangeAfter(runs, at(10))).equal(at(25));
      should(nextChangeAfter(runs, at(25))).equal(at(40));
      should(nextChangeAfter(runs, at(45))).equal(at(50));
      should(nextChangeAfter(runs, at(50))).equal(undefined);
      should(nextChangeAfter([], at(0))).equal(undefined);
    });

    it("merges, sorts and drops empty runs", function () {
      normalizeRuns([runs[2], runs[1], { start: at(5), end: at(5) }, runs[0], { start: at(45), end: at(55) }]).should.eql([
        { start: at(10), end: at(25) },
        { start: at(40), end: at(55) },
      ]);
    });
  });
});
