/**
 * Translations against the en-US originals: every language folder under
 * locales/ must have the same catalog keys, the same __placeholders__ per
 * string, and help files with the same structure as en-US (and actually
 * translated). Reads the repository's locales/, not the copy in dist/.
 */
import should from "should";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

/** dist/test/locales.test.js → the repository root. */
const ROOT = resolve(__dirname, "..", "..");
const LOCALES = join(ROOT, "locales");
const BASE_LANGUAGE = "en-US";
/** The Node-RED editor's own languages (besides en-US) that we promise to cover. */
const REQUIRED_LANGUAGES = ["de", "fr", "es-ES", "ja", "zh-CN"];
/** One catalog and one help file per node type, named after the type: every node the package registers. */
const NODE_TYPES = Object.keys((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { "node-red": { nodes: Record<string, string> } })["node-red"].nodes);
/** The spec fixes the palette label as a product name. */
/** Node status texts sit under the node on the canvas; keep them short. Wide (CJK) characters count double. */
const MAX_STATUS_WIDTH = 24;
/** As nodes/lib/i18n.ts and Node-RED's i18next config fill them. */
const PLACEHOLDER = /__([A-Za-z0-9_]+?)__/g;
/** Chinese, Japanese and Korean: a line break in the source between two such characters shows as a space. */
const CJK_LANGUAGE = /^(ja|zh|ko)(-|$)/;
const CJK = "[\\u3000-\\u9fff\\uac00-\\ud7a3\\uff00-\\uffef]";
/** Block-level tags: white space next to them is not rendered. */
const BLOCK_TAG = "<\\/?(?:dl|dt|dd|ol|ul|li|p|h[1-6])(?:\\s[^>]*)?>";
const CJK_LINE_BREAK = new RegExp(`${CJK}\\n(?![ \\t]*${BLOCK_TAG})|(?<!${BLOCK_TAG})\\n[ \\t]*${CJK}`);
/** Help elements whose counts must match en-US. */
const HELP_TAGS = ["h3", "h4", "p", "dl", "dt", "dd", "ol", "ul", "li"];

const languages = readdirSync(LOCALES)
  .filter((name) => statSync(join(LOCALES, name)).isDirectory())
  .sort();
const translations = languages.filter((language) => language !== BASE_LANGUAGE);

function readText(language: string, file: string): string {
  return readFileSync(join(LOCALES, language, file), "utf8");
}

function readCatalog(language: string, type: string): unknown {
  const file = join(language, `${type}.json`);
  const text = readText(language, `${type}.json`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`locales/${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every leaf of a catalog by its dotted key path. */
function leaves(value: unknown, prefix = "", into = new Map<string, unknown>()): Map<string, unknown> {
  if (isRecord(value)) {
    for (const [key, child] of Object.entries(value)) leaves(child, prefix ? `${prefix}.${key}` : key, into);
  } else {
    into.set(prefix, value);
  }
  return into;
}

function placeholders(text: string): string[] {
  return [...new Set(Array.from(text.matchAll(PLACEHOLDER), (match) => match[1]))].sort();
}

function difference(a: Iterable<string>, b: Set<string>): string[] {
  return [...a].filter((item) => !b.has(item));
}

/** Display width: characters of the wide East Asian ranges count double. */
function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(char) ? 2 : 1;
  }
  return width;
}

function count(html: string, tag: string): number {
  return (html.match(new RegExp(`<${tag}[\\s>]`, "g")) ?? []).length;
}

/** The text of every element of a kind, tags removed and white space collapsed. */
function texts(html: string, tag: string): string[] {
  const pattern = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, "g");
  return Array.from(html.matchAll(pattern), (match) => plain(match[1]));
}

function plain(html: string): string {
  return html
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

function codeTerms(html: string): Set<string> {
  return new Set(Array.from(html.matchAll(/<code>([\s\S]*?)<\/code>/g), (match) => match[1]));
}

function links(html: string): Set<string> {
  return new Set(Array.from(html.matchAll(/href="([^"]*)"/g), (match) => match[1]));
}

/** Prose of a paragraph or description, without its code terms: what a translator must have translated. */
function prose(html: string): string[] {
  return [...texts(html, "p"), ...texts(html, "dd")];
}

function withoutCode(text: string, html: string): string {
  let rest = text;
  // Longest first: a short term (`prices`) must not cut the end off a longer one (`flatpeak/<location id>/prices`).
  for (const term of [...codeTerms(html)].sort((a, b) => b.length - a.length)) rest = rest.split(plain(term)).join(" ");
  return rest;
}

describe("locales", function () {
  it("has en-US and at least the editor's languages de, fr, es-ES, ja and zh-CN", function () {
    const missing = [BASE_LANGUAGE, ...REQUIRED_LANGUAGES].filter((language) => !languages.includes(language));
    should(missing).eql([], `missing language folders under locales/: ${missing.join(", ")}`);
  });

  it("reads a non-trivial en-US catalog and help for each node type", function () {
    for (const type of NODE_TYPES) {
      leaves(readCatalog(BASE_LANGUAGE, type)).size.should.be.above(10, `en-US/${type}.json has hardly any keys`);
      count(readText(BASE_LANGUAGE, `${type}.html`), "h3").should.be.above(1, `en-US/${type}.html has no sections`);
    }
  });

  for (const language of translations) {
    describe(language, function () {
      for (const type of NODE_TYPES) {
        const file = `${language}/${type}.json`;

        describe(`${type}.json`, function () {
          it("exists", function () {
            existsSync(join(LOCALES, file)).should.be.true(`locales/${file} is missing`);
          });

          it("has exactly the key paths of en-US", function () {
            const base = leaves(readCatalog(BASE_LANGUAGE, type));
            const translated = leaves(readCatalog(language, type));
            const missing = difference(base.keys(), new Set(translated.keys()));
            const extra = difference(translated.keys(), new Set(base.keys()));
            should({ missing, extra }).eql(
              { missing: [], extra: [] },
              `locales/${file}: missing keys: [${missing.join(", ")}]; extra keys: [${extra.join(", ")}]`,
            );
          });

          it("has a non-empty string wherever en-US has a string", function () {
            const translated = leaves(readCatalog(language, type));
            const wrong = [...leaves(readCatalog(BASE_LANGUAGE, type))]
              .filter(([key, value]) => typeof value === "string" && translated.has(key))
              .filter(([key]) => {
                const text = translated.get(key);
                return typeof text !== "string" || text.trim() === "";
              })
              .map(([key]) => key);
            should(wrong).eql([], `locales/${file}: empty or not a string: [${wrong.join(", ")}]`);
          });

          it("keeps every __placeholder__ of en-US, and adds none", function () {
            const translated = leaves(readCatalog(language, type));
            const problems: string[] = [];
            for (const [key, value] of leaves(readCatalog(BASE_LANGUAGE, type))) {
              const text = translated.get(key);
              if (typeof value !== "string" || typeof text !== "string") continue;
              const want = placeholders(value);
              const got = placeholders(text);
              if (want.join() !== got.join()) problems.push(`${key}: expected {${want.join(", ")}}, found {${got.join(", ")}}`);
            }
            should(problems).eql([], `locales/${file}: placeholders differ: ${problems.join("; ")}`);
          });

          if (type !== "flatpeak-config") {
            it(`keeps status texts short (at most ${MAX_STATUS_WIDTH} columns besides placeholders)`, function () {
              const long = [...leaves(readCatalog(language, type))]
                .filter(([key, value]) => key.startsWith(`${type}.status.`) && typeof value === "string")
                .filter(([, value]) => displayWidth((value as string).replace(PLACEHOLDER, "")) > MAX_STATUS_WIDTH)
                .map(([key, value]) => `${key} = "${String(value)}"`);
              should(long).eql([], `locales/${file}: status texts too long: ${long.join("; ")}`);
            });
          }
        });

        describe(`${type}.html`, function () {
          const helpFile = `${language}/${type}.html`;

          it("exists and is wrapped for the node type", function () {
            existsSync(join(LOCALES, helpFile)).should.be.true(`locales/${helpFile} is missing`);
            const html = readText(language, `${type}.html`);
            const opening = `<script type="text/html" data-help-name="${type}">`;
            html.split(opening).length.should.equal(2, `locales/${helpFile} must contain ${opening} exactly once`);
            html.trim().startsWith(opening).should.be.true(`locales/${helpFile} must start with ${opening}`);
            html.trim().endsWith("</script>").should.be.true(`locales/${helpFile} must end with </script>`);
          });

          it("has the structure of en-US (sections, property lists, ports)", function () {
            const base = readText(BASE_LANGUAGE, `${type}.html`);
            const html = readText(language, `${type}.html`);
            const differences = HELP_TAGS.filter((tag) => count(html, tag) !== count(base, tag)).map(
              (tag) => `<${tag}>: ${count(html, tag)} (en-US ${count(base, tag)})`,
            );
            const optional = (text: string): number => (text.match(/<dt class="optional">/g) ?? []).length;
            if (optional(html) !== optional(base)) differences.push(`<dt class="optional">: ${optional(html)} (en-US ${optional(base)})`);
            should(differences).eql([], `locales/${helpFile}: ${differences.join("; ")}`);
          });

          it("keeps every code term and link of en-US", function () {
            const base = readText(BASE_LANGUAGE, `${type}.html`);
            const html = readText(language, `${type}.html`);
            const lostCode = difference(codeTerms(base), codeTerms(html));
            const lostLinks = difference(links(base), links(html));
            const newLinks = difference(links(html), links(base));
            should({ lostCode, lostLinks, newLinks }).eql(
              { lostCode: [], lostLinks: [], newLinks: [] },
              `locales/${helpFile}: code terms missing: [${lostCode.join(", ")}]; links missing: [${lostLinks.join(", ")}]; links added: [${newLinks.join(", ")}]`,
            );
          });

          it("is translated: no paragraph or description left in English", function () {
            const base = readText(BASE_LANGUAGE, `${type}.html`);
            const html = readText(language, `${type}.html`);
            html.should.not.equal(base, `locales/${helpFile} is a copy of en-US`);
            const english = new Set(prose(base));
            const leftovers = prose(html).filter((text) => english.has(text) && /\p{L}{3,}/u.test(withoutCode(text, html)));
            should(leftovers).eql([], `locales/${helpFile}: untranslated text: ${leftovers.map((text) => `"${text}"`).join("; ")}`);
          });

          if (CJK_LANGUAGE.test(language)) {
            it("breaks no line next to a CJK character (the browser would show a stray space)", function () {
              const lines = readText(language, `${type}.html`).split("\n");
              const broken = lines
                .map((line, index) => ({ number: index + 1, pair: `${line}\n${lines[index + 1] ?? ""}` }))
                .filter(({ pair }, index) => index < lines.length - 1 && CJK_LINE_BREAK.test(pair))
                .map(({ number }) => number);
              should(broken).eql([], `locales/${helpFile}: join lines ${broken.join(", ")} with the next one`);
            });
          }
        });
      }
    });
  }
});
