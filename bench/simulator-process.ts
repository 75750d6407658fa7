/**
 * The benchmark's simulator, run in a child process so that it does not share
 * the event loop with what is being measured. Like `npm run simulator` with
 * generated events, plus a token lifetime from BENCH_TOKEN_LIFETIME (seconds),
 * which the login-renewal check needs. Talks to the parent over IPC: sends
 * `{ url }` once listening, answers "cpu" with its CPU time so far and
 * "stats" with its login and event request counts (IPC rather than HTTP:
 * the benchmark asks before and after every block).
 */
import { startSimulator } from "../simulator/server";

async function main(): Promise<void> {
  const lifetime = Number(process.env.BENCH_TOKEN_LIFETIME ?? 3600);
  const simulator = await startSimulator({ port: 0, generateEvents: true, tokenLifetimeSeconds: lifetime });
  process.on("message", (message) => {
    if (message === "cpu") process.send?.({ cpu: process.cpuUsage() });
    if (message === "stats") process.send?.({ stats: { logins: simulator.stats.logins, eventRequests: simulator.stats.eventRequests } });
  });
  // The parent going away closes the IPC channel: stop with it.
  process.on("disconnect", () => void simulator.close().then(() => process.exit(0)));
  process.send?.({ url: simulator.url });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
