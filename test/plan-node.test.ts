/**
 * flatpeak plan inside Node-RED (test helper): plans on priceData and prices
 * rows, one-off jobs, each mode and goal, time without prices, bad input that
 * leaves the plan in force, a redeploy that keeps to the plan, a switch at its
 * instant, and flatpeak price wired straight in (against the simulator).
 */
import should from "should";
import { SIMULATOR_LOCATIONS } from "../simulator/server";
import { helper, statusesOf, useSimulator, waitFor } from "./support/harness";
import { deployPlan } from "./support/plan-flow";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** The start of an hour at least one hour ahead: a window that starts there is wholly in the future. */
function nextHour(): number {
  return Math.ceil(Date.now() / HOUR) * HOUR + HOUR;
}

/** Hourly rows from `start` with these prices, as Tibber's priceData (start and value only; the last row as long as the one before). */
function priceData(start: number, prices: number[]): Array<{ start: string; value: number }> {
  return prices.map((value, hour) => ({ start: iso(start + hour * HOUR), value }));
}

function wallTime(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(ms);
}

function runMinutes(runs: Array<{ start: string; end: string }>): number {
  return runs.reduce((sum, run) => sum + (Date.parse(run.end) - Date.parse(run.start)) / MINUTE, 0);
}

describe("flatpeak plan", function () {
  const env = useSimulator();

  it("runs a job at the cheapest minutes of its window, says off for now, and explains the plan", async function () {
    const start = nextHour();
    const prices = [0.3, 0.1, 0.25, 0.05, 0.4, 0.2];
    const flow = await deployPlan({});
    const outcome = await flow.run({ payload: { priceData: priceData(start, prices), timezone: "Europe/London" }, job: { minutes: 120, from: iso(start), until: iso(start + 6 * HOUR) } });

    should(outcome.error).be.undefined();
    outcome.switch.map((m) => m.payload).should.eql([false]);
    const plan = outcome.plan[0].payload;
    // The two cheapest hours, computed here from the prices: 0.05 (hour 3) and 0.1 (hour 1).
    const cheapest = prices.map((price, hour) => ({ price, hour })).sort((a, b) => a.price - b.price).slice(0, 2).sort((a, b) => a.hour - b.hour);
    plan.runs.should.eql(cheapest.map(({ hour }) => ({ start: iso(start + hour * HOUR), end: iso(start + (hour + 1) * HOUR) })));
    plan.should.match({ window: { start: iso(start), end: iso(start + 6 * HOUR) }, minutes: 120, complete: true, timezone: "Europe/London" });
    plan.averagePrice.should.be.approximately((0.05 + 0.1) / 2, 1e-9);
    // A plain timer would run the first two hours of the window.
    plan.baselinePrice.should.be.approximately((0.3 + 0.1) / 2, 1e-9);
    plan.saving.should.be.approximately(1 - 0.075 / 0.2, 1e-9);
    const shown = statusesOf(flow.node()).pop()!;
    shown.text!.should.equal(`off · next ${wallTime(start + HOUR, "Europe/London")}–${wallTime(start + 2 * HOUR, "Europe/London")}`);

    // Output 3: the prices as a step line and the runs over them, for Dashboard 2's ui-chart, with the status beside.
    const chart = outcome.chart[0];
    chart.flatpeak.status.should.equal(shown.text);
    const price = chart.payload.filter((p: any) => p.series === "price");
    const planned = chart.payload.filter((p: any) => p.series === "planned runs");
    price.should.eql([...prices.map((y, hour) => ({ series: "price", x: start + hour * HOUR, y })), { series: "price", x: start + 6 * HOUR, y: 0.2 }]);
    planned.should.eql([
      { series: "planned runs", x: start + HOUR, y: 0.1 },
      { series: "planned runs", x: start + 2 * HOUR, y: 0.1 },
      { series: "planned runs", x: start + 2 * HOUR, y: null },
      { series: "planned runs", x: start + 3 * HOUR, y: 0.05 },
      { series: "planned runs", x: start + 4 * HOUR, y: 0.05 },
    ]);
  });

  it("plans one run without a break, the dearest minutes with goal highest, and runs of at least minRun", async function () {
    const start = nextHour();
    const prices = [0.3, 0.1, 0.25, 0.05, 0.4, 0.2];
    const rows = { prices: prices.map((price, hour) => ({ start: iso(start + hour * HOUR), end: iso(start + (hour + 1) * HOUR), price })) };
    const flow = await deployPlan({});

    const contiguous = await flow.run({ payload: rows, job: { minutes: 150, until: iso(start + 6 * HOUR), contiguous: true } });
    // Every 150-minute stretch of the window, priced minute by minute: the cheapest one.
    let best = { cost: Infinity, at: 0 };
    for (let at = start; at + 150 * MINUTE <= start + 6 * HOUR; at += MINUTE) {
      let cost = 0;
      for (let m = at; m < at + 150 * MINUTE; m += MINUTE) cost += prices[Math.floor((m - start) / HOUR)];
      if (cost < best.cost - 1e-12) best = { cost, at };
    }
    contiguous.plan[0].payload.runs.should.eql([{ start: iso(best.at), end: iso(best.at + 150 * MINUTE) }]);

    const highest = await flow.run({ payload: rows, job: { minutes: 120, until: iso(start + 6 * HOUR), goal: "highest" } });
    highest.plan[0].payload.runs.should.eql([
      { start: iso(start), end: iso(start + HOUR) },
      { start: iso(start + 4 * HOUR), end: iso(start + 5 * HOUR) },
    ]);
    highest.plan[0].payload.saving.should.be.above(0);

    const quarters = { prices: Array.from({ length: 24 }, (_, q) => ({ start: iso(start + q * 15 * MINUTE), end: iso(start + (q + 1) * 15 * MINUTE), price: q % 2 === 0 ? 0.1 : 0.3 })) };
    const minRun = await flow.run({ payload: quarters, job: { minutes: 120, until: iso(start + 6 * HOUR), minRun: 60 } });
    const runs = minRun.plan[0].payload.runs as Array<{ start: string; end: string }>;
    runMinutes(runs).should.equal(120);
    for (const run of runs) (Date.parse(run.end) - Date.parse(run.start)).should.be.aboveOrEqual(60 * MINUTE);
  });

  it("counts time without a price as dearest, uses it latest first, and says the plan is not complete", async function () {
    const start = nextHour();
    const flow = await deployPlan({});
    const outcome = await flow.run({ payload: { priceData: [...priceData(start, [0.2, 0.3, 0.1]), { start: iso(start + 3 * HOUR), value: 0.2, end: iso(start + 3 * HOUR) }].slice(0, 3) }, job: { minutes: 240, until: iso(start + 6 * HOUR) } });

    const plan = outcome.plan[0].payload;
    plan.complete.should.be.false();
    // The three priced hours, then the last hour of the window.
    plan.runs.should.eql([
      { start: iso(start), end: iso(start + 3 * HOUR) },
      { start: iso(start + 5 * HOUR), end: iso(start + 6 * HOUR) },
    ]);
    statusesOf(flow.node()).pop()!.fill!.should.equal("yellow");
  });

  it("refuses what it cannot use with FLATPEAK_INVALID_INPUT that says why, and keeps the plan in force", async function () {
    const start = nextHour();
    const flow = await deployPlan({});
    const good = await flow.run({ payload: { priceData: priceData(start, [0.3, 0.1, 0.2]) }, job: { minutes: 60, until: iso(start + 3 * HOUR) } });
    const inForce = good.plan[0].payload;
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ payload: "hello" }, /Nothing to plan on/],
      [{ payload: { prices: [{ start: "yesterday", end: iso(start), price: 1 }] } }, /row 0 of msg\.payload\.prices: start is "yesterday", not a time/],
      [{ payload: { priceData: "none" } }, /msg\.payload\.priceData is not a list/],
      [{ payload: { priceData: priceData(start, [0.1, 0.2]), timezone: "Mars/Olympus" } }, /not a time zone/],
      [{ job: { minutes: 600, until: iso(Date.now() + 2 * HOUR) } }, /msg\.job needs 600 minutes, but only \d+ are left/],
      [{ job: { minutes: 10 } }, /msg\.job has no until/],
      [{ job: "tonight" }, /msg\.job is "tonight", not an object/],
    ];
    for (const [message, reason] of bad) {
      const outcome = await flow.run(message);
      outcome.error.error.code.should.equal("FLATPEAK_INVALID_INPUT");
      outcome.error.error.message.should.match(reason);
      outcome.switch.should.have.length(0);
      outcome.plan.should.have.length(0);
    }
    // Still the same plan: a new prices message plans on the rows it already had.
    const again = await flow.run({ payload: { priceData: [] } });
    again.plan[0].payload.runs.should.eql(inForce.runs);
  });

  it("after a redeploy, sends the state for now and keeps to its plan", async function () {
    const start = nextHour();
    const flow = await deployPlan({});
    const first = await flow.run({ payload: { priceData: priceData(start, [0.3, 0.1, 0.2]), timezone: "America/New_York" }, job: { minutes: 60, until: iso(start + 3 * HOUR) } });
    const before = flow.received("plan").length;
    await flow.redeploy();
    await waitFor(() => flow.received("plan").length > before && flow.received("switch").length >= 2, 5000, "the state and plan after the redeploy");

    flow.received("switch").at(-1)!.payload!.should.be.false();
    (flow.received("plan").at(-1)!.payload as any).should.eql(first.plan[0].payload);
  });

  it("switches on at the planned instant, within a second", async function () {
    this.timeout(90_000);
    // The next whole minute, at least a second away: a one-minute run there, at the cheapest price.
    const at = Math.ceil((Date.now() + 1000) / MINUTE) * MINUTE;
    const flow = await deployPlan({});
    const planned = await flow.run({
      payload: { prices: [{ start: iso(at), end: iso(at + MINUTE), price: 0.1 }, { start: iso(at + MINUTE), end: iso(at + 3 * MINUTE), price: 0.5 }] },
      job: { minutes: 1, until: iso(at + 3 * MINUTE) },
    });
    planned.switch.map((m) => m.payload).should.eql([false]);
    planned.plan[0].payload.runs.should.eql([{ start: iso(at), end: iso(at + MINUTE) }]);

    const before = flow.received("switch").length;
    await waitFor(() => flow.received("switch").length === before + 1, 75_000, "the switch at the planned minute");
    const on = flow.received("switch")[before];
    on.payload!.should.be.true();
    flow.receivedAt(on).should.be.aboveOrEqual(at);
    (flow.receivedAt(on) - at).should.be.below(1000);
    statusesOf(flow.node()).pop()!.text!.should.match(/^on until \d\d:\d\d$/);
  });

  it("plans on flatpeak price's output wired straight in", async function () {
    const flow = await deployPlan({ minutes: 60 }, { price: { location: SIMULATOR_LOCATIONS.home.id }, simulatorUrl: env.sim.url });
    await waitFor(() => flow.received("plan").length >= 2, 5000, "the plan at start and the plan on the fetched prices");
    const plan = flow.received("plan").at(-1)!.payload as any;

    plan.timezone.should.equal("Europe/London");
    plan.complete.should.be.true();
    const left = Math.floor((Date.parse(plan.window.end) - Math.ceil(Date.now() / MINUTE) * MINUTE) / MINUTE);
    plan.minutes.should.be.within(Math.min(60, left), 60);
    runMinutes(plan.runs).should.equal(plan.minutes);
    for (const run of plan.runs) {
      Date.parse(run.start).should.be.aboveOrEqual(Date.parse(plan.window.start));
      Date.parse(run.end).should.be.belowOrEqual(Date.parse(plan.window.end));
    }
    await helper.unload();
  });
});
