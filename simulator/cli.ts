/**
 * `npm run simulator`: runs the Flatpeak simulator in the foreground and prints how to use it.
 * FLATPEAK_SIMULATOR_PORT (default 8787; 0 = any free port), FLATPEAK_SIMULATOR_GENERATE_EVENTS=1
 * (answer every `evt_gen…` ID with a device event, for benchmarks),
 * FLATPEAK_SIMULATOR_AUTO_CREATE_MS (create a new event this often; unset = never),
 * FLATPEAK_SIMULATOR_WEBHOOK_URL (deliver each new event, signed, to this loopback URL),
 * FLATPEAK_SIMULATOR_DIALECT (zero, anode or busbar: the account's API version; default busbar),
 * FLATPEAK_SIMULATOR_ANNOUNCE_VERSION=0 (no Flatpeak-Version header on answers),
 * FLATPEAK_SIMULATOR_TOKEN_FIELD (bearer_token, access_token or token),
 * FLATPEAK_SIMULATOR_GATEWAY=1 (another version's login path answers 403, as a gateway would),
 * FLATPEAK_SIMULATOR_PRICE_ROW_MS (price rows this long, in a repeating pattern, instead of a realistic day).
 */
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, SIMULATOR_LOCATIONS, startSimulator, versionOf, type SimulatorDialect, type TokenField } from "./server";

const DIALECTS: readonly SimulatorDialect[] = ["zero", "anode", "busbar"];
const TOKEN_FIELDS: readonly TokenField[] = ["bearer_token", "access_token", "token"];

function choice<T extends string>(name: string, allowed: readonly T[]): T | undefined {
  const value = process.env[name];
  if (value === undefined || value === "") return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${name} must be one of ${allowed.join(", ")}, not "${value}"`);
  return value as T;
}

async function main(): Promise<void> {
  const port = Number(process.env.FLATPEAK_SIMULATOR_PORT ?? 8787);
  const generateEvents = process.env.FLATPEAK_SIMULATOR_GENERATE_EVENTS === "1";
  const autoCreate = process.env.FLATPEAK_SIMULATOR_AUTO_CREATE_MS;
  const autoCreateEveryMs = autoCreate ? Number(autoCreate) : undefined;
  const webhookUrl = process.env.FLATPEAK_SIMULATOR_WEBHOOK_URL || undefined;
  const dialect = choice("FLATPEAK_SIMULATOR_DIALECT", DIALECTS) ?? "busbar";
  const announceVersion = process.env.FLATPEAK_SIMULATOR_ANNOUNCE_VERSION !== "0";
  const tokenField = choice("FLATPEAK_SIMULATOR_TOKEN_FIELD", TOKEN_FIELDS);
  const missingLoginStatus = process.env.FLATPEAK_SIMULATOR_GATEWAY === "1" ? 403 : 404;
  const rowText = process.env.FLATPEAK_SIMULATOR_PRICE_ROW_MS;
  const priceRowMs = rowText ? Number(rowText) : undefined;
  if (priceRowMs !== undefined && !(Number.isInteger(priceRowMs) && priceRowMs >= 1000)) throw new Error("FLATPEAK_SIMULATOR_PRICE_ROW_MS must be a whole number of at least 1000");
  const simulator = await startSimulator({ port, generateEvents, autoCreateEveryMs, webhookUrl, dialect, announceVersion, tokenField, missingLoginStatus, priceRowMs });
  const login = dialect === "busbar" ? "POST /auth/tokens" : "GET /login";
  console.log(`Flatpeak simulator on ${simulator.url}`);
  console.log(`  API version: ${versionOf(dialect)} (logs in at ${login}${announceVersion ? "" : "; answers name no version"})`);
  console.log(`  account ID: ${SIMULATOR_ACCOUNT_ID}`);
  console.log(`  API key:    ${SIMULATOR_API_KEY}`);
  console.log(`  signing keys: ${simulator.url}/jwks.json`);
  console.log(`  locations:  ${Object.values(SIMULATOR_LOCATIONS).map((location) => location.id).join(", ")}`);
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
