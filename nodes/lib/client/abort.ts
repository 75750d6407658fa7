/** Small helpers around AbortSignal that also run on Node 18 (no `AbortSignal.any`). */
import { setMaxListeners } from "node:events";

/**
 * The one reason a wait ends early: its caller left (the node closed or was
 * redeployed). Internal only: callers that left do not read it, so it needs no
 * translated text and no user-facing code.
 */
export class CancelledError extends Error {
  constructor() {
    super("cancelled");
    this.name = "CancelledError";
  }
}

/**
 * An AbortController for a long-lived owner (a node, a client) whose signal
 * every queued or running request listens to. Their number is bounded by the
 * queue, not by 10, so Node's leak warning would only alarm users.
 */
export function sharedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

export interface Deadline {
  /** Aborts when any parent aborts or the time runs out. */
  signal: AbortSignal;
  /** True when it was the time that ran out. */
  timedOut(): boolean;
  /** Clears the timer and the listeners on the parents. Call it once the work is over. */
  dispose(): void;
}

export function deadline(timeoutMs: number, ...parents: Array<AbortSignal | undefined>): Deadline {
  const controller = new AbortController();
  let expired = false;
  const abort = (): void => controller.abort();
  const timer = setTimeout(() => {
    expired = true;
    controller.abort();
  }, timeoutMs);
  const linked = parents.filter((parent): parent is AbortSignal => parent !== undefined);
  for (const parent of linked) {
    if (parent.aborted) controller.abort();
    else parent.addEventListener("abort", abort, { once: true });
  }
  return {
    signal: controller.signal,
    timedOut: () => expired,
    dispose: () => {
      clearTimeout(timer);
      for (const parent of linked) parent.removeEventListener("abort", abort);
    },
  };
}

/**
 * Waits for a shared promise, but lets one waiter give up when its own signal
 * aborts: the shared work (a login) goes on for the others.
 */
export function untilAborted<T>(shared: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return shared;
  if (signal.aborted) return Promise.reject(new CancelledError());
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(new CancelledError());
    signal.addEventListener("abort", abort, { once: true });
    shared.then(
      (value) => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", abort);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the shared promise's own reason, passed on
        reject(err);
      },
    );
  });
}

/** Resolves after `ms`, or rejects with a CancelledError as soon as `signal` aborts (clearing the timer). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new CancelledError());
  return new Promise((resolve, reject) => {
    const abort = (): void => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", abort);
      resolve();
    }, ms);
    signal.addEventListener("abort", abort, { once: true });
  });
}
