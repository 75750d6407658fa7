import should from "should";
import http from "node:http";
import { constants, createPublicKey, verify, type JsonWebKey } from "node:crypto";
import type { AddressInfo } from "node:net";
import {
  signWebhook,
  startSimulator,
  type DeliveryRecord,
  type Simulator,
} from "../simulator/server";
import { bearerFor, get } from "./support/simulator-http";

async function post(sim: Simulator, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(sim.url + path, { method: "POST", body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

/** One POST as the receiver saw it: the raw bytes, so signatures can be checked. */
interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A loopback webhook receiver that records every POST and answers `answer`. */
interface Receiver {
  url: string;
  received: Received[];
  answer: { status: number; body: string };
  /** Resolves once `count` requests in all have arrived. */
  waitFor(count: number): Promise<Received[]>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: Array<{ count: number; resolve: (all: Received[]) => void }> = [];
  const answer = { status: 200, body: "ok" };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve(received);
      res.writeHead(answer.status, { "Content-Type": "text/plain" });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/flatpeak`,
    received,
    answer,
    waitFor: (count) =>
      received.length >= count ? Promise.resolve(received) : new Promise((resolve) => waiters.push({ count, resolve })),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Checks a delivery the way a receiver must: PS256 over `<timestamp>.<raw body>` with the JWKS key named by the key ID. */
function verifies(delivery: Received, jwks: { keys: any[] }): boolean {
  const signature = String(delivery.headers["flatpeak-signature"]);
  const timestamp = String(delivery.headers["flatpeak-timestamp"]);
  const jwk = jwks.keys.find((key) => key.kid === delivery.headers["flatpeak-key-id"]);
  if (!jwk || !signature.startsWith("v1=")) return false;
  const key = createPublicKey({ key: jwk as JsonWebKey, format: "jwk" });
  const message = Buffer.concat([Buffer.from(`${timestamp}.`), delivery.body]);
  return verify("sha256", message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(signature.slice(3), "base64url"));
}

/** The next delivery attempt's record (it is made once the receiver's answer has been read). */
function nextDelivery(sim: Simulator): Promise<DeliveryRecord> {
  return new Promise((resolve) => {
    const stop = sim.onDelivery((record) => {
      stop();
      resolve(record);
    });
  });
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

describe("Flatpeak simulator: events list", function () {
  let sim: Simulator;
  let bearer: string;
  /** Created oldest first: a0 (device.update), a1 (location.update), a2 (device.update), … */
  let created: string[];

  beforeEach(async function () {
    sim = await startSimulator({ events: [] });
    bearer = await bearerFor(sim);
    created = Array.from({ length: 7 }, (_, i) => sim.createEvent({ type: i % 2 === 0 ? "device.update" : "location.update" }).id);
  });
  afterEach(async function () {
    await sim.close();
  });

  const ids = (answer: { body: any }): string[] => answer.body.data.map((e: any) => e.id);
  const newestFirst = (): string[] => [...created].reverse();

  it("lists created events newest first, even when created within one millisecond", async function () {
    const all = await get(sim, "/events", { Authorization: bearer });
    all.body.should.match({ object: "list", url: "/events", has_more: false });
    ids(all).should.eql(newestFirst());
  });

  it("walks older pages with starting_after until has_more is false", async function () {
    const page1 = await get(sim, "/events?limit=3", { Authorization: bearer });
    ids(page1).should.eql(newestFirst().slice(0, 3));
    page1.body.has_more.should.be.true();
    const page2 = await get(sim, `/events?limit=3&starting_after=${ids(page1)[2]}`, { Authorization: bearer });
    ids(page2).should.eql(newestFirst().slice(3, 6));
    page2.body.has_more.should.be.true();
    const page3 = await get(sim, `/events?limit=3&starting_after=${ids(page2)[2]}`, { Authorization: bearer });
    ids(page3).should.eql(newestFirst().slice(6));
    page3.body.has_more.should.be.false();
  });

  it("pages back to newer events with ending_before", async function () {
    const newest = newestFirst();
    const back = await get(sim, `/events?limit=3&ending_before=${newest[3]}`, { Authorization: bearer });
    ids(back).should.eql(newest.slice(0, 3));
    back.body.has_more.should.be.false();
    const closer = await get(sim, `/events?limit=2&ending_before=${newest[5]}`, { Authorization: bearer });
    ids(closer).should.eql(newest.slice(3, 5), "the two events just newer than the cursor");
    closer.body.has_more.should.be.true();
    (await get(sim, `/events?ending_before=${newest[0]}`, { Authorization: bearer })).body.should.match({ has_more: false, data: [] });
  });

  it("filters one event_type, with cursors counted in the whole list", async function () {
    const locations = newestFirst().filter((_, i) => i % 2 === 1);
    const devices = newestFirst().filter((_, i) => i % 2 === 0);
    ids(await get(sim, "/events?event_type=location.update", { Authorization: bearer })).should.eql(locations);
    const page1 = await get(sim, "/events?event_type=device.update&limit=2", { Authorization: bearer });
    ids(page1).should.eql(devices.slice(0, 2));
    page1.body.has_more.should.be.true();
    // The cursor is a location event: the page holds the device events older than it.
    const afterLocation = await get(sim, `/events?event_type=device.update&limit=2&starting_after=${locations[0]}`, { Authorization: bearer });
    ids(afterLocation).should.eql(devices.slice(1, 3));
    (await get(sim, "/events?event_type=tariff.expired", { Authorization: bearer })).body.should.match({ has_more: false, data: [] });
  });

  it("defaults limit to 30, allows 1 to 100 and refuses others", async function () {
    for (let i = 0; i < 30; i += 1) sim.createEvent();
    const first = await get(sim, "/events", { Authorization: bearer });
    first.body.data.should.have.length(30);
    first.body.has_more.should.be.true();
    (await get(sim, "/events?limit=100", { Authorization: bearer })).body.should.match({ has_more: false, data: { length: 37 } });
    (await get(sim, "/events?limit=1", { Authorization: bearer })).body.data.should.have.length(1);
    for (const limit of ["0", "101", "2.5", "abc", ""]) {
      (await get(sim, `/events?limit=${limit}`, { Authorization: bearer })).should.match({ status: 400, body: { object: "error", type: "invalid_request" } });
    }
  });

  it("answers an empty last page for an unknown cursor, so a client walking pages stops", async function () {
    for (const cursor of ["starting_after", "ending_before"]) {
      (await get(sim, `/events?${cursor}=evt_000000000000000000000000`, { Authorization: bearer })).body.should.match({ has_more: false, data: [] });
    }
  });

  it("requires a bearer token", async function () {
    (await get(sim, "/events")).status.should.equal(403);
  });
});

describe("Flatpeak simulator: list faults", function () {
  let sim: Simulator;
  let bearer: string;

  beforeEach(async function () {
    sim = await startSimulator();
    bearer = await bearerFor(sim);
  });
  afterEach(async function () {
    await sim.close();
  });

  it("answers 429 with Retry-After, then lists again", async function () {
    sim.addFault({ route: "list", kind: "status", status: 429, headers: { "Retry-After": "3" }, times: 1 });
    const limited = await get(sim, "/events", { Authorization: bearer });
    limited.should.match({ status: 429, body: { object: "error", type: "rate_limit" } });
    should(limited.headers.get("retry-after")).equal("3");
    (await get(sim, "/events", { Authorization: bearer })).should.match({ status: 200, body: { object: "list" } });
  });

  it("answers 5xx, not-JSON and not-a-list bodies on the list route only", async function () {
    sim.addFault({ route: "list", kind: "status", status: 503, times: 1 });
    (await get(sim, "/events", { Authorization: bearer })).should.match({ status: 503, body: { message: "Internal Server Error" } });
    sim.addFault({ route: "list", kind: "not-json", times: 1 });
    const html = await get(sim, "/events", { Authorization: bearer });
    html.status.should.equal(200);
    html.body.should.startWith("<html>");
    sim.addFault({ route: "list", kind: "not-list", times: 1 });
    const notList = await get(sim, "/events", { Authorization: bearer });
    notList.should.match({ status: 200, body: { object: "list" } });
    Array.isArray(notList.body.data).should.be.false();
    sim.addFault({ route: "list", kind: "not-list", body: [{ id: "evt_x" }], times: 1 });
    (await get(sim, "/events", { Authorization: bearer })).body.should.eql([{ id: "evt_x" }]);

    sim.addFault({ route: "list", kind: "status", status: 500 });
    (await get(sim, "/jwks.json")).status.should.equal(200);
    (await get(sim, "/events/evt_6650a1b2c3d4e5f6a7b8c9d0", { Authorization: bearer })).status.should.equal(200);
  });

  it("shapes a huge answer as a list on the list route", async function () {
    sim.addFault({ route: "list", kind: "huge", sizeBytes: 1000, times: 1 });
    const huge = await get(sim, "/events", { Authorization: bearer });
    huge.body.should.match({ object: "list", data: { length: 1 } });
    huge.body.data[0].padding.should.have.length(1000);
  });

  it("switches list faults over HTTP", async function () {
    (await post(sim, "/_simulator/faults", { route: "list", kind: "not-list", times: 1 })).status.should.equal(201);
    Array.isArray((await get(sim, "/events", { Authorization: bearer })).body.data).should.be.false();
    (await post(sim, "/_simulator/faults", "{not json")).should.match({ status: 400, body: { message: /not JSON/ } });
    (await post(sim, "/_simulator/faults", { route: "list" })).status.should.equal(400);
  });
});

describe("Flatpeak simulator: created events", function () {
  let sim: Simulator;
  let bearer: string;

  beforeEach(async function () {
    sim = await startSimulator();
    bearer = await bearerFor(sim);
  });
  afterEach(async function () {
    await sim.close();
  });

  it("creates a yotta device.update event by default, newest and retrievable", async function () {
    const before = Date.now();
    const event = sim.createEvent();
    event.id.should.match(/^evt_[0-9a-f]{24}$/);
    event.should.match({ object: "event", type: "device.update" });
    event.time_created!.should.be.a.String().and.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    Date.parse(event.time_created as string).should.be.within(before, Date.now());
    (event.data as any).properties.should.have.properties("battery", "pv", "ev_charger");
    (await get(sim, `/events/${event.id}`, { Authorization: bearer })).body.should.eql(event);
    (await get(sim, "/events?limit=1", { Authorization: bearer })).body.data.should.eql([event]);
  });

  it("takes the type, data and other fields it is given, and gives every event a new ID", function () {
    const event = sim.createEvent({ type: "tariff.expired", data: { tariff_id: "trf_1" }, live_mode: false });
    event.should.match({ type: "tariff.expired", data: { tariff_id: "trf_1" }, live_mode: false });
    const ids = new Set(Array.from({ length: 200 }, () => sim.createEvent().id));
    ids.size.should.equal(200);
    (() => sim.createEvent({ id: event.id })).should.throw(/already exists/);
    (sim.createEvent({ type: "tariff.expiring" }).data as any).should.have.properties("tariff_id", "location_id");
    (sim.createEvent({ type: "device.create" }).data as any).should.have.property("object", "device");
  });

  it("creates events over HTTP and lists them first", async function () {
    const created = await post(sim, "/_simulator/events", { type: "location.update", data: { id: "loc_1", object: "location" } });
    created.status.should.equal(201);
    created.body.should.match({ id: /^evt_[0-9a-f]{24}$/, type: "location.update", data: { id: "loc_1" } });
    const defaulted = await post(sim, "/_simulator/events");
    defaulted.should.match({ status: 201, body: { type: "device.update" } });
    const list = await get(sim, "/events?limit=2", { Authorization: bearer });
    list.body.data.map((e: any) => e.id).should.eql([defaulted.body.id, created.body.id]);
    for (const bad of ["[1]", "{oops", { type: 5 }, { id: created.body.id }]) (await post(sim, "/_simulator/events", bad)).status.should.equal(400);
  });

  it("keeps at most maxEvents, dropping the oldest", async function () {
    const small = await startSimulator({ events: [], maxEvents: 3 });
    try {
      const ids = Array.from({ length: 5 }, () => small.createEvent().id);
      const list = await get(small, "/events", { Authorization: await bearerFor(small) });
      list.body.data.map((e: any) => e.id).should.eql(ids.slice(2).reverse());
    } finally {
      await small.close();
    }
  });

  it("refuses to create events once closed", async function () {
    const closing = await startSimulator();
    await closing.close();
    (() => closing.createEvent()).should.throw(/closed/);
  });
});

describe("Flatpeak simulator: automatic events", function () {
  let receiver: Receiver;
  let sim: Simulator | undefined;

  beforeEach(async function () {
    receiver = await startReceiver();
  });
  afterEach(async function () {
    await sim?.close();
    sim = undefined;
    await receiver.close();
  });

  it("creates an event on a timer and delivers each one", async function () {
    sim = await startSimulator({ events: [], autoCreateEveryMs: 20, webhookUrl: receiver.url });
    const deliveries = await receiver.waitFor(2);
    const delivered = deliveries.slice(0, 2).map((d) => JSON.parse(d.body.toString("utf8")).id);
    delivered[0].should.not.equal(delivered[1]);
    const list = await get(sim, "/events?limit=100", { Authorization: await bearerFor(sim) });
    const listed = list.body.data.map((e: any) => e.id);
    listed.should.containDeep(delivered);
    listed.indexOf(delivered[1]).should.be.below(listed.indexOf(delivered[0]), "the later event is listed first");
  });

  it("refuses a timer that would flood", async function () {
    await startSimulator({ autoCreateEveryMs: 0 }).should.be.rejectedWith(/autoCreateEveryMs/);
  });
});

describe("Flatpeak simulator: JWKS", function () {
  let sim: Simulator;

  beforeEach(async function () {
    sim = await startSimulator();
  });
  afterEach(async function () {
    await sim.close();
  });

  it("serves one RSA-2048 PS256 signing key without a token, and counts requests", async function () {
    const jwks = await get(sim, "/jwks.json");
    jwks.status.should.equal(200);
    jwks.body.should.have.keys("keys");
    jwks.body.keys.should.have.length(1);
    const [key] = jwks.body.keys;
    key.should.have.keys("kty", "kid", "use", "alg", "n", "e");
    key.should.match({ kty: "RSA", use: "sig", alg: "PS256", e: "AQAB", kid: /^wsk_test_[0-9a-f]+$/ });
    Buffer.from(key.n, "base64url").length.should.equal(256);
    key.kid.should.equal(sim.signingKey.kid);
    jwks.body.should.eql(sim.jwks());
    createPublicKey({ key, format: "jwk" }).asymmetricKeyDetails!.should.match({ modulusLength: 2048 });
    (await get(sim, "/jwks.json")).body.should.eql(jwks.body, "the key stays the same until rotated");
    sim.stats.jwksRequests.should.equal(2);
    sim.stats.requests.filter((r) => r.route === "jwks").map((r) => r.status).should.eql([200, 200]);
  });

  it("rotates: the new key first, the previous one kept until dropped, never more than two", async function () {
    const first = sim.signingKey.kid;
    const second = sim.rotateSigningKey();
    second.should.not.equal(first).and.match(/^wsk_test_/);
    sim.signingKey.kid.should.equal(second);
    (await get(sim, "/jwks.json")).body.keys.map((k: any) => k.kid).should.eql([second, first]);
    const third = sim.rotateSigningKey();
    (await get(sim, "/jwks.json")).body.keys.map((k: any) => k.kid).should.eql([third, second]);
    sim.dropOldSigningKeys();
    (await get(sim, "/jwks.json")).body.keys.map((k: any) => k.kid).should.eql([third]);
    const fourth = sim.rotateSigningKey({ keepPrevious: false });
    (await get(sim, "/jwks.json")).body.keys.map((k: any) => k.kid).should.eql([fourth]);
  });

  it("rotates over HTTP", async function () {
    const first = sim.signingKey.kid;
    const rotated = await post(sim, "/_simulator/rotate-key");
    rotated.should.match({ status: 200, body: { kid: sim.signingKey.kid, keys: [sim.signingKey.kid, first] } });
    (await post(sim, "/_simulator/rotate-key", { keepPrevious: false })).body.keys.should.eql([sim.signingKey.kid]);
  });

  it("answers 5xx, hangs, or answers HTML when a jwks fault says so", async function () {
    sim.addFault({ route: "jwks", kind: "status", status: 503, times: 1 });
    (await get(sim, "/jwks.json")).status.should.equal(503);
    sim.addFault({ route: "jwks", kind: "not-json", times: 1 });
    (await get(sim, "/jwks.json")).body.should.startWith("<html>");
    sim.addFault({ route: "jwks", kind: "hang", times: 1 });
    // A hang shows only as no answer: give up after a bound (this is the timeout under test, not a wait for something).
    await get(sim, "/jwks.json", {}, AbortSignal.timeout(200)).should.be.rejectedWith({ name: "TimeoutError" });
    (await get(sim, "/jwks.json")).status.should.equal(200);
    sim.stats.jwksRequests.should.equal(4);
  });
});

describe("Flatpeak simulator: webhook delivery", function () {
  let sim: Simulator;
  let receiver: Receiver;

  beforeEach(async function () {
    receiver = await startReceiver();
    sim = await startSimulator({ webhookUrl: receiver.url });
  });
  afterEach(async function () {
    await sim.close();
    await receiver.close();
  });

  const jwks = async (): Promise<{ keys: any[] }> => (await get(sim, "/jwks.json")).body;

  /** Creates an event and waits until its automatic delivery has ended; returns it and what the receiver got. */
  async function createDelivered(): Promise<{ event: ReturnType<Simulator["createEvent"]>; delivery: Received }> {
    const recorded = nextDelivery(sim);
    const event = sim.createEvent();
    await recorded;
    return { event, delivery: receiver.received[receiver.received.length - 1] };
  }

  it("POSTs every created event, signed so that it verifies with the JWKS key", async function () {
    const event = sim.createEvent();
    const [delivery] = await receiver.waitFor(1);
    JSON.parse(delivery.body.toString("utf8")).should.eql(event);
    delivery.headers.should.match({
      "content-type": "application/json",
      "flatpeak-signature": /^v1=[A-Za-z0-9_-]{342}$/,
      "flatpeak-signature-scheme": "v1",
      "flatpeak-timestamp": /^\d+$/,
      "flatpeak-key-id": sim.signingKey.kid,
      "flatpeak-version": "2026-08-01.busbar",
    });
    Number(delivery.headers["flatpeak-timestamp"]).should.be.approximately(nowSeconds(), 5);
    verifies(delivery, await jwks()).should.be.true();
  });

  it("records each delivery's result in stats and tells listeners", async function () {
    receiver.answer.status = 401;
    const recorded = nextDelivery(sim);
    const event = sim.createEvent();
    const record = await recorded;
    record.should.match({ eventId: event.id, url: receiver.url, keyId: sim.signingKey.kid, signed: true, faults: [], redelivery: false, status: 401 });
    sim.stats.deliveries.should.eql([record]);
    (await get(sim, "/_simulator/stats")).body.should.match({ deliveries: [{ eventId: event.id, status: 401 }], webhookTarget: receiver.url });
  });

  it("deliver() resolves with the receiver's answer", async function () {
    receiver.answer.status = 202;
    receiver.answer.body = "accepted";
    const { event } = await createDelivered();
    (await sim.deliver(event)).should.eql({ status: 202, body: "accepted" });
    receiver.received.should.have.length(2);
    verifies(receiver.received[1], await jwks()).should.be.true();
  });

  it("signs with the new key after a rotation; the old key's deliveries still verify", async function () {
    const { event, delivery: beforeRotation } = await createDelivered();
    const rotated = sim.rotateSigningKey();
    await sim.deliver(event);
    const afterRotation = receiver.received[1];
    afterRotation.headers["flatpeak-key-id"]!.should.equal(rotated);
    const keys = await jwks();
    verifies(afterRotation, keys).should.be.true();
    verifies(beforeRotation, keys).should.be.true();
    sim.dropOldSigningKeys();
    verifies(beforeRotation, await jwks()).should.be.false();
  });

  it("badSignature flips the signature: same timestamp and key, fails to verify", async function () {
    const { event, delivery: good } = await createDelivered();
    await sim.deliver(event, { badSignature: true });
    const bad = receiver.received[1];
    bad.headers["flatpeak-signature"]!.should.match(/^v1=[A-Za-z0-9_-]{342}$/);
    bad.headers["flatpeak-key-id"]!.should.equal(good.headers["flatpeak-key-id"]);
    bad.body.should.eql(good.body);
    verifies(bad, await jwks()).should.be.false();
    sim.stats.deliveries[1].faults.should.eql(["badSignature"]);
  });

  it("staleSeconds signs a timestamp in the past or the future, validly", async function () {
    const { event } = await createDelivered();
    await sim.deliver(event, { staleSeconds: 600 });
    await sim.deliver(event, { staleSeconds: -600 });
    const [, past, future] = receiver.received;
    Number(past.headers["flatpeak-timestamp"]).should.be.approximately(nowSeconds() - 600, 5);
    Number(future.headers["flatpeak-timestamp"]).should.be.approximately(nowSeconds() + 600, 5);
    const keys = await jwks();
    verifies(past, keys).should.be.true("only the time is wrong");
    verifies(future, keys).should.be.true("only the time is wrong");
  });

  it("unknownKey signs with a key the JWKS does not list, under a new random ID", async function () {
    const { event } = await createDelivered();
    await sim.deliver(event, { unknownKey: true });
    await sim.deliver(event, { unknownKey: true });
    const [, first, second] = receiver.received;
    const kids = [first, second].map((d) => String(d.headers["flatpeak-key-id"]));
    kids[0].should.match(/^wsk_test_[0-9a-f]+$/);
    kids[0].should.not.equal(kids[1]);
    const keys = await jwks();
    for (const kid of kids) keys.keys.map((k) => k.kid).should.not.containEql(kid);
    first.headers["flatpeak-signature"]!.should.match(/^v1=/);
    // Under the listed key's ID the signature would still be wrong: it really is another key.
    verifies({ ...first, headers: { ...first.headers, "flatpeak-key-id": sim.signingKey.kid } }, keys).should.be.false();
  });

  it("unsigned sends Flatpeak-Signature: none without timestamp or key ID", async function () {
    const { event } = await createDelivered();
    await sim.deliver(event, { unsigned: true });
    const unsigned = receiver.received[1];
    unsigned.headers["flatpeak-signature"]!.should.equal("none");
    unsigned.headers.should.not.have.keys("flatpeak-timestamp", "flatpeak-key-id");
    unsigned.headers.should.match({ "content-type": "application/json", "flatpeak-version": "2026-08-01.busbar" });
    JSON.parse(unsigned.body.toString("utf8")).id.should.equal(event.id);
    sim.stats.deliveries[1].should.match({ signed: false, faults: ["unsigned"] });
  });

  it("redeliver sends the same event twice and answers the second", async function () {
    const { event } = await createDelivered();
    let answered = 0;
    sim.onDelivery(() => {
      answered += 1;
      receiver.answer.status = 200 + answered; // the redelivery gets a different answer
    });
    (await sim.deliver(event, { redeliver: true })).status.should.equal(201);
    const [, once, twice] = receiver.received;
    twice.body.should.eql(once.body);
    JSON.parse(twice.body.toString("utf8")).id.should.equal(event.id);
    const keys = await jwks();
    verifies(once, keys).should.be.true();
    verifies(twice, keys).should.be.true();
    sim.stats.deliveries.slice(1).map((d) => d.redelivery).should.eql([false, true]);
  });

  it("sends raw bodies exactly as given, signed", async function () {
    const raw = Buffer.from('{"not":"an event" , "spacing" :  "kept"}');
    await sim.deliver(raw);
    const [delivery] = await receiver.waitFor(1);
    delivery.body.should.eql(raw);
    verifies(delivery, await jwks()).should.be.true();
  });

  it("rejects when the target does not answer, and records why", async function () {
    const gone = await startReceiver();
    await gone.close();
    const { event } = await createDelivered();
    await sim.deliver(event, { url: gone.url }).should.be.rejected();
    const failed = sim.stats.deliveries.find((d) => d.url === gone.url);
    should(failed).match({ error: /ECONNREFUSED|connect/ });
    should(failed!.status).be.undefined();
  });

  it("waits at most webhookTimeoutMs for an answer", async function () {
    const silent = http.createServer(() => undefined); // reads the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const quick = await startSimulator({ webhookTimeoutMs: 100 });
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
      await quick.deliver(quick.createEvent(), { url }).should.be.rejectedWith(/no answer within 100 ms/);
      quick.stats.deliveries[0].error!.should.match(/no answer/);
    } finally {
      await quick.close();
      silent.closeAllConnections();
      silent.close();
    }
  });

  it("sets and clears the target over HTTP, loopback only", async function () {
    (await post(sim, "/_simulator/webhook-target", { url: null })).body.should.eql({ url: null });
    should(sim.webhookTarget).be.undefined();
    await sim.deliver(sim.createEvent()).should.be.rejectedWith(/no webhook target/);
    (await post(sim, "/_simulator/webhook-target", { url: "http://example.com/hook" })).should.match({ status: 400, body: { message: /loopback/ } });
    (await post(sim, "/_simulator/webhook-target", { url: "https://127.0.0.1/hook" })).status.should.equal(400);
    (await post(sim, "/_simulator/webhook-target", { url: receiver.url })).body.should.eql({ url: receiver.url });
    const event = sim.createEvent();
    JSON.parse((await receiver.waitFor(1))[0].body.toString("utf8")).id.should.equal(event.id);
    receiver.received.should.have.length(1, "nothing was delivered while no target was set");
    (() => sim.setWebhookTarget("http://10.0.0.1/")).should.throw(/loopback/);
    await startSimulator({ webhookUrl: "http://192.168.1.2/" }).should.be.rejectedWith(/loopback/);
  });

  it("aborts a delivery in flight on close", async function () {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const closing = await startSimulator();
    const arrived = new Promise<void>((resolve) => silent.once("request", () => resolve()));
    const delivery = closing.deliver(closing.createEvent(), { url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/` });
    await arrived;
    await closing.close();
    await delivery.should.be.rejectedWith(/closed/);
    silent.closeAllConnections();
    silent.close();
  });
});

describe("signWebhook", function () {
  it("signs `<timestamp>.<raw body>` with PS256, salt 32, for the given key ID and time", async function () {
    const sim = await startSimulator();
    try {
      const body = Buffer.from('{"id":"evt_1","object":"event","type":"device.update","data":{}}');
      const headers = signWebhook(body, sim.signingKey.privateKey, sim.signingKey.kid, 1_700_000_000.9, "yotta");
      headers.should.match({ "Flatpeak-Timestamp": "1700000000", "Flatpeak-Key-ID": sim.signingKey.kid, "Flatpeak-Signature-Scheme": "v1", "Flatpeak-Version": "yotta" });
      const lowerCased = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
      verifies({ headers: lowerCased, body }, sim.jwks()).should.be.true();
      verifies({ headers: lowerCased, body: Buffer.from(body.toString("utf8").replace("{}", "{ }")) }, sim.jwks()).should.be.false("any change of the bytes breaks it");
      signWebhook(body.toString("utf8"), sim.signingKey.privateKey, sim.signingKey.kid, 1_700_000_000)["Flatpeak-Signature"].should.match(/^v1=[A-Za-z0-9_-]+$/);
      should(signWebhook(body, sim.signingKey.privateKey, "k", 1)["Flatpeak-Version"]).be.undefined();
    } finally {
      await sim.close();
    }
  });
});
