import should from "should";
import { checkBaseUrl, isLoopbackHost } from "../nodes/lib/client/base-url";
import { CancelledError } from "../nodes/lib/client/abort";
import { readErrorBody } from "../nodes/lib/client/errors";
import { FlatpeakRequester } from "../nodes/lib/client/requester";
import { maskText } from "../nodes/lib/client/secrets";
import { parseRetryAfter } from "../nodes/lib/client/http";
import { fillPlaceholders, createTranslator, type CatalogKey } from "../nodes/lib/i18n";
import { LOGIN_REFUSAL_COOLDOWN_MS, TokenManager } from "../nodes/lib/client/tokens";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, startSimulator, type Simulator } from "../simulator/server";

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
      maskText("key sk_secret_1 and sk_secret_1\n\u0007end", ["sk_secret_1"]).should.equal("key *** and *** end");
      maskText("x".repeat(300), []).should.have.length(201);
      maskText("abc", ["a"]).should.equal("abc"); // too short to be a secret: never mask single letters
    });

    it("masks after stripping control characters, and a longer secret before one it contains", function () {
      maskText("echo sk_sec\u0000ret_1 here", ["sk_secret_1"]).should.equal("echo *** here");
      maskText("Basic YWNjOnNr and YWNj", ["YWNj", "YWNjOnNr"]).should.equal("Basic *** and ***");
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
      // A key en-US lacks, on purpose: the compiler would refuse it otherwise.
      t("no.such.key" as CatalogKey<"flatpeak-event">).should.equal("no.such.key");
    });

    it("uses the runtime's text when it has one", function () {
      const t = createTranslator((key) => (key.endsWith("status.fetching") ? "lädt…" : key), "flatpeak-event");
      t("status.fetching").should.equal("lädt…");
      t("status.noConfig").should.equal("no config node");
    });
  });

  describe("TokenManager (against the simulator)", function () {
    let sim: Simulator;
    let now = 1_000_000;
    before(async function () {
      sim = await startSimulator({ tokenLifetimeSeconds: 3600 });
    });
    after(async function () {
      await sim.close();
    });
    beforeEach(function () {
      sim.resetStats();
      sim.clearFaults();
    });

    function manager(credentials: { login?: boolean; initialToken?: string } = {}): { tokens: TokenManager; requester: FlatpeakRequester } {
      const requester = new FlatpeakRequester({
        baseUrl: sim.url,
        timeoutMs: 5000,
        userAgent: "test",
        translate: createTranslator((key) => key, "flatpeak-config"),
        retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 },
        concurrency: 4,
        queueSize: 10,
      });
      const login = credentials.login !== false;
      const tokens = new TokenManager({
        requester,
        accountId: login ? SIMULATOR_ACCOUNT_ID : undefined,
        apiKey: login ? SIMULATOR_API_KEY : undefined,
        initialToken: credentials.initialToken,
        now: () => now,
      });
      return { tokens, requester };
    }

    it("shares one login between concurrent callers and learns live_mode", async function () {
      const { tokens, requester } = manager();
      const got = await Promise.all([tokens.get(), tokens.get(), tokens.get()]);
      new Set(got).size.should.equal(1);
      sim.stats.logins.should.equal(1);
      tokens.liveMode!.should.be.false();
      requester.close();
    });

    it("renews 60 s before a one-hour token expires", async function () {
      const { tokens, requester } = manager();
      const first = await tokens.get();
      now += 3539_000;
      (await tokens.get()).should.equal(first);
      sim.stats.logins.should.equal(1);
      now += 2_000;
      (await tokens.get()).should.not.equal(first);
      sim.stats.logins.should.equal(2);
      requester.close();
    });

    it("logs in again for a refused token once, and not for the token that replaced it until Flatpeak accepted that one", async function () {
      const { tokens, requester } = manager();
      const first = await tokens.get();
      tokens.rejected(first).should.be.true();
      const second = await tokens.get();
      second.should.not.equal(first);
      tokens.rejected(second).should.be.false("a fresh token refused too: the refusal is about the request");
      (await tokens.get()).should.equal(second);
      tokens.accepted(second);
      tokens.rejected(second).should.be.true("once accepted, a later refusal may be an expiry");
      (await tokens.get()).should.not.equal(second);
      sim.stats.logins.should.equal(3);
      requester.close();
    });

    it("ignores the refusal of a token that was already replaced", async function () {
      const { tokens, requester } = manager();
      const current = await tokens.get();
      tokens.rejected("an-older-token").should.be.true();
      (await tokens.get()).should.equal(current);
      sim.stats.logins.should.equal(1);
      requester.close();
    });

    it("holds back every login for the cool-down after Flatpeak refused one", async function () {
      sim.addFault({ route: "login", kind: "status", status: 403, times: 1 });
      const { tokens, requester } = manager();
      await tokens.get().should.be.rejectedWith({ code: "FLATPEAK_AUTH" });
      await tokens.get().should.be.rejectedWith({ code: "FLATPEAK_AUTH" });
      // The one refused login tried both paths: POST /auth/tokens (403), then GET /login (404 on busbar).
      sim.stats.logins.should.equal(2);
      now += LOGIN_REFUSAL_COOLDOWN_MS + 1;
      (await tokens.get()).should.be.a.String();
      sim.stats.logins.should.equal(3);
      requester.close();
    });

    it("lets one waiter give up without failing the shared login", async function () {
      sim.addFault({ route: "login", kind: "slow", delayMs: 200, times: 1 });
      const { tokens, requester } = manager();
      const controller = new AbortController();
      const impatient = tokens.get(controller.signal);
      const patient = tokens.get();
      controller.abort();
      await impatient.should.be.rejectedWith(CancelledError);
      (await patient).should.be.a.String();
      requester.close();
    });

    it("uses a given token without logging in, and fails without any credentials", async function () {
      const given = manager({ login: false, initialToken: "given-token" });
      (await given.tokens.get()).should.equal("given-token");
      given.tokens.canLogin.should.be.false();
      given.tokens.rejected("given-token").should.be.false();
      sim.stats.logins.should.equal(0);
      given.requester.close();
      const none = manager({ login: false });
      await none.tokens.get().should.be.rejectedWith({ code: "FLATPEAK_CONFIG" });
      none.requester.close();
    });
  });
});
