import { readFileSync } from "node:fs";
import { join } from "node:path";
import type ConfigCatalog from "../../locales/en-US/flatpeak-config.json";
import type EventCatalog from "../../locales/en-US/flatpeak-event.json";
import type WatchCatalog from "../../locales/en-US/flatpeak-watch.json";
import type WebhookCatalog from "../../locales/en-US/flatpeak-webhook.json";
import type PriceCatalog from "../../locales/en-US/flatpeak-price.json";
import type PlanCatalog from "../../locales/en-US/flatpeak-plan.json";

/**
 * The message catalogs: one per node file, as Node-RED registers them. Each
 * file nests its messages under the node type, as the core nodes' catalogs do,
 * so the editor's keys read `flatpeak-event.label.server`.
 */
export type Catalog = "flatpeak-config" | "flatpeak-event" | "flatpeak-watch" | "flatpeak-webhook" | "flatpeak-price" | "flatpeak-plan";

/** The en-US catalogs as types (read by the compiler only; nothing is imported at run time). */
interface EnglishCatalogs {
  "flatpeak-config": (typeof ConfigCatalog)["flatpeak-config"];
  "flatpeak-event": (typeof EventCatalog)["flatpeak-event"];
  "flatpeak-watch": (typeof WatchCatalog)["flatpeak-watch"];
  "flatpeak-webhook": (typeof WebhookCatalog)["flatpeak-webhook"];
  "flatpeak-price": (typeof PriceCatalog)["flatpeak-price"];
  "flatpeak-plan": (typeof PlanCatalog)["flatpeak-plan"];
}

/** Every dotted path to a text in a catalog section: `errors.notFound`, `status.error.auth`, … */
type TextPaths<T> = {
  [K in keyof T & string]: T[K] extends string ? K : `${K}.${TextPaths<T[K]>}`;
}[keyof T & string];

/** A key of one catalog: the compiler refuses a key that en-US does not have. */
export type CatalogKey<C extends Catalog> = TextPaths<EnglishCatalogs[C]>;

/** The rest of each key of catalog `C` that starts with `Prefix` (`KeysUnder<"flatpeak-event", "errors.received.">`). */
export type KeysUnder<C extends Catalog, Prefix extends string> = CatalogKey<C> extends infer Key ? (Key extends `${Prefix}${infer Rest}` ? Rest : never) : never;

/** Looks up a message by key within its node's section (e.g. `errors.notFound`) and fills `__name__` placeholders. */
export type Translator<C extends Catalog = Catalog> = (key: CatalogKey<C>, vars?: Record<string, string | number>) => string;

const PACKAGE_NAME = "node-red-contrib-flatpeak";

type Lookup = (key: string, vars?: Record<string, string | number>) => string;

/**
 * A translator for one catalog. It asks Node-RED first (the user's language),
 * and falls back to the bundled English text when Node-RED has no entry: the
 * test helper's `RED._` returns keys unchanged, and a half-translated catalog
 * should still give a readable message rather than a key.
 */
export function createTranslator<C extends Catalog>(runtimeLookup: Lookup, catalog: C): Translator<C> {
  return (key, vars) => {
    const localKey = `${catalog}.${key}`;
    const fullKey = `${PACKAGE_NAME}/${catalog}:${localKey}`;
    const text = runtimeLookup(fullKey, vars);
    // A missing key comes back as the key itself, with or without its namespace.
    if (typeof text === "string" && text !== fullKey && text !== localKey) return text;
    return englishText(catalog, key, vars);
  };
}

const englishCatalogs = new Map<Catalog, unknown>();

/** The bundled en-US text for a key, read once per catalog from `locales/` beside the compiled code. */
function englishText(catalog: Catalog, key: string, vars?: Record<string, string | number>): string {
  if (!englishCatalogs.has(catalog)) {
    englishCatalogs.set(catalog, readCatalog(catalog));
  }
  let entry: unknown = englishCatalogs.get(catalog);
  for (const part of [catalog, ...key.split(".")]) {
    entry = isRecord(entry) ? entry[part] : undefined;
  }
  return typeof entry === "string" ? fillPlaceholders(entry, vars) : key;
}

export function fillPlaceholders(template: string, vars?: Record<string, string | number>): string {
  if (!vars) return template;
  return template.replace(/__([A-Za-z0-9_]+?)__/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole,
  );
}

function readCatalog(catalog: Catalog): unknown {
  try {
    return JSON.parse(readFileSync(join(__dirname, "..", "locales", "en-US", `${catalog}.json`), "utf8"));
  } catch {
    return {};
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
