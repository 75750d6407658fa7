/**
 * Every Flatpeak account logs in, whatever its API version: the login path by
 * version, the token answer's field names, the version Flatpeak's answers
 * name, and the prices request of each version. Node-RED through the test
 * helper, the simulator over loopback, speaking one dialect per test.
 */
import should from "should";
import { dialectOfVersion, loginRoutesFor, priceRequest, PRICE_DIALECT_ORDER, readTokenAnswer, type Dialect } from "../nodes/lib/client/dialects";
import { FlatpeakClient } from "../nodes/lib/client/client";
import { createTranslator } from "../nodes/lib/i18n";
import { SAMPLES } from "../simulator/sample-events";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, SIMULATOR_LOCATIONS, startSimulator, versionOf, type Simulator, type SimulatorOptions } from "../simulator/server";
import flatpeakConfig = require("../nodes/flatpeak-config");
import flatpeakEvent = require("../nodes/flatpeak-event");
import flatpeakWatch = require("../nodes/flatpeak-watch");
import { deploy, helper, hooks, waitFor, SIMULATOR_CREDENTIALS } from "./support/harness";

const FULL = SAMPLES.fullDevice.event;
const DIALECTS: Dialect[] = ["zero", "anode", "busbar"];
const LOGIN_PATH: Record<Dialect, string> = { zero: "/login", anode: "/login", busbar: "/auth/tokens" };

/** The login requests the simulator saw, as `METHOD path status`. */
function logins(sim: Simulator): string[] {
  return sim.stats.requests.filter((r) => r.route === "login").map((r) => `${r.method} ${r.path} ${r.status}`);
}

describe("API versions: the dispatch table (pure)", function () {
  it("tells each version string's dialect, odd ones included", function () {
    const cases: Array<[string | undefined, Dialect | undefined]> = [
      ["2024-08-24.zero", "zero"],
      ["2025-09-14.anode", "anode"],
      ["2025-08-01.anode", "anode"],
      ["2026-08-01.busbar", "busbar"],
      ["busbar", "busbar"],
      ["BUSBAR", "busbar"],
      [" 2026-08-01.busbar ", "busbar"],
      ["2027-01-01.yotta", "busbar"],
      ["yotta", "busbar"],
      ["2027-03-01.zeta", "busbar"],
      ["2024-08-24", "zero"],
      ["2025-10-01", "anode"],
      ["2026-08-01", "busbar"],
      ["2025-01-01.unknown", undefined],
      ["nonsense!", undefined],
      ["", undefined],
      [undefined, undefined],
    ];
    for (const [version, dialect] of cases) should(dialectOfVersion(version)).equal(dialect, `version ${String(version)}`);
  });

  it("logs in at GET /login for zero and anode, at POST /auth/tokens for busbar, later and unknown ones, and tries both when empty", function () {
    const routes = (version: string | undefined): string[] => loginRoutesFor(version).map((route) => route.label);
    routes("2024-08-24.zero").should.eql(["GET /login"]);
    routes("2025-09-14.anode").should.eql(["GET /login"]);
    routes("2024-08-24").should.eql(["GET /login"]);
    routes("2026-08-01.busbar").should.eql(["POST /auth/tokens"]);
    routes("busbar").should.eql(["POST /auth/tokens"]);
    routes("2027-01-01.yotta").should.eql(["POST /auth/tokens"]);
    routes("nonsense!").should.eql(["POST /auth/tokens"]);
    routes("").should.eql(["POST /auth/tokens", "GET /login"]);
    routes(undefined).should.eql(["POST /auth/tokens", "GET /login"]);
  });

  it("asks for prices in each dialect's shape, newest first when unknown", function () {
    const query = { locationId: "loc_abc123", direction: "EXPORT" as const, start: Date.UTC(2026, 11, 4, 22), end: Date.UTC(2026, 11, 5, 22) };
    priceRequest("busbar", query).should.eql({
      method: "POST",
      path: "/prices",
      body: { location_id: "loc_abc123", start_time: "2026-12-04T22:00:00Z", end_time: "2026-12-05T22:00:00Z", tariff_direction: "EXPORT" },
    });
    priceRequest("anode", query).should.eql({
      method: "POST",
      path: "/prices/loc_abc123",
      body: { start_time: "2026-12-04T22:00:00Z", end_time: "2026-12-05T22:00:00Z", tariff_direction: "EXPORT" },
    });
    priceRequest("zero", query).should.eql({
      method: "GET",
      path: "/tariffs/rates/loc_abc123?start_time=2026-12-04T22%3A00%3A00Z&end_time=2026-12-05T22%3A00%3A00Z&direction=EXPORT",
    });
    PRICE_DIALECT_ORDER.should.eql(["busbar", "anode", "zero"]);
  });

  it("reads the token from bearer_token, else access_token, else token; expires_in only when a positive number", function () {
    readTokenAnswer({ bearer_token: "a", access_token: "b", token: "c", expires_in: 3600, live_mode: true })!.should.eql({ token: "a", expiresInSeconds: 3600, liveMode: true });
    readTokenAnswer({ access_token: "b", token: "c" })!.should.eql({ token: "b", expiresInSeconds: undefined, liveMode: undefined });
    readTokenAnswer({ bearer_token: "", token: "c", expires_in: "3600" })!.should.eql({ token: "c", expiresInSeconds: undefined, liveMode: undefined });
    should(readTokenAnswer({ token: "c", expires_in: -5 })!.expiresInSeconds).be.undefined();
    should(readTokenAnswer({ bearer_token: 42 })).be.undefined();
    should(readTokenAnswer("token")).be.undefined();
    should(readTokenAnswer(null)).be.undefined();
  });
});

describe("API versions: login and event fetch on every dialect", function () {
  before(async () => {
    await new Promise<void>((resolve) => helper.startServer(resolve));
  });
  after(async () => {
    await new Promise<void>((resolve) => helper.stopServer(resolve));
  });
  let sim: Simulator | undefined;
  afterEach(async () => {
    hooks.remove("onComplete.flatpeakTest");
    await helper.unload();
    await sim?.close();
    sim = undefined;
  });

  async function start(options: SimulatorOptions): Promise<Simulator> {
    sim = await startSimulator(options);
    return sim;
  }

  for (const dialect of DIALECTS) {
    const path = LOGIN_PATH[dialect];
    const method = dialect === "busbar" ? "POST" : "GET";
    const modes: Array<{ name: string; pinned: boolean; announce: boolean }> = [
      { name: "pinned", pinned: true, announce: true },
      { name: "empty, answers name the version", pinned: false, announce: true },
      { name: "empty, answers name no version", pinned: false, announce: false },
    ];
    for (const mode of modes) {
      it(`${dialect}, ${mode.name}: fetches an event; first login, renewal and re-login take the requests the rule says`, async function () {
        const server = await start({ dialect, announceVersion: mode.announce, tokenLifetimeSeconds: 1 });
        const flow = await deploy(server, { apiVersion: mode.pinned ? versionOf(dialect) : "" });

        (await flow.run({ payload: FULL.id })).outputs[0].should.have.length(1);
        // Empty on a zero or anode account: POST /auth/tokens is missing (404), then GET /login works and is kept.
        const first = !mode.pinned && dialect !== "busbar" ? ["POST /auth/tokens 404", `GET /login 200`] : [`${method} ${path} 200`];
        logins(server).should.eql(first);

        // A 1 s token is renewed 0.1 s before it runs out: wait for the clock to pass that, then fetch again.
        // The renewed token lasts an hour, so the refusal below is the simulator's, never a second renewal.
        server.setTokenLifetime(3600);
        const renewAfter = Date.now() + 1000;
        await waitFor(() => Date.now() > renewAfter, 5000, "the token's renewal time");
        (await flow.run({ payload: FULL.id })).completed.should.be.true();
        logins(server).should.eql([...first, `${method} ${path} 200`]);

        server.expireTokens();
        (await flow.run({ payload: FULL.id })).completed.should.be.true();
        logins(server).should.eql([...first, `${method} ${path} 200`, `${method} ${path} 200`]);
        server.stats.requests.filter((r) => r.route === "event").map((r) => r.status).should.eql([200, 200, 403, 200]);
      });
    }

    it(`${dialect}: wrong credentials end in one catchable FLATPEAK_AUTH that says where, and the cool-down holds`, async function () {
      const server = await start({ dialect });
      const flow = await deploy(server, { credentials: { accountId: SIMULATOR_ACCOUNT_ID, apiKey: "sk_test_wrong_key_0001" } });
      const first = await flow.run({ payload: FULL.id });
      const second = await flow.run({ payload: FULL.id });

      for (const outcome of [first, second]) {
        outcome.error!.error.code!.should.equal("FLATPEAK_AUTH");
        outcome.error!.statusCode!.should.equal(403);
        outcome.error!.error.message.should.match(/^Error: Flatpeak refused the login \(.*HTTP 403.*\): check the account ID and API key/);
        outcome.error!.error.message.should.not.containEql("Event");
      }
      // Both paths once at most (the refused one and the other dialect's missing one), then nothing during the cool-down.
      const expected = dialect === "busbar" ? ["POST /auth/tokens 403", "GET /login 404"] : ["POST /auth/tokens 404", "GET /login 403"];
      logins(server).should.eql(expected);
      server.stats.eventRequests.should.equal(0);
    });

    it(`${dialect}: Test connection shows the version and where the login worked`, async function () {
      const server = await start({ dialect });
      await deploy(server);
      const answer = (await helper.request().post("/flatpeak-config/test-connection").send({ baseUrl: server.url, accountId: SIMULATOR_ACCOUNT_ID, apiKey: SIMULATOR_API_KEY }).expect(200)).body;
      answer.should.eql({ ok: true, liveMode: false, version: versionOf(dialect), loginRoute: `${method} ${path}` });
    });
  }

  it("busbar: reads the token from access_token or token, and without expires_in keeps it until Flatpeak refuses it", async function () {
    for (const tokenField of ["access_token", "token"] as const) {
      const server = await start({ dialect: "busbar", tokenField, omitExpiresIn: true });
      const flow = await deploy(server);
      (await flow.run({ payload: FULL.id })).completed.should.be.true();
      (await flow.run({ payload: FULL.id })).completed.should.be.true();
      logins(server).should.eql(["POST /auth/tokens 200"]);
      server.expireTokens();
      (await flow.run({ payload: FULL.id })).completed.should.be.true();
      logins(server).should.eql(["POST /auth/tokens 200", "POST /auth/tokens 200"]);
      server.stats.requests.filter((r) => r.route === "event").map((r) => r.auth).should.eql(["Bearer", "Bearer", "Bearer", "Bearer"]);
      await helper.unload();
      await server.close();
      sim = undefined;
    }
  });

  it("anode behind a gateway that answers 403 for the missing path: falls back to GET /login once, then keeps it", async function () {
    const server = await start({ dialect: "anode", missingLoginStatus: 403 });
    const flow = await deploy(server);
    (await flow.run({ payload: FULL.id })).completed.should.be.true();
    server.expireTokens();
    (await flow.run({ payload: FULL.id })).completed.should.be.true();
    logins(server).should.eql(["POST /auth/tokens 403", "GET /login 200", "GET /login 200"]);
  });

  it("a base URL without any login says so, and never as a missing event", async function () {
    const server = await start({});
    const flow = await deploy(server, { baseUrl: `${server.url}/no-such-prefix` });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.error!.error.code!.should.equal("FLATPEAK_AUTH");
    outcome.error!.statusCode!.should.equal(404);
    outcome.error!.error.message.should.equal(
      'Error: Flatpeak has no login at this base URL (POST /auth/tokens: HTTP 404; GET /login: HTTP 404): check the base URL in the flatpeak-config node, and clear the API version unless you need it. Flatpeak says: "Not Found"',
    );
  });

  it("a pinned version older than the account's keeps its clear 422 error", async function () {
    const server = await start({ dialect: "busbar" });
    const flow = await deploy(server, { apiVersion: "2025-09-14.anode" });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.error!.error.code!.should.equal("FLATPEAK_UNPROCESSABLE");
    outcome.error!.error.message.should.containEql('Flatpeak does not accept the API version "2025-09-14.anode" (HTTP 422) logging in at GET /login');
  });

  it("busbar: flatpeak watch logs in and lists events", async function () {
    const server = await start({ dialect: "busbar" });
    const flow = [
      { id: "tab1", type: "tab", label: "test" },
      { id: "config1", type: "flatpeak-config", baseUrl: server.url, apiVersion: "", timeout: 5, retries: 0 },
      { id: "watch1", z: "tab1", type: "flatpeak-watch", server: "config1", interval: 60, replay: 2, wires: [["out"]] },
      { id: "out", z: "tab1", type: "helper" },
    ];
    await helper.load([flatpeakConfig, flatpeakEvent, flatpeakWatch], flow, { config1: SIMULATOR_CREDENTIALS });
    const received: unknown[] = [];
    helper.getNode("out").on("input", (msg: unknown) => received.push(msg));
    await waitFor(() => received.length === 2, 5000, "two replayed events");
    logins(server).should.eql(["POST /auth/tokens 200"]);
    server.stats.listRequests.should.equal(1);
  });
});

describe("API versions: prices in each dialect (the client against the simulator)", function () {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  function client(server: Simulator, apiVersion?: string): FlatpeakClient {
    return new FlatpeakClient({
      baseUrl: server.url,
      apiVersion,
      timeoutMs: 5000,
      credentials: { accountId: SIMULATOR_ACCOUNT_ID, apiKey: SIMULATOR_API_KEY },
      translate: createTranslator((key) => key, "flatpeak-config"),
      userAgent: "test",
      retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 },
      concurrency: 4,
      queueSize: 10,
      cacheSize: 0,
    });
  }

  const hour = 3_600_000;
  const query = { locationId: SIMULATOR_LOCATIONS.home.id, direction: "IMPORT" as const, start: Math.floor(Date.now() / hour) * hour, end: Math.floor(Date.now() / hour) * hour + 6 * hour };
  const pricePaths = (server: Simulator): string[] => server.stats.requests.filter((r) => r.route === "prices").map((r) => `${r.method} ${r.path} ${r.status}`);
  const expectedPath: Record<Dialect, string> = {
    busbar: "POST /prices",
    anode: `POST /prices/${SIMULATOR_LOCATIONS.home.id}`,
    zero: `GET /tariffs/rates/${SIMULATOR_LOCATIONS.home.id}`,
  };

  for (const dialect of DIALECTS) {
    for (const mode of ["pinned", "announced", "found by trying"] as const) {
      it(`${dialect}, ${mode}: one request per fetch once the dialect is known`, async function () {
        sim = await startSimulator({ dialect, announceVersion: mode !== "found by trying" });
        const api = client(sim, mode === "pinned" ? versionOf(dialect) : undefined);
        try {
          const first = await api.getPrices(query, new AbortController().signal);
          first.dialect.should.equal(dialect);
          first.rows.length.should.be.above(0);
          first.timezone!.should.equal("Europe/London");
          first.currency!.should.equal("GBP");
          await api.getPrices(query, new AbortController().signal);
          const tried = mode === "found by trying" ? PRICE_DIALECT_ORDER.slice(0, PRICE_DIALECT_ORDER.indexOf(dialect)) : [];
          pricePaths(sim).should.eql([...tried.map((other) => `${expectedPath[other]} 404`), `${expectedPath[dialect]} 200`, `${expectedPath[dialect]} 200`]);
        } finally {
          api.close();
        }
      });
    }
  }
});
