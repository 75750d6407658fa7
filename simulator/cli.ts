/**
 * `npm run simulator`: runs the Flatpeak simulator in the foreground and prints how to use it.
 * FLATPEAK_SIMULATOR_PORT (default 8787; 0 = any free port), FLATPEAK_SIMULATOR_GENERATE_EVENTS=1
 * (answer every `evt_gen…` ID with a device event, for benchmarks).
 */
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, startSimulator } from "./server";

async function main(): Promise<void> {
  const port = Number(process.env.FLATPEAK_SIMULATOR_PORT ?? 8787);
  const generateEvents = process.env.FLATPEAK_SIMULATOR_GENERATE_EVENTS === "1";
  const simulator = await startSimulator({ port, generateEvents });
  console.log(`Flatpeak simulator on ${simulator.url}`);
  console.log(`  account ID: ${SIMULATOR_ACCOUNT_ID}`);
  console.log(`  API key:    ${SIMULATOR_API_KEY}`);
  console.log(`  faults:     curl -X POST ${simulator.url}/_simulator/faults -d '{"route":"event","kind":"status","status":503,"times":1}'`);
  const stop = (): void => void simulator.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
