import should from "should";
import { SAMPLE_EVENTS, SAMPLES } from "../simulator/sample-events";
import { SIMULATOR_ACCOUNT_ID, startSimulator, type Simulator } from "../simulator/server";
import { BASIC, bearerFor, get, post } from "./support/simulator-http";

describe("Flatpeak simulator", function () {
  let sim: Simulator;
  let bearer: string;

  beforeEach(async function () {
    sim = await startSimulator();
    bearer = await bearerFor(sim);
  });
  afterEach(async function () {
    await sim.close();
  });

  it("answers POST /auth/tokens (busbar, the default) with bearer_token, expires_in and live_mode", async function () {
    const login = await post(sim, "/auth/tokens", undefined, { Authorization: BASIC });
    login.status.should.equal(200);
    login.body.should.have.keys("bearer_token", "expires_in", "live_mode");
    login.body.bearer_token.split(".").should.have.length(3);
    login.body.expires_in.should.equal(3600);
    login.body.live_mode.should.be.false();
  });

  it("refuses bad credentials with 403 and a bare message", async function () {
    const wrong = `Basic ${Buffer.from(`${SIMULATOR_ACCOUNT_ID}:nope`).toString("base64")}`;
    (await post(sim, "/auth/tokens", undefined, { Authorization: wrong })).should.match({ status: 403, body: { message: "Bad credentials" } });
    (await post(sim, "/auth/tokens")).status.should.equal(403);
  });

  it("serves every sample event by ID, and 404 for others", async function () {
    for (const event of SAMPLE_EVENTS) {
      const answer = await get(sim, `/events/${event.id}`, { Authorization: bearer });
      answer.status.should.equal(200);
      answer.body.should.eql(event);
    }
    (await get(sim, "/events/evt_missing", { Authorization: bearer })).should.match({ status: 404, body: { message: "Not Found" } });
  });

  it("requires a valid, unexpired token", async function () {
    (await get(sim, `/events/${SAMPLES.fullDevice.event.id}`)).status.should.equal(403);
    (await get(sim, `/events/${SAMPLES.fullDevice.event.id}`, { Authorization: "Bearer made-up" })).status.should.equal(403);
    sim.expireTokens();
    (await get(sim, `/events/${SAMPLES.fullDevice.event.id}`, { Authorization: bearer })).status.should.equal(403);
  });

  it("lists events newest first with cursors, limit and filters", async function () {
    const all = await get(sim, "/events?limit=100", { Authorization: bearer });
    all.body.should.match({ object: "list", url: "/events", has_more: false });
    all.body.data.should.have.length(SAMPLE_EVENTS.length);
    const page1 = await get(sim, "/events?limit=5", { Authorization: bearer });
    page1.body.has_more.should.be.true();
    page1.body.data.should.eql(all.body.data.slice(0, 5));
    const page2 = await get(sim, `/events?limit=5&starting_after=${page1.body.data[4].id}`, { Authorization: bearer });
    page2.body.data.should.eql(all.body.data.slice(5, 10));
    const back = await get(sim, `/events?limit=5&ending_before=${page2.body.data[0].id}`, { Authorization: bearer });
    back.body.data.should.eql(page1.body.data);
    const customers = await get(sim, "/events?event_type=customer.create", { Authorization: bearer });
    customers.body.data.map((e: any) => e.id).should.eql([SAMPLES.customer.event.id]);
    const byObject = await get(sim, "/events?object_id=loc_6650a1b2c3d4e5f6a7b8c0b1", { Authorization: bearer });
    byObject.body.data.map((e: any) => e.id).should.eql([SAMPLES.location.event.id]);
    (await get(sim, "/events", { Authorization: bearer })).body.data.should.have.length(Math.min(30, SAMPLE_EVENTS.length));
    (await get(sim, "/events?limit=101", { Authorization: bearer })).should.match({ status: 400, body: { object: "error", type: "invalid_request" } });
  });

  it("echoes Flatpeak-Version and refuses older or unknown versions with 422", async function () {
    const ok = await get(sim, `/events/${SAMPLES.fullDevice.event.id}`, { Authorization: bearer, "Flatpeak-Version": "2026-08-01.busbar" });
    ok.status.should.equal(200);
    should(ok.headers.get("flatpeak-version")).equal("2026-08-01.busbar");
    for (const version of ["2025-09-14.anode", "2024-08-24.zero", "nonsense", "busbar"]) {
      const refused = await get(sim, `/events/${SAMPLES.fullDevice.event.id}`, { Authorization: bearer, "Flatpeak-Version": version });
      refused.should.match({ status: 422, body: { object: "error", code: "api_version_not_supported" } });
    }
  });

  it("switches faults on and off over HTTP, for a number of requests", async function () {
    const path = `/events/${SAMPLES.fullDevice.event.id}`;
    const fault = { route: "event", kind: "status", status: 429, headers: { "Retry-After": "7" }, times: 2 };
    (await fetch(`${sim.url}/_simulator/faults`, { method: "POST", body: JSON.stringify(fault) })).status.should.equal(201);
    const limited = await get(sim, path, { Authorization: bearer });
    limited.should.match({ status: 429, body: { object: "error", type: "rate_limit" } });
    should(limited.headers.get("retry-after")).equal("7");
    (await get(sim, path, { Authorization: bearer })).status.should.equal(429);
    (await get(sim, path, { Authorization: bearer })).status.should.equal(200);

    await fetch(`${sim.url}/_simulator/faults`, { method: "POST", body: JSON.stringify({ kind: "not-json" }) });
    (await get(sim, path, { Authorization: bearer })).body.should.startWith("<html>");
    await fetch(`${sim.url}/_simulator/faults`, { method: "DELETE" });
    (await get(sim, path, { Authorization: bearer })).status.should.equal(200);

    await fetch(`${sim.url}/_simulator/expire-tokens`, { method: "POST" });
    (await get(sim, path, { Authorization: bearer })).status.should.equal(403);
    const stats = await get(sim, "/_simulator/stats");
    stats.body.logins.should.equal(1);
    stats.body.eventRequests.should.equal(6);
  });

  it("limits a fault to one event ID", async function () {
    sim.addFault({ route: "event", eventId: SAMPLES.pvOnly.event.id, kind: "status", status: 500 });
    (await get(sim, `/events/${SAMPLES.pvOnly.event.id}`, { Authorization: bearer })).status.should.equal(500);
    (await get(sim, `/events/${SAMPLES.fullDevice.event.id}`, { Authorization: bearer })).status.should.equal(200);
  });
});

describe("Flatpeak simulator start-up", function () {
  it("rejects when its port is taken", async function () {
    const first = await startSimulator();
    try {
      const port = Number(new URL(first.url).port);
      await startSimulator({ port }).should.be.rejectedWith(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});

describe("Flatpeak simulator generated events", function () {
  it("answers any evt_gen… ID with a device event of that ID when asked to", async function () {
    const sim = await startSimulator({ generateEvents: true });
    try {
      const bearer = await bearerFor(sim);
      const answer = await get(sim, "/events/evt_gen12345", { Authorization: bearer });
      answer.status.should.equal(200);
      answer.body.id.should.equal("evt_gen12345");
      answer.body.data.should.eql(SAMPLES.fullDevice.event.data);
      (await get(sim, "/events/evt_other1", { Authorization: bearer })).status.should.equal(404);
    } finally {
      await sim.close();
    }
  });
});
