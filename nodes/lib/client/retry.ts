/** When and how long to wait before trying a failed request again. */

export interface RetryPolicy {
  /** Retries after the first attempt (0 = never retry). */
  retries: number;
  /** First backoff; each retry doubles it. */
  baseDelayMs: number;
  /** No single wait is longer; a Retry-After beyond it is not waited for. */
  maxDelayMs: number;
}

/** The first backoff; the retry count and the longest wait are settings (see settings.ts). */
export const BASE_RETRY_DELAY_MS = 500;

/**
 * The wait before retry number `retry` (1-based): exponential with full jitter,
 * so that many clients that failed together do not come back together.
 */
function backoffDelay(policy: RetryPolicy, retry: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/**
 * The wait before a retry, honouring the server's Retry-After. Undefined means
 * "do not retry": the server asked for longer than the policy allows.
 */
export function retryDelay(policy: RetryPolicy, retry: number, retryAfterSeconds: number | undefined): number | undefined {
  if (retryAfterSeconds === undefined) return backoffDelay(policy, retry);
  const asked = retryAfterSeconds * 1000;
  return asked <= policy.maxDelayMs ? asked : undefined;
}
