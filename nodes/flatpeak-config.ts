/**
 * `flatpeak-config`: holds the Flatpeak credentials and one API client that
 * every node using this config shares (one token, one login, one set of
 * sockets, one limiter). Also answers the editor's "Test connection" button
 * and the price node's location picker.
 */
import type { Node, NodeAPI, NodeDef } from "node-red";
import type { FlatpeakCredentials } from "./lib/client/client";
import { asEditorRequest, listLocations, testConnection, type SavedConfig } from "./lib/editor-requests";
import { createFlatpeakApi, type ApiSettings } from "./lib/flatpeak-api";
import { createTranslator } from "./lib/i18n";
import { CONFIG_LIMITS } from "./lib/settings";
import { SigningKeyCache } from "./lib/webhook/keys";
import type { FlatpeakConfigNode } from "./types";

export = function registerFlatpeakConfig(RED: NodeAPI): void {
  const t = createTranslator(RED._, "flatpeak-config");

  function FlatpeakConfig(this: FlatpeakConfigNode, def: NodeDef & ApiSettings): void {
    RED.nodes.createNode(this, def);
    const { api, clamped } = createFlatpeakApi(def, this.credentials ?? {}, t);
    this.api = api;
    this.signingKeys = new SigningKeyCache({ fetchJwks: (signal) => api.fetchSigningKeys(signal) });
    this.savedBaseUrl = def.baseUrl;
    if (api.problem) this.warn(api.problem.message);
    for (const setting of clamped) this.warn(t("warnings.clamped", { name: setting.name, given: setting.given, used: setting.used }));
    this.on("close", () => api.close());
  }

  RED.nodes.registerType<Node<FlatpeakCredentials>, NodeDef & ApiSettings, unknown, FlatpeakCredentials>("flatpeak-config", FlatpeakConfig as unknown as (this: Node<FlatpeakCredentials>, def: NodeDef & ApiSettings) => void, {
    // Without this the runtime drops what the user typed into these fields at deploy.
    credentials: {
      accountId: { type: "text" },
      apiKey: { type: "password" },
      bearerToken: { type: "password" },
    },
    // The editor reads its defaults and spinner bounds from the runtime's own table.
    settings: { flatpeakConfigLimits: { value: CONFIG_LIMITS, exportable: true } },
  });

  function findSaved(id: string): SavedConfig | undefined {
    const node = RED.nodes.getNode(id) as FlatpeakConfigNode | null;
    if (!node) return undefined;
    return { type: node.type, baseUrl: node.savedBaseUrl, credentials: RED.nodes.getCredentials(id) };
  }

  /**
   * The editor's requests, registered once per load (not per node) and called
   * with relative URLs. Every request gets an answer, whatever it holds:
   * nothing here may reject unhandled.
   */
  function editorRoute(path: string, answer: (body: unknown) => Promise<unknown>): void {
    RED.httpAdmin.post(path, RED.auth.needsPermission("flatpeak-config.write"), (req, res) => {
      answer(req.body).then(
        (result) => res.json(result),
        (err: unknown) => res.status(500).json({ ok: false, message: t("errors.unexpected", { detail: err instanceof Error ? err.message : String(err) }) }),
      );
    });
  }

  editorRoute("/flatpeak-config/test-connection", (body) => testConnection(asEditorRequest(body), findSaved, t));
  editorRoute("/flatpeak-config/locations", (body) => listLocations(asEditorRequest(body), findSaved, t));
};
