/**
 * `npm run simulator`: runs the Flatpeak simulator in the foreground and prints how to use it.
 * FLATPEAK_SIMULATOR_PORT (default 8787; 0 = any free port), FLATPEAK_SIMULATOR_GENERATE_EVENTS=1
 * (answer every `evt_gen…` ID with a device event, for benchmarks),
 * FLATPEAK_SIMULATOR_AUTO_CREATE_MS (create a new event this often; unset = never),
 * FLATPEAK_SIMULATOR_WEBHOOK_URL (deliver each new event, signed, to this loopback URL).
 */
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, startSimulator } from "./server";

async function main(): Promise<void> {
  const port = Number(process.env.FLATPEAK_SIMULATOR_PORT ?? 8787);
  const generateEvents = process.env.FLATPEAK_SIMULATOR_GENERATE_EVENTS === "1";
  const autoCreate = process.env.FLATPEAK_SIMULATOR_AUTO_CREATE_MS;
  const autoCreateEveryMs = autoCreate ? Number(autoCreate) : undefined;
  const webhookUrl = process.env.FLATPEAK_SIMULATOR_WEBHOOK_URL || undefined;
  const simulator = await startSimulator({ port, generateEvents, autoCreateEveryMs, webhookUrl });
  console.log(`Flatpeak simulator on ${simulator.url}`);
  console.log(`  account ID: ${SIMULATOR_ACCOUNT_ID}`);
  console.log(`  API key:    ${SIMULATOR_API_KEY}`);
  console.log(`  signing keys: ${simulator.url}/jwks.json`);
  if (autoCreateEveryMs) console.log(`  a new event every ${autoCreateEveryMs} ms`);
  if (webhookUrl) console.log(`  webhooks to ${webhookUrl}`);
  console.log(`  faults:     curl -X POST ${simulator.url}/_simulator/faults -d '{"route":"event","kind":"status","status":503,"times":1}'`);
  console.log(`  new event:  curl -X POST ${simulator.url}/_simulator/events -d '{"type":"device.update"}'`);
  console.log(`  webhooks:   curl -X POST ${simulator.url}/_simulator/webhook-target -d '{"url":"http://127.0.0.1:1880/flatpeak"}'`);
  console.log(`  rotate key: curl -X POST ${simulator.url}/_simulator/rotate-key`);
  const stop = (): void => void simulator.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
