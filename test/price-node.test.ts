/**
 * flatpeak price inside Node-RED (test helper) against the simulator over
 * loopback: the payload, the request window, every API version, msg.location,
 * Flatpeak's refusals and its 15-minute hold, unusable rows, output 2 at row
 * boundaries, refresh off, close, and the location picker's admin route.
 */
import should from "should";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY, SIMULATOR_LOCATIONS, startSimulator, versionOf, type SimulatorDialect } from "../simulator/server";
import { tariffRows } from "../simulator/prices";
import { helper, loggedTexts, statusesOf, useSimulator, waitFor } from "./support/harness";
import { deployPrice, removePriceHook } from "./support/price-flow";

const HOME = SIMULATOR_LOCATIONS.home;
const FLAT = SIMULATOR_LOCATIONS.flat;
const HOUR = 3_600_000;

function priceRequests(sim: { stats: { requests: Array<{ route: string; method: string; path: string; status?: number; body?: Record<string, unknown>; query: string }> } }) {
  return sim.stats.requests.filter((r) => r.route === "prices");
}

describe("flatpeak price: prices and the price now", function () {
  const env = useSimulator();

  it("sends the prices exactly as SPEC names them, asked from the start of the hour for `hours`", async function () {
    const flow = await deployPrice(env.sim, { location: HOME.id, hours: 30 });
    await waitFor(() => flow.received("prices").length === 1, 5000, "the prices fetched at deploy");
    const msg = flow.received("prices")[0] as any;
    const [request] = priceRequests(env.sim);

    const start = Date.parse(request.body!.start_time as string);
    start.should.equal(Math.floor(Date.parse(msg.payload.updated) / HOUR) * HOUR);
    (Date.parse(request.body!.end_time as string) - start).should.equal(30 * HOUR);
    request.body!.should.match({ location_id: HOME.id, tariff_direction: "IMPORT" });

    const expected = tariffRows(HOME.timezone, "IMPORT", start, start + 30 * HOUR, Date.now()).map((row) => ({
      start: new Date(row.start).toISOString(),
      end: new Date(row.end).toISOString(),
      price: row.value,
      confidence: row.confidence,
    }));
    msg.topic.should.equal(`flatpeak/${HOME.id}/prices`);
    Object.keys(msg.payload).should.eql(["location_id", "direction", "currency", "timezone", "updated", "next_update", "prices", "priceData"]);
    msg.payload.should.match({ location_id: HOME.id, direction: "IMPORT", currency: "GBP", timezone: "Europe/London" });
    msg.payload.next_update.should.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    msg.payload.prices.should.eql(expected);
    msg.payload.priceData.should.eql(expected.map((row) => ({ start: row.start, value: row.price })));
    // Merged longer rows and 15-minute rows are kept as Flatpeak gives them.
    const lengths = new Set(expected.map((row) => Date.parse(row.end) - Date.parse(row.start)));
    lengths.has(15 * 60_000).should.be.true();
    [...lengths].some((ms) => ms > HOUR).should.be.true();
  });

  it("sends the price now on output 2 with the row in force, and shows it in the status", async function () {
    const flow = await deployPrice(env.sim, { location: HOME.id });
    await waitFor(() => flow.received("now").length === 1, 5000, "the price now");
    const now = flow.received("now")[0] as any;
    const prices = (flow.received("prices")[0] as any).payload;
    const row = prices.prices.find((r: any) => Date.parse(r.start) <= Date.now() && Date.now() < Date.parse(r.end));

    now.payload.should.equal(row.price);
    now.topic.should.equal(`flatpeak/${HOME.id}/price`);
    now.flatpeak.price.should.eql({ ...row, currency: "GBP", direction: "IMPORT", location_id: HOME.id });
    const shown = statusesOf(flow.node()).pop()!;
    shown.should.match({ fill: "green", shape: "dot" });
    shown.text!.should.match(new RegExp(`^${String(row.price).replace(".", "\\.")} GBP · \\d\\d:\\d\\d:\\d\\d$`));
  });

  it("asks for another location for one message with msg.location, and keeps the input's properties", async function () {
    const flow = await deployPrice(env.sim, { location: HOME.id, refresh: false });
    const outcome = await flow.run({ location: FLAT.id, payload: "go", mine: 42 });

    outcome.prices.should.have.length(1);
    (outcome.prices[0] as any).should.match({ topic: `flatpeak/${FLAT.id}/prices`, mine: 42, payload: { location_id: FLAT.id } });
    (outcome.now[0] as any).should.match({ topic: `flatpeak/${FLAT.id}/price`, mine: 42 });
    priceRequests(env.sim).map((r) => r.body!.location_id).should.eql([FLAT.id]);
  });

  it("fetches only on input when refresh is off", async function () {
    const flow = await deployPrice(env.sim, { location: HOME.id, refresh: false });
    statusesOf(flow.node()).pop()!.should.match({ fill: "grey" });
    const outcome = await flow.run({ payload: true });

    outcome.prices.should.have.length(1);
    // A fetch at deploy would have started before this message's.
    priceRequests(env.sim).should.have.length(1);
  });

  it("refuses a location that is not loc_… with FLATPEAK_INVALID_INPUT, without a request", async function () {
    const flow = await deployPrice(env.sim, { location: HOME.id, refresh: false });
    for (const location of ["dev_123", "loc_", "loc_a/b", 42, { id: HOME.id }]) {
      const outcome = await flow.run({ location });
      outcome.error.error.code.should.equal("FLATPEAK_INVALID_INPUT");
      outcome.error.error.message.should.match(/msg\.location is .*, not a location ID/);
    }
    await helper.unload();
    const unset = await deployPrice(env.sim, { location: "", refresh: false });
    (await unset.run({ payload: 1 })).error.error.message.should.containEql("No location to fetch prices for");
    priceRequests(env.sim).should.have.length(0);
  });

  for (const [name, location, direction, apiCode, fault] of [
    ["no_tariff_connected", FLAT.id, "EXPORT", "no_tariff_connected", undefined],
    ["pending_connect", SIMULATOR_LOCATIONS.pending.id, "IMPORT", "pending_connect", undefined],
    ["no_price_data", HOME.id, "IMPORT", "no_price_data", { route: "prices", kind: "status", status: 422, body: { object: "error", type: "invalid_request", code: "no_price_data", message: "No price data" } }],
  ] as const) {
    it(`${name}: FLATPEAK_NO_PRICES that says what to do, then the same error without a request for 15 minutes`, async function () {
      if (fault) env.sim.addFault(fault);
      const flow = await deployPrice(env.sim, { location, direction, refresh: false });
      const first = await flow.run({ payload: 1 });
      const second = await flow.run({ payload: 2 });

      for (const outcome of [first, second]) {
        outcome.prices.should.have.length(0);
        outcome.error.error.code.should.equal("FLATPEAK_NO_PRICES");
        outcome.error.statusCode.should.equal(422);
        outcome.error.flatpeak.error.should.match({ code: "FLATPEAK_NO_PRICES", apiCode, locationId: location });
        outcome.error.error.message.should.containEql(location);
        outcome.error.error.message.should.containEql("15 minutes");
      }
      priceRequests(env.sim).should.have.length(1);
      // Only this location and direction is held.
      if (name === "no_tariff_connected") {
        const other = await flow.run({ payload: 3, location: HOME.id });
        should(other.error).be.undefined();
        other.prices.should.have.length(1);
      }
    });
  }

  it("drops unusable rows among good ones (logged once), and refuses an answer without any", async function () {
    env.sim.addFault({ route: "prices", kind: "bad-rows", times: 1 });
    const flow = await deployPrice(env.sim, { location: HOME.id, refresh: false });
    const mixed = await flow.run({ payload: 1 });
    const rows = (mixed.prices[0] as any).payload.prices;
    rows.length.should.be.above(0);
    for (const row of rows) {
      Date.parse(row.end).should.be.above(Date.parse(row.start));
      row.price.should.be.a.Number();
    }
    loggedTexts().filter((text) => text.includes("were not usable")).should.have.length(1);

    env.sim.addFault({ route: "prices", kind: "bad-rows", status: 0, times: 1 });
    const none = await flow.run({ payload: 2 });
    none.error.error.code.should.equal("FLATPEAK_BAD_RESPONSE");
    none.error.error.message.should.containEql("no usable row");
  });

  it("reports a failed refresh once to a Catch node and shows it, and sends nothing", async function () {
    env.sim.addFault({ route: "prices", kind: "status", status: 500 });
    const flow = await deployPrice(env.sim, { location: HOME.id });
    await waitFor(() => flow.received("caught").length === 1, 5000, "the refresh's failure");
    (flow.received("caught")[0] as any).should.match({ statusCode: 500, flatpeak: { error: { code: "FLATPEAK_SERVER_ERROR" } }, location: HOME.id });
    statusesOf(flow.node()).pop()!.should.match({ fill: "red", text: "failed: server error" });
    flow.received("prices").should.have.length(0);
  });

  it("stops at close: a slow fetch is abandoned and nothing is sent after", async function () {
    env.sim.addFault({ route: "prices", kind: "slow", delayMs: 1500 });
    const flow = await deployPrice(env.sim, { location: HOME.id });
    await waitFor(() => priceRequests(env.sim).length === 1, 5000, "the fetch to start");
    await helper.unload();
    await waitFor(() => env.sim.stats.abandoned === 1, 5000, "the request abandoned");
    flow.received("prices").should.have.length(0);
    flow.received("now").should.have.length(0);
  });

  it("never puts a secret in a message, the log or a status", async function () {
    const flow = await deployPrice(env.sim, { location: HOME.id });
    await waitFor(() => flow.received("now").length === 1, 5000, "the price now");
    await flow.run({ location: FLAT.id });
    const everything = JSON.stringify([flow.received("prices"), flow.received("now"), loggedTexts(), statusesOf(flow.node())]);
    everything.should.not.containEql(SIMULATOR_API_KEY);
    for (const token of env.sim.issuedTokens) everything.should.not.containEql(token);
  });
});

describe("flatpeak price: row boundaries", function () {
  const env = useSimulator({ priceRowMs: 1000 });

  it("says the new price at each row boundary, at its time", async function () {
    const flow = await deployPrice(env.sim, { location: HOME.id, hours: 1 });
    await waitFor(() => flow.received("now").length >= 3, 8000, "two row boundaries");
    const [first, second, third] = flow.received("now") as any[];
    for (const message of [second, third]) {
      const start = Date.parse(message.flatpeak.price.start);
      (Date.parse(message.flatpeak.price.end) - start).should.equal(1000);
      // Sent at the boundary, not before: the row it names is the one in force when it arrives.
      flow.receivedAt(message).should.be.aboveOrEqual(start);
      (flow.receivedAt(message) - start).should.be.below(1000);
    }
    (Date.parse(second.flatpeak.price.start) - Date.parse(first.flatpeak.price.start)).should.equal(1000);
    (Date.parse(third.flatpeak.price.start) - Date.parse(second.flatpeak.price.start)).should.equal(1000);
    priceRequests(env.sim).should.have.length(1);
  });
});

describe("flatpeak price: every API version", function () {
  before(async () => {
    await new Promise<void>((resolve) => helper.startServer(resolve));
  });
  after(async () => {
    await new Promise<void>((resolve) => helper.stopServer(resolve));
  });

  for (const dialect of ["zero", "anode", "busbar"] as SimulatorDialect[]) {
    for (const mode of ["pinned", "announced", "learned by trying"] as const) {
      it(`${dialect}, ${mode}: prices arrive, and the second fetch takes one request`, async function () {
        const sim = await startSimulator({ dialect, announceVersion: mode !== "learned by trying" });
        try {
          const flow = await deployPrice(sim, { location: HOME.id, refresh: false }, { apiVersion: mode === "pinned" ? versionOf(dialect) : "" });
          const first = await flow.run({ payload: 1 });
          const before = priceRequests(sim).length;
          const second = await flow.run({ payload: 2 });
          for (const outcome of [first, second]) {
            should(outcome.error).be.undefined();
            (outcome.prices[0] as any).payload.should.match({ location_id: HOME.id, currency: "GBP", timezone: "Europe/London" });
            (outcome.prices[0] as any).payload.prices.length.should.be.above(0);
          }
          (priceRequests(sim).length - before).should.equal(1);
          if (mode !== "learned by trying") before.should.equal(1);
        } finally {
          removePriceHook();
          await helper.unload();
          await sim.close();
        }
      });
    }
  }
});

describe("flatpeak price: the location picker (admin route)", function () {
  const env = useSimulator({ extraLocations: 250 });
  const list = async (body: Record<string, unknown>) => (await helper.request().post("/flatpeak-config/locations").send(body).expect(200));

  it("lists every page of the account's locations with the saved key, and sends no secret back", async function () {
    await deployPrice(env.sim, { location: HOME.id, refresh: false });
    const response = await list({ id: "config1", baseUrl: env.sim.url, apiKey: "__PWRD__", bearerToken: "__PWRD__" });

    response.body.ok.should.be.true();
    response.body.locations.should.have.length(255);
    response.body.locations[0].should.eql({ id: HOME.id, label: "1 Station Road, Bristol, BS1 6QF", timezone: "Europe/London", currency: "GBP" });
    response.body.locations[3].should.eql({ id: SIMULATOR_LOCATIONS.boston.id, label: "4 Beacon Street, Boston, 02108", timezone: "America/New_York", currency: "USD" });
    env.sim.stats.locationRequests.should.equal(3);
    response.text.should.not.containEql(SIMULATOR_API_KEY);
    response.text.should.not.containEql(SIMULATOR_ACCOUNT_ID);
  });

  it("uses saved secrets only for the saved config node and its saved base URL, and answers whatever it is sent", async function () {
    await deployPrice(env.sim, { location: HOME.id, refresh: false });
    const otherUrl = await list({ id: "config1", baseUrl: "http://127.0.0.1:9", apiKey: "__PWRD__" });
    const otherNode = await list({ id: "price1", baseUrl: env.sim.url, apiKey: "__PWRD__" });
    const garbage = await list({ id: { $ne: 1 }, baseUrl: ["x"], apiKey: 5 });

    otherUrl.body.should.match({ ok: false, code: "FLATPEAK_CONFIG" });
    otherNode.body.should.match({ ok: false, code: "FLATPEAK_CONFIG" });
    garbage.body.ok.should.be.false();
    env.sim.stats.requests.should.have.length(0);
  });

  it("says why when Flatpeak refuses", async function () {
    await deployPrice(env.sim, { location: HOME.id, refresh: false });
    const refused = await list({ baseUrl: env.sim.url, accountId: SIMULATOR_ACCOUNT_ID, apiKey: "sk_test_wrong_0000000001" });
    refused.body.should.match({ ok: false, code: "FLATPEAK_AUTH", statusCode: 403 });
    refused.text.should.not.containEql("sk_test_wrong_0000000001");
  });
});
