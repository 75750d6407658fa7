import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Looks up a message by key within its node's section (e.g. `errors.notFound`) and fills `__name__` placeholders. */
export type Translator = (key: string, vars?: Record<string, string | number>) => string;

/**
 * The message catalogs: one per node file, as Node-RED registers them. Each
 * file nests its messages under the node type, as the core nodes' catalogs do,
 * so the editor's keys read `flatpeak-event.label.server`.
 */
export type Catalog = "flatpeak-config" | "flatpeak-event" | "flatpeak-watch" | "flatpeak-webhook";

const PACKAGE_NAME = "node-red-contrib-flatpeak";

type Lookup = (key: string, vars?: Record<string, string | number>) => string;

/**
 * A translator for one catalog. It asks Node-RED first (the user's language),
 * and falls back to the bundled English text when Node-RED has no entry: the
 * test helper's `RED._` returns keys unchanged, and a half-translated catalog
 * should still give a readable message rather than a key.
 */
export function createTranslator(runtimeLookup: Lookup, catalog: Catalog): Translator {
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
