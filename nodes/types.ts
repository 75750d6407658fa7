/** The Node-RED side of what the nodes share (kept out of `lib/`, which knows nothing of Node-RED). */
import type { Node } from "node-red";
import type { FlatpeakCredentials } from "./lib/client/client";
import type { FlatpeakApi } from "./lib/flatpeak-api";
import type { SigningKeyCache } from "./lib/webhook/keys";

/** A deployed config node, as the other nodes see it through `RED.nodes.getNode`. */
export interface FlatpeakConfigNode extends Node<FlatpeakCredentials> {
  api: FlatpeakApi;
  /** Webhook signing keys of this account, shared by every webhook node that uses it. */
  signingKeys: SigningKeyCache;
  /** The base URL as deployed: saved secrets may be tested only against it. */
  savedBaseUrl: string | undefined;
}
