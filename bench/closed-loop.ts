/**
 * Drives events with a fixed window in flight: a new event starts only when
 * one ends, so every variant is measured at the same concurrency.
 */
import { performance } from "node:perf_hooks";
import type { RunResult } from "./stats";

/** Starts event `index`; calls `finish` once when it has ended (ok or not). */
export type Launch = (index: number, finish: (ok: boolean) => void) => void;

/** Runs exactly `count` events. */
export function runClosedLoop(count: number, window: number, launch: Launch): Promise<RunResult> {
  return drive(window, launch, (started) => started < count);
}

/** Keeps starting events until `seconds` have passed, then waits for those in flight. */
export function runForDuration(seconds: number, window: number, launch: Launch): Promise<RunResult> {
  const stopAt = performance.now() + seconds * 1000;
  return drive(window, launch, (_started, now) => now < stopAt);
}

function drive(window: number, launch: Launch, more: (started: number, now: number) => boolean): Promise<RunResult> {
  return new Promise((resolve) => {
    const latencies: number[] = [];
    let started = 0;
    let errors = 0;
    const begin = performance.now();

    const startNext = (): void => {
      const index = started++;
      const startedAt = performance.now();
      let finished = false;
      launch(index, (ok) => {
        if (finished) return;
        finished = true;
        const now = performance.now();
        latencies.push(now - startedAt);
        if (!ok) errors += 1;
        if (more(started, now)) startNext();
        else if (latencies.length === started) resolve({ events: started, seconds: (now - begin) / 1000, latencies, errors });
      });
    };

    while (started < window && more(started, performance.now())) startNext();
  });
}
