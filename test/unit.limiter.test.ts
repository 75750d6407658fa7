import should from "should";
import { RequestLimiter, type Clock } from "../nodes/lib/client/limiter";

/** A clock the test moves by hand; timers fire when the test says, early or late. */
class ManualClock implements Clock {
  time = 1_000;
  timers: Array<{ at: number; fire: () => void; cleared: boolean }> = [];
  now = (): number => this.time;
  setTimer = (fire: () => void, ms: number): (() => void) => {
    const timer = { at: this.time + ms, fire, cleared: false };
    this.timers.push(timer);
    return () => {
      timer.cleared = true;
    };
  };
  pending(): number {
    return this.timers.filter((timer) => !timer.cleared).length;
  }
  /** Fires every armed timer with the clock at `at(timer.at)`: earlier or later than asked. */
  fireAll(at: (due: number) => number): void {
    const due = this.timers.filter((timer) => !timer.cleared);
    this.timers = [];
    for (const timer of due) {
      this.time = Math.max(this.time, at(timer.at));
      timer.fire();
    }
  }
}

const queueFull = (): Error => new Error("queue full");

function limiter(clock: ManualClock, concurrency = 2, queueSize = 10): RequestLimiter {
  return new RequestLimiter({ concurrency, queueSize, queueFull, clock });
}

/** A task that stays open until the test ends it. */
function openTask(): { task: () => Promise<string>; finish: (value: string) => void; started: () => boolean } {
  let resolve: (value: string) => void = () => undefined;
  let started = false;
  return {
    task: () => {
      started = true;
      return new Promise<string>((r) => (resolve = r));
    },
    finish: (value) => resolve(value),
    started: () => started,
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("request limiter (time driven by the test)", function () {
  it("runs a queued task after a pause even when the pause timer fires early", async function () {
    const clock = new ManualClock();
    const limits = limiter(clock);
    limits.pauseFor(1_000);
    const signal = new AbortController().signal;
    const result = limits.run(() => Promise.resolve("ran"), signal);
    await settle();
    // Node timers may fire a millisecond before the time they were set for.
    clock.fireAll((due) => due - 1);
    await settle();
    clock.pending().should.be.above(0, "an early timer must arm another one");
    clock.fireAll((due) => due);
    (await result).should.equal("ran");
    clock.pending().should.equal(0);
  });

  it("runs queued tasks when the pause timer fires late", async function () {
    const clock = new ManualClock();
    const limits = limiter(clock);
    limits.pauseFor(500);
    const signal = new AbortController().signal;
    const results = [1, 2, 3].map((n) => limits.run(() => Promise.resolve(n), signal));
    clock.fireAll((due) => due + 5_000);
    (await Promise.all(results)).should.eql([1, 2, 3]);
  });

  it("never lets a new task wait behind a queue nobody drains", async function () {
    const clock = new ManualClock();
    const limits = limiter(clock, 1);
    limits.pauseFor(100);
    const signal = new AbortController().signal;
    const first = limits.run(() => Promise.resolve("first"), signal);
    // The pause is over, but no timer has fired yet: the next arrival must start the queue itself.
    clock.time += 200;
    const second = limits.run(() => Promise.resolve("second"), signal);
    (await Promise.all([first, second])).should.eql(["first", "second"]);
  });

  it("holds back a burst during a pause and keeps the concurrency limit after it", async function () {
    const clock = new ManualClock();
    const limits = limiter(clock, 2);
    const signal = new AbortController().signal;
    const tasks = Array.from({ length: 5 }, () => openTask());
    const running = tasks.slice(0, 2).map((t) => limits.run(t.task, signal));
    limits.pauseFor(1_000);
    const waiting = tasks.slice(2).map((t) => limits.run(t.task, signal));
    await settle();
    tasks.map((t) => t.started()).should.eql([true, true, false, false, false]);
    tasks[0].finish("a");
    await settle();
    tasks[2].started().should.be.false("a slot that frees during a pause starts nothing");
    clock.fireAll((due) => due);
    await settle();
    tasks.map((t) => t.started()).should.eql([true, true, true, false, false]);
    tasks.slice(1).forEach((t, i) => t.finish(String(i)));
    await settle();
    tasks[4].started().should.be.true();
    tasks[3].finish("x");
    tasks[4].finish("y");
    await Promise.all([...running, ...waiting]);
  });

  it("keeps the later of two pauses", async function () {
    const clock = new ManualClock();
    const limits = limiter(clock);
    limits.pauseFor(5_000);
    limits.pauseFor(100);
    const signal = new AbortController().signal;
    let ran = false;
    const result = limits.run(() => {
      ran = true;
      return Promise.resolve();
    }, signal);
    clock.time += 200;
    clock.fireAll(() => clock.time);
    await settle();
    ran.should.be.false();
    clock.fireAll((due) => due);
    await result;
    ran.should.be.true();
  });

  it("close during a pause rejects every waiter and clears the timer", async function () {
    const clock = new ManualClock();
    const limits = limiter(clock);
    limits.pauseFor(60_000);
    const signal = new AbortController().signal;
    const waiting = [1, 2].map(() => limits.run(() => Promise.resolve(), signal).then(() => "ran", () => "rejected"));
    limits.close();
    (await Promise.all(waiting)).should.eql(["rejected", "rejected"]);
    clock.pending().should.equal(0);
    (await limits.run(() => Promise.resolve("late"), signal).then(() => "ran", () => "rejected")).should.equal("rejected");
  });

  it("a waiter whose signal aborts leaves the queue; the queue bound holds", async function () {
    const clock = new ManualClock();
    const limits = limiter(clock, 1, 1);
    const open = openTask();
    const running = limits.run(open.task, new AbortController().signal);
    const leaving = new AbortController();
    const left = limits.run(() => Promise.resolve("no"), leaving.signal).then(() => "ran", () => "left");
    const refused = await limits.run(() => Promise.resolve("no"), new AbortController().signal).then(() => "ran", (err: Error) => err.message);
    refused.should.equal("queue full");
    leaving.abort();
    (await left).should.equal("left");
    const next = limits.run(() => Promise.resolve("next"), new AbortController().signal);
    open.finish("done");
    should(await running).equal("done");
    (await next).should.equal("next");
  });
});
