/**
 * `flatpeak-config`: holds the Flatpeak credentials and one API client that
 * every event node using this config shares (one token, one login, one set
 * of sockets). Also answers the editor's "Test connection" button.
 */
import type { Node, NodeAPI, NodeDef } from "node-red";
import type { FlatpeakCredentials } from "./lib/client/client";
import { asTestRequest, testConnection } from "./lib/connection-test";
import { createFlatpeakApi, type ApiSettings, type FlatpeakConfigNode } from "./lib/flatpeak-api";
import { createTranslator } from "./lib/i18n";

export = function registerFlatpeakConfig(RED: NodeAPI): void {
  const t = createTranslator(RED._, "flatpeak-config");

  function FlatpeakConfig(this: Node<FlatpeakCredentials>, def: NodeDef & ApiSettings): void {
    RED.nodes.createNode(this, def);
    const api = createFlatpeakApi(def, this.credentials ?? {}, t);
    (this as FlatpeakConfigNode).api = api;
    if (api.problem) this.warn(api.problem.message);
    this.on("close", () => api.close());
  }

  RED.nodes.registerType<Node<FlatpeakCredentials>, NodeDef & ApiSettings, unknown, FlatpeakCredentials>("flatpeak-config", FlatpeakConfig, {
    // Without this the runtime drops what the user typed into these fields at deploy.
    credentials: {
      accountId: { type: "text" },
      apiKey: { type: "password" },
      bearerToken: { type: "password" },
    },
  });

  // Registered once per load, not per node: the editor calls it with a relative URL.
  RED.httpAdmin.post("/flatpeak-config/test-connection", RED.auth.needsPermission("flatpeak-config.write"), (req, res) => {
    void testConnection(asTestRequest(req.body), (id) => RED.nodes.getCredentials(id) as FlatpeakCredentials | undefined, t).then((answer) =>
      res.json(answer),
    );
  });
};
