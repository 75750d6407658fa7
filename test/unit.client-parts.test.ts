import should from "should";
import { checkBaseUrl, isLoopbackHost } from "../nodes/lib/client/base-url";
import { sanitizeServerText, readErrorBody } from "../nodes/lib/client/errors";
import { parseRetryAfter } from "../nodes/lib/client/http";
import { fillPlaceholders, createTranslator } from "../nodes/lib/i18n";
import { TokenManager } from "../nodes/lib/client/tokens";

describe("client parts (pure)", function () {
  describe("checkBaseUrl", function () {
    it("accepts https and loopback http, and drops a trailing slash", function () {
      checkBaseUrl(undefined).should.eql({ ok: true, url: "https://api.flatpeak.com" });
      checkBaseUrl("  ").should.eql({ ok: true, url: "https://api.flatpeak.com" });
      checkBaseUrl("https://api.flatpeak.com/").should.eql({ ok: true, url: "https://api.flatpeak.com" });
      checkBaseUrl("https://proxy.example/flatpeak/").should.eql({ ok: true, url: "https://proxy.example/flatpeak" });
      checkBaseUrl("http://localhost:8787").should.eql({ ok: true, url: "http://localhost:8787" });
      checkBaseUrl("http://127.0.0.1:8787").should.eql({ ok: true, url: "http://127.0.0.1:8787" });
      checkBaseUrl("http://127.1.2.3").should.eql({ ok: true, url: "http://127.1.2.3" });
      checkBaseUrl("http://[::1]:8787").should.eql({ ok: true, url: "http://[::1]:8787" });
    });

    it("refuses plain http elsewhere, other schemes, credentials and queries", function () {
      checkBaseUrl("http://api.flatpeak.com").should.eql({ ok: false, problem: "protocol" });
      checkBaseUrl("http://localhost.evil.com").should.eql({ ok: false, problem: "protocol" });
      checkBaseUrl("http://128.0.0.1").should.eql({ ok: false, problem: "protocol" });
      checkBaseUrl("ftp://api.flatpeak.com").should.eql({ ok: false, problem: "protocol" });
      checkBaseUrl("api.flatpeak.com").should.eql({ ok: false, problem: "invalid" });
      checkBaseUrl("https://u:p@api.flatpeak.com").should.eql({ ok: false, problem: "credentials" });
      checkBaseUrl("https://api.flatpeak.com?x=1").should.eql({ ok: false, problem: "query" });
    });

    it("recognises loopback hosts only", function () {
      isLoopbackHost("LOCALHOST").should.be.true();
      isLoopbackHost("127.255.255.254").should.be.true();
      isLoopbackHost("10.0.0.1").should.be.false();
      isLoopbackHost("[::2]").should.be.false();
    });
  });

  describe("parseRetryAfter", function () {
    it("reads seconds and HTTP dates, and ignores anything else", function () {
      const now = Date.parse("2026-01-01T00:00:00Z");
      should(parseRetryAfter(undefined, now)).be.undefined();
      parseRetryAfter("120", now)!.should.equal(120);
      parseRetryAfter(" 0 ", now)!.should.equal(0);
      parseRetryAfter("Thu, 01 Jan 2026 00:01:30 GMT", now)!.should.equal(90);
      parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)!.should.equal(0);
      should(parseRetryAfter("soon", now)).be.undefined();
      should(parseRetryAfter("-5", now)).be.undefined();
    });
  });

  describe("server texts", function () {
    it("masks secrets, drops control characters and caps the length", function () {
      sanitizeServerText("key sk_secret_1 and sk_secret_1\n\u0007end", ["sk_secret_1"]).should.equal("key *** and *** end");
      sanitizeServerText("x".repeat(300), []).should.have.length(201);
      sanitizeServerText("abc", ["a"]).should.equal("abc"); // too short to be a secret: never mask single letters
    });

    it("reads both documented error body shapes", function () {
      readErrorBody({ object: "error", type: "invalid_request", code: "account_disabled", message: "Disabled" }).should.eql({ code: "account_disabled", message: "Disabled" });
      readErrorBody({ message: "Not Found" }).should.eql({ code: undefined, message: "Not Found" });
      readErrorBody({ code: 5, message: "" }).should.eql({ code: undefined, message: undefined });
      readErrorBody(["x"]).should.eql({});
      readErrorBody(undefined).should.eql({});
    });
  });

  describe("translations", function () {
    it("fills __placeholders__ and leaves unknown ones", function () {
      fillPlaceholders("a __x__ b __y__", { x: 1 }).should.equal("a 1 b __y__");
    });

    it("falls back to the bundled English text when the runtime has none", function () {
      const t = createTranslator((key) => key, "flatpeak-event");
      t("status.fetching").should.equal("fetching…");
      t("errors.received.number", { value: 3 }).should.equal("the number 3");
      t("no.such.key").should.equal("no.such.key");
    });

    it("uses the runtime's text when it has one", function () {
      const t = createTranslator((key) => (key.endsWith("status.fetching") ? "lädt…" : key), "flatpeak-event");
      t("status.fetching").should.equal("lädt…");
      t("status.noConfig").should.equal("no config node");
    });
  });

  describe("TokenManager", function () {
    function manager(options: { lifetime?: number; initialToken?: string; withLogin?: boolean } = {}) {
      let now = 1_000_000;
      let issued = 0;
      const logins: Array<(value: { token: string; expiresInSeconds?: number }) => void> = [];
      const tokens = new TokenManager({
        login:
          options.withLogin === false
            ? undefined
            : () =>
                new Promise((resolve) => {
                  logins.push(resolve);
                }),
        initialToken: options.initialToken,
        cancelled: () => new Error("cancelled"),
        noCredentials: () => new Error("no credentials"),
        now: () => now,
      });
      return {
        tokens,
        logins,
        finishLogin: () => logins.shift()!({ token: `token-${++issued}`, expiresInSeconds: options.lifetime }),
        advance: (ms: number) => (now += ms),
      };
    }

    it("shares one login between concurrent callers", async function () {
      const m = manager({ lifetime: 3600 });
      const waiting = [m.tokens.get(), m.tokens.get(), m.tokens.get()];
      m.logins.should.have.length(1);
      m.finishLogin();
      (await Promise.all(waiting)).should.eql(["token-1", "token-1", "token-1"]);
      m.tokens.loginCount.should.equal(1);
    });

    it("renews 60 s before expiry, or at 90% of a short lifetime", async function () {
      const long = manager({ lifetime: 3600 });
      const first = long.tokens.get();
      long.finishLogin();
      await first;
      long.advance(3539_000);
      (await long.tokens.get()).should.equal("token-1");
      long.advance(2_000);
      const renewed = long.tokens.get();
      long.logins.should.have.length(1);
      long.finishLogin();
      (await renewed).should.equal("token-2");

      const short = manager({ lifetime: 10 });
      const a = short.tokens.get();
      short.finishLogin();
      await a;
      short.advance(8_900);
      (await short.tokens.get()).should.equal("token-1");
      short.advance(200);
      void short.tokens.get();
      short.logins.should.have.length(1);
    });

    it("keeps a token without expires_in until it is rejected", async function () {
      const m = manager({ lifetime: undefined });
      const first = m.tokens.get();
      m.finishLogin();
      await first;
      m.advance(365 * 24 * 3600 * 1000);
      (await m.tokens.get()).should.equal("token-1");
      m.tokens.reject("token-1");
      void m.tokens.get();
      m.logins.should.have.length(1);
    });

    it("ignores the rejection of a token that was already replaced", async function () {
      const m = manager({ lifetime: 3600 });
      const first = m.tokens.get();
      m.finishLogin();
      await first;
      m.tokens.reject("token-0-old");
      (await m.tokens.get()).should.equal("token-1");
      m.logins.should.have.length(0);
    });

    it("lets one waiter give up without failing the shared login", async function () {
      const m = manager({ lifetime: 3600 });
      const controller = new AbortController();
      const impatient = m.tokens.get(controller.signal);
      const patient = m.tokens.get();
      controller.abort();
      await impatient.should.be.rejectedWith("cancelled");
      m.finishLogin();
      (await patient).should.equal("token-1");
    });

    it("uses a given token without logging in, and fails when there is none and no login", async function () {
      const given = manager({ initialToken: "given", withLogin: false });
      (await given.tokens.get()).should.equal("given");
      given.tokens.canLogin.should.be.false();
      given.tokens.reject("given");
      await given.tokens.get().should.be.rejectedWith("no credentials");
    });
  });
});
