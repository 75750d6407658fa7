/** The benchmark's knobs, from the environment, with defaults that finish in a few minutes on 2 cores. */

export interface BenchSettings {
  /** Measured events per variant, split over the rounds. */
  events: number;
  /** Events in flight at once, for every variant; also our config node's concurrency setting. */
  concurrency: number;
  /** Rounds the variants take turns in (order rotated each round), so that machine noise hits all of them. */
  rounds: number;
  /** The simulated network round trip (ms) of the second simulator: every event answer waits this long. */
  networkMs: number;
  /** Unmeasured events per variant before the first round. */
  warmup: number;
  /** Events for the memory run. */
  memoryEvents: number;
  /** Messages sent at once to a fresh config node, for the login check. */
  burst: number;
  /** Token lifetime (seconds) of the second simulator, and how long the renewal check runs. */
  renewalTokenLifetime: number;
  renewalSeconds: number;
  /** Idle Node-RED processes started with and (as many) without this package, for the footprint. */
  footprintRuns: number;
}

export const ENV_NAMES: Record<keyof BenchSettings, string> = {
  events: "BENCH_EVENTS",
  concurrency: "BENCH_CONCURRENCY",
  rounds: "BENCH_ROUNDS",
  networkMs: "BENCH_NETWORK_MS",
  warmup: "BENCH_WARMUP",
  memoryEvents: "BENCH_MEMORY_EVENTS",
  burst: "BENCH_BURST",
  renewalTokenLifetime: "BENCH_RENEWAL_TOKEN_LIFETIME",
  renewalSeconds: "BENCH_RENEWAL_SECONDS",
  footprintRuns: "BENCH_FOOTPRINT_RUNS",
};

const DEFAULTS: BenchSettings = {
  events: 20_000,
  concurrency: 16,
  // The restated targets are judged on the median of at least 15 rounds.
  rounds: 15,
  networkMs: 5,
  warmup: 500,
  memoryEvents: 50_000,
  burst: 1000,
  renewalTokenLifetime: 2,
  renewalSeconds: 6,
  footprintRuns: 5,
};

export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const settings = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as Array<keyof BenchSettings>) {
    const text = env[ENV_NAMES[key]]?.trim();
    if (!text) continue;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${ENV_NAMES[key]} must be a positive number, not "${text}"`);
    settings[key] = key === "renewalTokenLifetime" || key === "renewalSeconds" || key === "networkMs" ? value : Math.ceil(value);
  }
  return settings;
}
