import should from "should";
import { SIMULATOR_ACCOUNT_ID, SIMULATOR_API_KEY } from "../simulator/server";
import flatpeakConfig = require("../nodes/flatpeak-config");
import { deploy, helper, useSimulator } from "./support/harness";

const ENDPOINT = "/flatpeak-config/test-connection";

async function test(body: Record<string, unknown>): Promise<any> {
  const response = await helper.request().post(ENDPOINT).send(body).expect(200);
  return response.body;
}

describe("flatpeak-config: Test connection button", function () {
  const env = useSimulator();

  it("logs in and lists an event with the dialog's values, and says which mode the key is", async function () {
    await deploy(env.sim);
    const answer = await test({ baseUrl: env.sim.url, accountId: SIMULATOR_ACCOUNT_ID, apiKey: SIMULATOR_API_KEY });

    answer.should.eql({ ok: true, liveMode: false, version: "2026-08-01.busbar", loginRoute: "POST /auth/tokens" });
    env.sim.stats.requests.map((r) => [r.route, r.path, r.status]).should.eql([
      ["login", "/auth/tokens", 200],
      ["list", "/events", 200],
    ]);
  });

  it("uses the saved key when the password field was left unchanged", async function () {
    await deploy(env.sim);
    const answer = await test({ id: "config1", baseUrl: env.sim.url, accountId: SIMULATOR_ACCOUNT_ID, apiKey: "__PWRD__" });

    answer.ok.should.be.true();
  });

  it("reports a refused login with the reason, and sends no secret back", async function () {
    await deploy(env.sim);
    const wrongKey = "sk_test_wrong_key_for_test_button";
    const response = await helper.request().post(ENDPOINT).send({ baseUrl: env.sim.url, accountId: SIMULATOR_ACCOUNT_ID, apiKey: wrongKey }).expect(200);

    response.body.should.match({ ok: false, code: "FLATPEAK_AUTH", statusCode: 403 });
    response.body.message.should.startWith("Flatpeak refused the login (POST /auth/tokens: HTTP 403; GET /login: HTTP 404)");
    response.text.should.not.containEql(wrongKey);
    response.text.should.not.containEql(SIMULATOR_ACCOUNT_ID);
  });

  it("checks a bearer token given directly", async function () {
    await deploy(env.sim);
    const answer = await test({ baseUrl: env.sim.url, bearerToken: "made-up-token-123" });

    answer.should.match({ ok: false, code: "FLATPEAK_AUTH" });
    answer.message.should.containEql("checking the connection");
  });

  it("explains settings that cannot work without making a request", async function () {
    await deploy(env.sim);
    const plainHttp = await test({ baseUrl: "http://api.flatpeak.com", accountId: "acc_1", apiKey: "sk_1" });
    const noKey = await test({ baseUrl: env.sim.url, accountId: "acc_1" });

    plainHttp.should.match({ ok: false, code: "FLATPEAK_CONFIG" });
    noKey.should.match({ ok: false, code: "FLATPEAK_CONFIG" });
    env.sim.stats.requests.should.have.length(0);
  });

  it("reports an API version Flatpeak refuses, and an unreachable server", async function () {
    await deploy(env.sim);
    const version = await test({ baseUrl: env.sim.url, apiVersion: "2024-08-24.zero", accountId: SIMULATOR_ACCOUNT_ID, apiKey: SIMULATOR_API_KEY });
    const down = await test({ baseUrl: "http://127.0.0.1:9", accountId: SIMULATOR_ACCOUNT_ID, apiKey: SIMULATOR_API_KEY, timeout: 2 });

    version.should.match({ ok: false, code: "FLATPEAK_UNPROCESSABLE", statusCode: 422 });
    down.should.match({ ok: false, code: "FLATPEAK_NETWORK" });
  });

  it("ignores fields it does not know and values of the wrong type", async function () {
    await deploy(env.sim);
    const answer = await test({ baseUrl: env.sim.url, accountId: SIMULATOR_ACCOUNT_ID, apiKey: { $gt: "" }, __proto__: { polluted: true } });

    answer.should.match({ ok: false, code: "FLATPEAK_CONFIG" });
    should(({} as any).polluted).be.undefined();
  });
});

describe("flatpeak-config: editor endpoint registration", function () {
  it("registers Test connection and the location list, each protected by the flatpeak-config.write permission", function () {
    const routes: Array<{ path: string; handlers: unknown[] }> = [];
    const permissionCheck = (): void => undefined;
    const permissions: string[] = [];
    const fakeRed: any = {
      _: (key: string) => key,
      nodes: { registerType: () => undefined, createNode: () => undefined, getCredentials: () => undefined },
      auth: {
        needsPermission: (permission: string) => {
          permissions.push(permission);
          return permissionCheck;
        },
      },
      httpAdmin: { post: (path: string, ...handlers: unknown[]) => routes.push({ path, handlers }) },
    };
    flatpeakConfig(fakeRed);

    routes.map((route) => route.path).should.eql([ENDPOINT, "/flatpeak-config/locations"]);
    for (const route of routes) should(route.handlers[0]).equal(permissionCheck);
    permissions.should.eql(["flatpeak-config.write", "flatpeak-config.write"]);
  });
});
