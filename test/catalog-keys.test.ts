/**
 * Every catalog key the code uses exists in the en-US catalogs: a key typed
 * wrong would show the key itself to a person instead of a sentence.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import should from "should";
import { ERROR_CODES } from "../nodes/lib/client/errors";

const ROOT = join(__dirname, "..", "..");
const CATALOGS = readdirSync(join(ROOT, "locales", "en-US"))
  .filter((file) => file.endsWith(".json"))
  .map((file) => JSON.parse(readFileSync(join(ROOT, "locales", "en-US", file), "utf8")) as Record<string, unknown>)
  .map((catalog) => Object.values(catalog)[0] as Record<string, unknown>);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

function lookup(key: string): unknown {
  for (const catalog of CATALOGS) {
    let entry: unknown = catalog;
    for (const part of key.split(".")) entry = typeof entry === "object" && entry !== null ? (entry as Record<string, unknown>)[part] : undefined;
    if (entry !== undefined) return entry;
  }
  return undefined;
}

describe("catalog keys used by the code", function () {
  const sources = sourceFiles(join(ROOT, "nodes")).map((path) => ({ path, text: readFileSync(path, "utf8") }));

  it("finds the code to check", function () {
    sources.length.should.be.above(10);
  });

  it("has every literal t(\"…\") key as a text in some en-US catalog", function () {
    const missing: string[] = [];
    let count = 0;
    for (const { path, text } of sources) {
      for (const match of text.matchAll(/\bt\(\s*"([A-Za-z0-9_.]+)"/g)) {
        count += 1;
        if (typeof lookup(match[1]) !== "string") missing.push(`${path}: ${match[1]}`);
      }
    }
    count.should.be.above(10);
    missing.should.eql([]);
  });

  it("has every messageKey as a text under errors.", function () {
    const missing: string[] = [];
    let count = 0;
    for (const { path, text } of sources) {
      for (const match of text.matchAll(/messageKey: "([A-Za-z0-9_]+)"/g)) {
        count += 1;
        if (typeof lookup(`errors.${match[1]}`) !== "string") missing.push(`${path}: errors.${match[1]}`);
      }
    }
    count.should.be.above(10);
    missing.should.eql([]);
  });

  it("has a group for every t(`prefix.${…}`) key the code builds", function () {
    const missing: string[] = [];
    for (const { path, text } of sources) {
      for (const match of text.matchAll(/\bt\(\s*`([A-Za-z0-9_.]+)\.\$\{/g)) {
        const group = lookup(match[1]);
        if (typeof group !== "object" || group === null) missing.push(`${path}: ${match[1]}`);
      }
    }
    missing.should.eql([]);
  });

  it("has a status text for every kind of failure", function () {
    // The webhook node says "refused (401)" for all of its own kinds, and only the price node meets "no-prices"; the others reach the event node.
    const missing = Object.keys(ERROR_CODES).filter((kind) => !kind.startsWith("webhook-") && kind !== "no-prices" && typeof lookup(`status.error.${kind}`) !== "string");
    missing.should.eql([]);
  });
});

void should;
