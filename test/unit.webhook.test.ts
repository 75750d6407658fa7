import should from "should";
import { constants, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import {
  checkTimestamp,
  parseSignatureHeaders,
  verifySignature,
  SIGNATURE_BYTES,
  type SignatureHeaders,
  type WebhookHeaders,
} from "../nodes/lib/webhook/signature";
import { parseJwks, SigningKeyCache, type KeyLookup } from "../nodes/lib/webhook/keys";
import { RecentIds } from "../nodes/lib/webhook/replay";
import { MAX_WEBHOOK_BODY_BYTES, readDeliveredEvent } from "../nodes/lib/webhook/delivery";

/** RSA-2048 key pairs are slow to make: two for the whole file. */
const signer = generateKeyPairSync("rsa", { modulusLength: 2048 });
const otherSigner = generateKeyPairSync("rsa", { modulusLength: 2048 });

function signDelivery(timestamp: string, body: Buffer, privateKey: KeyObject = signer.privateKey, saltLength = 32): Buffer {
  return sign("sha256", Buffer.concat([Buffer.from(`${timestamp}.`), body]), {
    key: privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength,
  });
}

function jwk(publicKey: KeyObject, kid: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...publicKey.export({ format: "jwk" }), kid, use: "sig", alg: "PS256", ...extra };
}

const validSignature = `v1=${Buffer.alloc(SIGNATURE_BYTES, 7).toString("base64url")}`;

function headers(overrides: WebhookHeaders = {}): WebhookHeaders {
  return { "flatpeak-signature": validSignature, "flatpeak-timestamp": "1700000000", "flatpeak-key-id": "wsk_live_abc", ...overrides };
}

function refusal(result: SignatureHeaders): string | undefined {
  return result.ok ? undefined : result.reason;
}

/** A JWKS fetch the test answers by hand. */
class ManualJwks {
  calls = 0;
  signals: Array<AbortSignal | undefined> = [];
  private pending: Array<{ resolve: (body: unknown) => void; reject: (err: Error) => void }> = [];
  fetch = (signal?: AbortSignal): Promise<unknown> => {
    this.calls += 1;
    this.signals.push(signal);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  };
  answer(body: unknown): void {
    this.pending.shift()!.resolve(body);
  }
  fail(err = new Error("ECONNREFUSED")): void {
    this.pending.shift()!.reject(err);
  }
}

/** Lets queued promise callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("webhook (pure)", function () {
  describe("parseSignatureHeaders", function () {
    it("reads a signed delivery", function () {
      const result = parseSignatureHeaders(headers());
      should(result.ok).be.true();
      if (!result.ok || result.kind !== "signed") throw new Error("expected signed");
      result.signature.should.eql(Buffer.alloc(SIGNATURE_BYTES, 7));
      result.timestamp.should.equal(1700000000);
      result.timestampText.should.equal("1700000000");
      result.keyId.should.equal("wsk_live_abc");
    });

    it("recognises an unsigned delivery (Flatpeak-Signature: none) without timestamp or key ID", function () {
      parseSignatureHeaders({ "flatpeak-signature": "none" }).should.eql({ ok: true, kind: "unsigned" });
    });

    it("refuses a missing signature, including an empty one or an empty array", function () {
      for (const value of [undefined, "", []]) {
        should(refusal(parseSignatureHeaders(headers({ "flatpeak-signature": value })))).equal("missing-signature");
      }
      should(refusal(parseSignatureHeaders({}))).equal("missing-signature");
    });

    it("refuses signatures that are not v1= plus strict unpadded base64url of 256 bytes", function () {
      const body = Buffer.alloc(SIGNATURE_BYTES, 7).toString("base64url");
      const bad = [
        body, // no scheme
        `v2=${body}`,
        `V1=${body}`,
        `v1=${Buffer.alloc(SIGNATURE_BYTES, 7).toString("base64")}==`, // padded standard base64
        `v1=${body}==`,
        `v1=${body.slice(0, -1)}+`, // standard alphabet
        `v1=${body.slice(0, -1)}/`,
        `v1=${body.slice(0, 100)} ${body.slice(101)}`,
        `v1=${Buffer.alloc(255, 7).toString("base64url")}`, // too short
        `v1=${Buffer.alloc(257, 7).toString("base64url")}`, // too long
        `v1=${Buffer.alloc(512, 7).toString("base64url")}`, // RSA-4096 length
        `v1=${body}, v1=${body}`, // Node's join of a repeated header
        "v1=",
        "none ",
        "None",
      ];
      for (const value of bad) should(refusal(parseSignatureHeaders(headers({ "flatpeak-signature": value })))).equal("malformed-signature", value);
    });

    it("refuses a second spelling of the same bytes (non-zero trailing bits)", function () {
      const canonical = Buffer.alloc(SIGNATURE_BYTES, 7).toString("base64url");
      // 256 bytes leave 4 unused bits in the last character: the next letter differs only in those bits.
      const last = canonical.at(-1)!;
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      const index = alphabet.indexOf(last);
      const variant = canonical.slice(0, -1) + alphabet[index + 1];
      Buffer.from(variant, "base64url").should.eql(Buffer.from(canonical, "base64url"));
      should(refusal(parseSignatureHeaders(headers({ "flatpeak-signature": `v1=${variant}` })))).equal("malformed-signature");
    });

    it("takes a repeated header with one distinct value, refuses one with several", function () {
      should(parseSignatureHeaders(headers({ "flatpeak-signature": [validSignature, validSignature] })).ok).be.true();
      should(parseSignatureHeaders(headers({ "flatpeak-key-id": ["wsk_1"] })).ok).be.true();
      const other = `v1=${Buffer.alloc(SIGNATURE_BYTES, 8).toString("base64url")}`;
      should(refusal(parseSignatureHeaders(headers({ "flatpeak-signature": [validSignature, other] })))).equal("malformed-signature");
      should(refusal(parseSignatureHeaders(headers({ "flatpeak-timestamp": ["1700000000", "1700000001"] })))).equal("malformed-timestamp");
      should(refusal(parseSignatureHeaders(headers({ "flatpeak-key-id": ["wsk_1", "wsk_2"] })))).equal("malformed-key-id");
      should(refusal(parseSignatureHeaders(headers({ "flatpeak-signature": ["none", validSignature] })))).equal("malformed-signature");
    });

    it("refuses a missing or malformed timestamp", function () {
      should(refusal(parseSignatureHeaders(headers({ "flatpeak-timestamp": undefined })))).equal("missing-timestamp");
      should(refusal(parseSignatureHeaders(headers({ "flatpeak-timestamp": "" })))).equal("missing-timestamp");
      for (const value of ["-1700000000", "+1700000000", "1700000000.5", "1.7e9", " 1700000000", "0x10", "１７", "abc", "9007199254740993", "99999999999999999"]) {
        should(refusal(parseSignatureHeaders(headers({ "flatpeak-timestamp": value })))).equal("malformed-timestamp", value);
      }
    });

    it("keeps the timestamp text as received, since that is what was signed", function () {
      const result = parseSignatureHeaders(headers({ "flatpeak-timestamp": "01700000000" }));
      if (!result.ok || result.kind !== "signed") throw new Error("expected signed");
      result.timestamp.should.equal(1700000000);
      result.timestampText.should.equal("01700000000");
    });

    it("refuses a missing or malformed key ID", function () {
      should(refusal(parseSignatureHeaders(headers({ "flatpeak-key-id": undefined })))).equal("missing-key-id");
      for (const value of ["wsk live", "wsk_\u00e9", "wsk_\n1", "wsk_\u0000", "k".repeat(129)]) {
        should(refusal(parseSignatureHeaders(headers({ "flatpeak-key-id": value })))).equal("malformed-key-id", value);
      }
      should(parseSignatureHeaders(headers({ "flatpeak-key-id": "k".repeat(128) })).ok).be.true();
    });

    it("checks the signature before the timestamp and the timestamp before the key ID", function () {
      should(refusal(parseSignatureHeaders({ "flatpeak-signature": "x" }))).equal("malformed-signature");
      should(refusal(parseSignatureHeaders({ "flatpeak-signature": validSignature }))).equal("missing-timestamp");
      should(refusal(parseSignatureHeaders({ "flatpeak-signature": validSignature, "flatpeak-timestamp": "1" }))).equal("missing-key-id");
    });
  });

  describe("checkTimestamp", function () {
    it("accepts a timestamp within the tolerance either way, edges included", function () {
      checkTimestamp(1000, 1000, 300).should.eql({ ok: true });
      checkTimestamp(700, 1000, 300).should.eql({ ok: true });
      checkTimestamp(1300, 1000, 300).should.eql({ ok: true });
    });

    it("refuses one too old as stale and one too far ahead as future", function () {
      checkTimestamp(699, 1000, 300).should.eql({ ok: false, reason: "stale" });
      checkTimestamp(1301, 1000, 300).should.eql({ ok: false, reason: "future" });
      checkTimestamp(700, 999.5, 300).should.eql({ ok: true });
      checkTimestamp(700, 1000.5, 300).should.eql({ ok: false, reason: "stale" });
    });

    it("treats a nonsensical tolerance as 0 rather than accepting everything", function () {
      checkTimestamp(999, 1000, Number.NaN).should.eql({ ok: false, reason: "stale" });
      checkTimestamp(1001, 1000, -5).should.eql({ ok: false, reason: "future" });
      checkTimestamp(1000, 1000, Number.NaN).should.eql({ ok: true });
      checkTimestamp(0, Number.NaN, 300).ok.should.be.false();
    });
  });

  describe("verifySignature", function () {
    const body = Buffer.from('{"id":"evt_1","object":"event","type":"device.update","data":{"x":"é"}}');
    const timestamp = "1700000000";

    it("accepts a real RSASSA-PSS signature over timestamp, dot and raw body", function () {
      verifySignature(signer.publicKey, timestamp, body, signDelivery(timestamp, body)).should.be.true();
    });

    it("accepts a signature that went through the header round trip", function () {
      const header = `v1=${signDelivery(timestamp, body).toString("base64url")}`;
      const parsed = parseSignatureHeaders({ "flatpeak-signature": header, "flatpeak-timestamp": timestamp, "flatpeak-key-id": "k" });
      if (!parsed.ok || parsed.kind !== "signed") throw new Error("expected signed");
      verifySignature(signer.publicKey, parsed.timestampText, body, parsed.signature).should.be.true();
    });

    it("refuses a tampered body, a re-serialised body, another timestamp and another key", function () {
      const signature = signDelivery(timestamp, body);
      const tampered = Buffer.from(body);
      tampered[tampered.length - 3] ^= 1;
      verifySignature(signer.publicKey, timestamp, tampered, signature).should.be.false();
      verifySignature(signer.publicKey, timestamp, Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1)), signature).should.be.false();
      verifySignature(signer.publicKey, "1700000001", body, signature).should.be.false();
      verifySignature(otherSigner.publicKey, timestamp, body, signature).should.be.false();
    });

    it("refuses a signature made with another salt length or PKCS#1 v1.5", function () {
      verifySignature(signer.publicKey, timestamp, body, signDelivery(timestamp, body, signer.privateKey, 20)).should.be.false();
      verifySignature(signer.publicKey, timestamp, body, signDelivery(timestamp, body, signer.privateKey, 64)).should.be.false();
      verifySignature(signer.publicKey, timestamp, body, sign("sha256", Buffer.concat([Buffer.from(`${timestamp}.`), body]), signer.privateKey)).should.be.false();
    });

    it("never throws: garbage signatures and a key of the wrong type are false", function () {
      const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
      verifySignature(signer.publicKey, timestamp, body, Buffer.alloc(0)).should.be.false();
      verifySignature(signer.publicKey, timestamp, body, Buffer.alloc(SIGNATURE_BYTES, 0xff)).should.be.false();
      verifySignature(ec.publicKey, timestamp, body, signDelivery(timestamp, body)).should.be.false();
      verifySignature(null as never, timestamp, body, signDelivery(timestamp, body)).should.be.false();
    });
  });

  describe("parseJwks", function () {
    it("keeps RSA signing keys that import, skipping everything else", function () {
      const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const weak = generateKeyPairSync("rsa", { modulusLength: 1024 });
      const keys = parseJwks({
        keys: [
          jwk(signer.publicKey, "good"),
          jwk(otherSigner.publicKey, "no-use", { use: undefined }),
          jwk(otherSigner.publicKey, "enc", { use: "enc" }),
          { ...ec.publicKey.export({ format: "jwk" }), kid: "ec" },
          jwk(weak.publicKey, "weak"),
          jwk(signer.publicKey, "broken", { n: "!!!" }),
          jwk(signer.publicKey, "", {}),
          { kty: "RSA", kid: 5, n: "x", e: "AQAB" },
          null,
          "text",
          [1],
          jwk(otherSigner.publicKey, "good"), // a repeated kid keeps the first
        ],
      });
      [...keys.keys()].should.eql(["good", "no-use"]);
      keys.get("good")!.equals(signer.publicKey).should.be.true();
    });

    it("builds a public key even from an entry that carries private members", function () {
      const keys = parseJwks({ keys: [{ ...signer.privateKey.export({ format: "jwk" }), kid: "priv" }] });
      keys.get("priv")!.type.should.equal("public");
    });

    it("bounds how many keys are kept", function () {
      const entries = Array.from({ length: 30 }, (_, i) => jwk(signer.publicKey, `k${i}`));
      parseJwks({ keys: entries }).size.should.equal(20);
      parseJwks({ keys: entries }, 3).size.should.equal(3);
    });

    it("refuses a body that is not { keys: [...] }", function () {
      for (const body of [null, undefined, "x", [], {}, { keys: {} }, { keys: "a" }]) {
        (() => parseJwks(body)).should.throw({ name: "InvalidJwksError" });
      }
      parseJwks({ keys: [] }).size.should.equal(0);
    });
  });

  describe("SigningKeyCache", function () {
    let time: number;
    let jwks: ManualJwks;
    let cache: SigningKeyCache;
    const setA = { keys: [jwk(signer.publicKey, "a")] };
    const setAB = { keys: [jwk(signer.publicKey, "a"), jwk(otherSigner.publicKey, "b")] };

    beforeEach(function () {
      time = 1_000;
      jwks = new ManualJwks();
      cache = new SigningKeyCache({ fetchJwks: jwks.fetch, now: () => time, refetchIntervalMs: 10_000 });
    });

    async function lookup(kid: string, answer?: () => void): Promise<KeyLookup> {
      const pending = cache.getKey(kid);
      await settle();
      answer?.();
      return pending;
    }

    it("fetches once for 50 concurrent first lookups", async function () {
      const lookups = Array.from({ length: 50 }, (_, i) => cache.getKey(i % 2 ? "a" : "zzz"));
      await settle();
      jwks.calls.should.equal(1);
      jwks.answer(setA);
      const results = await Promise.all(lookups);
      results.filter((r) => r.ok).length.should.equal(25);
      results.filter((r) => !r.ok && r.reason === "unknown-key").length.should.equal(25);
      jwks.calls.should.equal(1);
    });

    it("serves a known key from the cache without fetching", async function () {
      (await lookup("a", () => jwks.answer(setA))).ok.should.be.true();
      time += 60_000;
      (await cache.getKey("a")).should.have.property("ok", true);
      jwks.calls.should.equal(1);
    });

    it("refetches for an unknown key at most once per interval", async function () {
      await lookup("a", () => jwks.answer(setA));
      time += 30_000;
      (await lookup("random", () => jwks.answer(setA))).should.eql({ ok: false, reason: "unknown-key" });
      jwks.calls.should.equal(2);
      for (let i = 0; i < 100; i += 1) {
        time += 99;
        (await cache.getKey(`random${i}`)).should.eql({ ok: false, reason: "unknown-key" });
      }
      jwks.calls.should.equal(2);
      time += 100;
      (await lookup("random-again", () => jwks.answer(setA))).should.eql({ ok: false, reason: "unknown-key" });
      jwks.calls.should.equal(3);
    });

    it("picks up a rotated key once the interval has passed", async function () {
      await lookup("a", () => jwks.answer(setA));
      // Flatpeak rotates; the first delivery signed with "b" arrives 2 s after our fetch.
      time += 2_000;
      (await cache.getKey("b")).should.eql({ ok: false, reason: "unknown-key" });
      jwks.calls.should.equal(1);
      time += 8_000;
      const rotated = await lookup("b", () => jwks.answer({ keys: [jwk(otherSigner.publicKey, "b")] }));
      rotated.ok.should.be.true();
      if (rotated.ok) rotated.key.equals(otherSigner.publicKey).should.be.true();
      // The new set replaces the old one: a withdrawn key is no longer known.
      time += 10_000;
      (await lookup("a", () => jwks.answer({ keys: [jwk(otherSigner.publicKey, "b")] }))).should.eql({ ok: false, reason: "unknown-key" });
    });

    it("answers keys-unavailable when the fetch fails, without hammering, and recovers after the interval", async function () {
      const outage = new Error("ECONNREFUSED");
      const failed = await lookup("a", () => jwks.fail(outage));
      failed.should.eql({ ok: false, reason: "keys-unavailable", error: outage });
      time += 9_999;
      (await cache.getKey("a")).should.eql({ ok: false, reason: "keys-unavailable", error: outage });
      jwks.calls.should.equal(1);
      time += 1;
      (await lookup("a", () => jwks.answer(setA))).ok.should.be.true();
      jwks.calls.should.equal(2);
      // Recovered: within the interval an unknown key is unknown again, not unavailable.
      (await cache.getKey("zzz")).should.eql({ ok: false, reason: "unknown-key" });
    });

    it("answers keys-unavailable for a body that is not a JWKS", async function () {
      const result = await lookup("a", () => jwks.answer({ data: [] }));
      result.ok.should.be.false();
      if (!result.ok) {
        result.reason.should.equal("keys-unavailable");
        should(result.error).have.property("name", "InvalidJwksError");
      }
    });

    it("answers keys-unavailable when fetchJwks throws synchronously", async function () {
      const boom = new Error("sync");
      const throwing = new SigningKeyCache({
        fetchJwks: () => {
          throw boom;
        },
        now: () => time,
      });
      (await throwing.getKey("a")).should.eql({ ok: false, reason: "keys-unavailable", error: boom });
    });

    it("keeps the last good set when a refetch fails", async function () {
      await lookup("a", () => jwks.answer(setAB));
      time += 10_000;
      const outage = new Error("503");
      (await lookup("c", () => jwks.fail(outage))).should.eql({ ok: false, reason: "keys-unavailable", error: outage });
      (await cache.getKey("a")).ok.should.be.true();
      (await cache.getKey("b")).ok.should.be.true();
      // Within the interval after the failure, an unknown key may exist: unavailable, not unknown.
      (await cache.getKey("c")).should.have.property("reason", "keys-unavailable");
      jwks.calls.should.equal(2);
    });

    it("refetches a set older than maxAgeMs and keeps using it if that fails", async function () {
      cache = new SigningKeyCache({ fetchJwks: jwks.fetch, now: () => time, maxAgeMs: 60_000 });
      await lookup("a", () => jwks.answer(setA));
      time += 60_000;
      (await lookup("a", () => jwks.fail())).ok.should.be.true();
      jwks.calls.should.equal(2);
      time += 10_000;
      (await lookup("a", () => jwks.answer({ keys: [] }))).should.eql({ ok: false, reason: "unknown-key" });
    });

    it("lets one caller leave on its signal while the others still get the key", async function () {
      const leaving = new AbortController();
      const first = cache.getKey("a", leaving.signal);
      const second = cache.getKey("a");
      await settle();
      leaving.abort();
      const left = await first;
      left.should.have.property("reason", "keys-unavailable");
      jwks.signals[0]!.aborted.should.be.false();
      jwks.answer(setA);
      (await second).ok.should.be.true();
      jwks.calls.should.equal(1);
    });

    it("cancels the fetch when every caller left, without counting it against the rate limit", async function () {
      const leaving = new AbortController();
      const first = cache.getKey("a", leaving.signal);
      await settle();
      leaving.abort();
      (await first).ok.should.be.false();
      jwks.signals[0]!.aborted.should.be.true();
      jwks.fail(new Error("aborted"));
      (await lookup("a", () => jwks.answer(setA))).ok.should.be.true();
      jwks.calls.should.equal(2);
    });

    it("answers at once for a signal already aborted", async function () {
      const aborted = AbortSignal.abort();
      (await cache.getKey("a", aborted)).should.have.property("reason", "keys-unavailable");
      jwks.calls.should.equal(0);
    });
  });

  describe("RecentIds", function () {
    it("remembers IDs and drops the oldest beyond its bound", function () {
      const recent = new RecentIds(3);
      for (const id of ["evt_1", "evt_2", "evt_3", "evt_4"]) recent.add(id);
      recent.has("evt_1").should.be.false();
      recent.has("evt_4").should.be.true();
      recent.toJSON().should.eql(["evt_2", "evt_3", "evt_4"]);
    });

    it("moves an ID added again to the newest place", function () {
      const recent = new RecentIds(3);
      for (const id of ["evt_1", "evt_2", "evt_3", "evt_1", "evt_4"]) recent.add(id);
      recent.toJSON().should.eql(["evt_3", "evt_1", "evt_4"]);
    });

    it("defaults to 1000 and survives a JSON round trip", function () {
      const recent = new RecentIds();
      for (let i = 0; i < 1200; i += 1) recent.add(`evt_${i}`);
      recent.size.should.equal(1000);
      const restored = RecentIds.from(JSON.parse(JSON.stringify(recent)), 1000);
      restored.toJSON().should.eql(recent.toJSON());
      restored.has("evt_199").should.be.false();
      restored.has("evt_200").should.be.true();
    });

    it("from() ignores garbage and keeps the newest when the stored list is over the bound", function () {
      for (const value of [undefined, null, "evt_1", 5, { 0: "evt_1" }]) RecentIds.from(value).size.should.equal(0);
      RecentIds.from(["evt_1", 2, null, "", { id: "x" }, "x".repeat(200), "evt_2"]).toJSON().should.eql(["evt_1", "evt_2"]);
      RecentIds.from(["evt_1", "evt_2", "evt_3"], 2).toJSON().should.eql(["evt_2", "evt_3"]);
      new RecentIds(0).max.should.equal(1000);
      new RecentIds(Number.NaN).max.should.equal(1000);
    });
  });

  describe("readDeliveredEvent", function () {
    const read = (text: string | Buffer): ReturnType<typeof readDeliveredEvent> => readDeliveredEvent(Buffer.isBuffer(text) ? text : Buffer.from(text));

    it("reads an event, with or without object: event", function () {
      const event = { id: "evt_65e42b7827c0526548432b9f", object: "event", type: "device.update", data: { id: "dev_1" } };
      read(JSON.stringify(event)).should.eql({ ok: true, event });
      read('{"id":"evt_1","type":"tariff.expiring"}').should.eql({ ok: true, event: { id: "evt_1", type: "tariff.expiring" } });
    });

    it("says not-json for a body that does not parse, including invalid UTF-8", function () {
      for (const text of ["", "{", "evt_1", "{'id':1}"]) read(text).should.eql({ ok: false, reason: "not-json" });
      read(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])).should.eql({ ok: false, reason: "not-json" });
    });

    it("says not-event for JSON that is not a Flatpeak event", function () {
      const bad = [
        "null",
        "[]",
        '"evt_1"',
        "{}",
        '{"id":"evt_1"}',
        '{"id":"evt_1","type":""}',
        '{"id":"evt_1","type":5}',
        '{"id":"dev_1","type":"device.update"}',
        '{"id":"evt_","type":"device.update"}',
        `{"id":"evt_${"a".repeat(65)}","type":"device.update"}`,
        '{"id":"evt_1","type":"device.update","object":"list"}',
        '[{"id":"evt_1","type":"device.update"}]',
      ];
      for (const text of bad) read(text).should.eql({ ok: false, reason: "not-event" }, text);
    });

    it("sets the body limit at 1 MiB", function () {
      MAX_WEBHOOK_BODY_BYTES.should.equal(1048576);
    });
  });
});
