/** When and how long to wait before trying a failed request again. */

export interface RetryPolicy {
  /** Retries after the first attempt (0 = never retry). */
  retries: number;
  /** First backoff; each retry doubles it. */
  baseDelayMs: number;
  /** No single wait is longer; a Retry-After beyond it is not waited for. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 30_000 };

/**
 * The wait before retry number `retry` (1-based): exponential with full jitter,
 * so that many clients that failed together do not come back together.
 * `random` is injectable for tests.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The wait before a retry, honouring the server's Retry-After. Undefined means
 * "do not retry": the server asked for longer than the policy allows.
 */
export function retryDelay(policy: RetryPolicy, retry: number, retryAfterSeconds: number | undefined, random?: () => number): number | undefined {
  if (retryAfterSeconds === undefined) return backoffDelay(policy, retry, random);
  const asked = retryAfterSeconds * 1000;
  return asked <= policy.maxDelayMs ? asked : undefined;
}

/** Resolves after `ms`, or rejects with `onAbort()` as soon as `signal` aborts (clearing the timer). */
export function sleep(ms: number, signal: AbortSignal, onAbort: () => Error): Promise<void> {
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise((resolve, reject) => {
    const abort = (): void => {
      clearTimeout(timer);
      reject(onAbort());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", abort);
      resolve();
    }, ms);
    signal.addEventListener("abort", abort, { once: true });
  });
}
