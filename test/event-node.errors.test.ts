import should from "should";
import { SAMPLES } from "../simulator/sample-events";
import type { Fault } from "../simulator/server";
import { deploy, statusesOf, useSimulator, type Outcome } from "./support/harness";

const FULL = SAMPLES.fullDevice.event;

function assertError(outcome: Outcome, code: string, statusCode: number | undefined): { message: string } {
  should(outcome.error).not.be.undefined();
  outcome.completed.should.be.false();
  outcome.outputs.every((port) => port.length === 0).should.be.true();
  outcome.error!.error.code!.should.equal(code);
  if (statusCode === undefined) outcome.error!.should.not.have.property("statusCode");
  else outcome.error!.statusCode!.should.equal(statusCode);
  outcome.error!.flatpeak.error.code.should.equal(code);
  return outcome.error!.error;
}

describe("flatpeak-event: errors from Flatpeak", function () {
  const env = useSimulator();

  it("reports an unknown event as not found (404), naming the ID", async function () {
    const flow = await deploy(env.sim);
    const outcome = await flow.run({ payload: "evt_000000000000000000000000" });

    const error = assertError(outcome, "FLATPEAK_NOT_FOUND", 404);
    error.message.should.equal(
      'Error: Event evt_000000000000000000000000 was not found (HTTP 404): check the event ID, and that the API key is for the same mode (test or live) as the event. Flatpeak says: "Not Found"',
    );
    outcome.error!.flatpeak.error.eventId.should.equal("evt_000000000000000000000000");
    statusesOf(flow.node()).pop()!.should.eql({ fill: "red", shape: "ring", text: "not found (404)" });
  });

  it("reports a disabled account (422 account_disabled) with what to do", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "event", kind: "status", status: 422 });
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_UNPROCESSABLE", 422);
    error.message.should.containEql("The Flatpeak account is disabled (HTTP 422) fetching event " + FULL.id);
    error.message.should.containEql("Settings → Billing");
    error.message.should.containEql("(account_disabled)");
    outcome.error!.flatpeak.error.apiCode.should.equal("account_disabled");
  });

  it("reports an API version the account does not accept (422 api_version_not_supported)", async function () {
    const flow = await deploy(env.sim, { apiVersion: "2024-08-24.zero" });
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_UNPROCESSABLE", 422);
    error.message.should.containEql('Flatpeak does not accept the API version "2024-08-24.zero" (HTTP 422) logging in at GET /login');
    error.message.should.containEql("api_version_not_supported");
    outcome.error!.flatpeak.error.apiCode.should.equal("api_version_not_supported");
  });

  it("uses other 422 codes and messages as Flatpeak sends them", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({
      route: "event",
      kind: "status",
      status: 422,
      body: { object: "error", type: "invalid_request", code: "no_price_data", message: "No price data available" },
    });
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_UNPROCESSABLE", 422);
    error.message.should.equal(
      `Error: Flatpeak could not process the request (HTTP 422) fetching event ${FULL.id}. Flatpeak says: "No price data available" (no_price_data)`,
    );
  });

  it("reports the rate limit (429) with Retry-After in seconds", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "event", kind: "status", status: 429, headers: { "Retry-After": "30" } });
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_RATE_LIMITED", 429);
    error.message.should.containEql("Flatpeak's rate limit was reached (HTTP 429) fetching event");
    error.message.should.containEql("Flatpeak asks to wait 30 s");
    outcome.error!.flatpeak.error.retryAfter.should.equal(30);
    statusesOf(flow.node()).pop()!.text!.should.equal("rate limited (429)");
  });

  it("reads Retry-After given as an HTTP date", async function () {
    const flow = await deploy(env.sim);
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    env.sim.addFault({ route: "event", kind: "status", status: 429, headers: { "Retry-After": inTwoMinutes } });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.error!.flatpeak.error.retryAfter.should.be.within(115, 121);
  });

  for (const status of [500, 502, 503]) {
    it(`reports a server error (${status})`, async function () {
      const flow = await deploy(env.sim);
      env.sim.addFault({ route: "event", kind: "status", status });
      const outcome = await flow.run({ payload: FULL.id });

      const error = assertError(outcome, "FLATPEAK_SERVER_ERROR", status);
      error.message.should.containEql(`Flatpeak had a server error (HTTP ${status}) fetching event ${FULL.id}: try again later`);
    });
  }

  it("reports another 4xx as a rejected request, with Flatpeak's message", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "event", kind: "status", status: 400, body: { message: "Bad Request" } });
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_BAD_REQUEST", 400);
    error.message.should.containEql('Flatpeak rejected the request (HTTP 400) fetching event');
    error.message.should.containEql('Flatpeak says: "Bad Request"');
  });

  it("reports a redirect as an unexpected answer and does not follow it", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "event", kind: "status", status: 302, headers: { Location: "http://127.0.0.1:9/elsewhere" }, body: {} });
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_BAD_RESPONSE", 302);
    error.message.should.containEql("Unexpected answer from Flatpeak (HTTP 302)");
  });

  it("reports an error body that is plain text", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "event", kind: "status", status: 503, body: "upstream unavailable" });
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_SERVER_ERROR", 503);
    error.message.should.not.containEql("Flatpeak says");
  });

  const badBodies: Array<[string, Fault["kind"], string]> = [
    ["a body that is not JSON", "not-json", "Flatpeak's answer is not JSON (HTTP 200) fetching event"],
    ["JSON that is not an event", "not-event", "Flatpeak's answer is not an event (HTTP 200) fetching event"],
    ["a different event", "wrong-event", "Flatpeak answered with event evt_someOtherEvent000000000000 fetching event"],
    ["a body over 1 MB", "huge", "Flatpeak's answer is larger than 1 MB fetching event"],
  ];
  for (const [label, kind, text] of badBodies) {
    it(`reports ${label} as a bad response`, async function () {
      const flow = await deploy(env.sim);
      env.sim.addFault({ route: "event", kind });
      const outcome = await flow.run({ payload: FULL.id });

      const error = assertError(outcome, "FLATPEAK_BAD_RESPONSE", kind === "huge" ? undefined : 200);
      error.message.should.containEql(text);
    });
  }

  it("reports a connection closed without an answer as a network error", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "event", kind: "reset" });
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_NETWORK", undefined);
    error.message.should.match(/Could not reach Flatpeak at 127\.0\.0\.1:\d+ \(\w+\) fetching event/);
  });

  it("reports a body cut off half way as a network error", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "event", kind: "truncate" });
    const outcome = await flow.run({ payload: FULL.id });

    assertError(outcome, "FLATPEAK_NETWORK", undefined);
  });

  it("reports a server that is not there as a network error", async function () {
    const flow = await deploy(env.sim, { baseUrl: "http://127.0.0.1:9" });
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_NETWORK", undefined);
    error.message.should.equal("Error: Could not reach Flatpeak at 127.0.0.1:9 (ECONNREFUSED) logging in at POST /auth/tokens");
  });

  it("ends a request that gets no answer with a timeout error", async function () {
    const flow = await deploy(env.sim, { timeout: 1 });
    env.sim.addFault({ route: "event", kind: "hang" });
    const started = Date.now();
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_TIMEOUT", undefined);
    error.message.should.equal(`Error: No answer from Flatpeak within 1 s fetching event ${FULL.id}`);
    (Date.now() - started).should.be.below(3000);
    statusesOf(flow.node()).pop()!.text!.should.equal("timed out");
  });

  it("bounds a body that trickles in by the same timeout, not only an idle socket", async function () {
    const flow = await deploy(env.sim, { timeout: 1 });
    env.sim.addFault({ route: "event", kind: "drip" });
    const started = Date.now();
    const outcome = await flow.run({ payload: FULL.id });

    assertError(outcome, "FLATPEAK_TIMEOUT", undefined);
    (Date.now() - started).should.be.below(3000);
  });

  it("applies the timeout to the login too", async function () {
    const flow = await deploy(env.sim, { timeout: 1 });
    env.sim.addFault({ route: "login", kind: "slow", delayMs: 1000 });
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_TIMEOUT", undefined);
    error.message.should.equal("Error: No answer from Flatpeak within 1 s logging in at POST /auth/tokens");
  });

  it("waits for a slow answer within the timeout", async function () {
    const flow = await deploy(env.sim, { timeout: 2 });
    env.sim.addFault({ route: "event", kind: "slow", delayMs: 300 });
    const outcome = await flow.run({ payload: FULL.id });

    outcome.completed.should.be.true();
    outcome.outputs[0].should.have.length(1);
  });

  it("recovers after a fault clears", async function () {
    const flow = await deploy(env.sim);
    env.sim.addFault({ route: "event", kind: "status", status: 503, times: 1 });
    const failed = await flow.run({ payload: FULL.id });
    const recovered = await flow.run({ payload: FULL.id });

    failed.error!.error.code!.should.equal("FLATPEAK_SERVER_ERROR");
    recovered.completed.should.be.true();
    statusesOf(flow.node()).pop()!.fill!.should.equal("green");
  });
});

describe("flatpeak-event: configuration errors", function () {
  const env = useSimulator();

  it("refuses a plain http:// base URL that is not loopback, before any request", async function () {
    const flow = await deploy(env.sim, { baseUrl: "http://api.flatpeak.com" });
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_CONFIG", undefined);
    error.message.should.equal(
      "Error: The base URL of the flatpeak-config node is not usable: use https:// (http:// is allowed only for localhost)",
    );
    env.sim.stats.requests.should.have.length(0);
  });

  it("refuses a base URL with a password in it", async function () {
    const flow = await deploy(env.sim, { baseUrl: "https://user:secret@api.flatpeak.com" });
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_CONFIG", undefined);
    error.message.should.containEql("remove the user name and password");
    error.message.should.not.containEql("secret");
  });

  it("says so when there are no credentials", async function () {
    const flow = await deploy(env.sim, { credentials: {} });
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_CONFIG", undefined);
    error.message.should.containEql("No Flatpeak credentials");
    env.sim.stats.requests.should.have.length(0);
  });

  it("says so when an API key is given without an account ID", async function () {
    const flow = await deploy(env.sim, { credentials: { apiKey: "sk_test_only" } });
    const outcome = await flow.run({ payload: FULL.id });

    assertError(outcome, "FLATPEAK_CONFIG", undefined);
  });

  it("says so when no config node is selected", async function () {
    const flow = await deploy(env.sim, { withoutConfig: true });
    const outcome = await flow.run({ payload: FULL.id });

    const error = assertError(outcome, "FLATPEAK_CONFIG", undefined);
    error.message.should.containEql("No flatpeak-config node is selected");
    statusesOf(flow.node())[0].should.eql({ fill: "red", shape: "ring", text: "no config node" });
  });
});

describe("flatpeak-event: error details", function () {
  const env = useSimulator();

  it("puts only the known details in msg.flatpeak.error", async function () {
    const flow = await deploy(env.sim);
    const invalid = await flow.run({ payload: 42 });
    invalid.error!.flatpeak.error.should.eql({ code: "FLATPEAK_INVALID_INPUT" });

    const missing = await flow.run({ payload: "evt_000000000000000000000000" });
    missing.error!.flatpeak.error.should.eql({ code: "FLATPEAK_NOT_FOUND", statusCode: 404, eventId: "evt_000000000000000000000000" });
  });
});
