/**
 * What a config node offers its event nodes: a Flatpeak API built from the
 * node's settings, or, when those cannot work, a stand-in that fails every
 * request with the reason (the flow keeps running and the Catch node says why).
 */
import { checkBaseUrl } from "./base-url";
import { FlatpeakClient, type FlatpeakCredentials } from "./client";
import { createFailure, type FlatpeakError } from "./errors";
import type { Translator } from "./i18n";
import { USER_AGENT } from "./package-info";
import type { FlatpeakEvent } from "./types";
import type { Node } from "node-red";

export const DEFAULT_TIMEOUT_SECONDS = 15;

/** The config node's settings (its `defaults` in the editor). */
export interface ApiSettings {
  baseUrl?: string;
  apiVersion?: string;
  /** Seconds per HTTP request. */
  timeout?: string | number;
}

export interface FlatpeakApi {
  getEvent(eventId: string, signal?: AbortSignal): Promise<FlatpeakEvent>;
  readonly loginCount: number;
  /** Set when the settings cannot work; every request then fails with it. */
  readonly problem?: FlatpeakError;
  close(): void;
}

/** A deployed config node, as event nodes see it through `RED.nodes.getNode`. */
export interface FlatpeakConfigNode extends Node<FlatpeakCredentials> {
  api: FlatpeakApi;
}

export function createFlatpeakApi(settings: ApiSettings, credentials: FlatpeakCredentials, t: Translator): FlatpeakApi {
  const baseUrl = checkBaseUrl(settings.baseUrl);
  if (!baseUrl.ok) {
    const reason = t(`errors.baseUrlProblem.${baseUrl.problem}`);
    return new UnusableApi(createFailure({ kind: "config", messageKey: "badBaseUrl", vars: { reason } }, t));
  }
  const { accountId, apiKey, bearerToken } = trimmed(credentials);
  if (!(accountId && apiKey) && !bearerToken) {
    return new UnusableApi(createFailure({ kind: "config", messageKey: "noCredentials" }, t));
  }
  return new FlatpeakClient({
    baseUrl: baseUrl.url,
    apiVersion: settings.apiVersion?.trim() || undefined,
    timeoutMs: timeoutSeconds(settings.timeout) * 1000,
    credentials: { accountId, apiKey, bearerToken },
    translate: t,
    userAgent: USER_AGENT,
  });
}

class UnusableApi implements FlatpeakApi {
  readonly loginCount = 0;
  constructor(readonly problem: FlatpeakError) {}
  getEvent(): Promise<FlatpeakEvent> {
    return Promise.reject(this.problem);
  }
  close(): void {}
}

function timeoutSeconds(value: string | number | undefined): number {
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_TIMEOUT_SECONDS;
}

/** Pasted keys often carry a stray space or newline. */
function trimmed(credentials: FlatpeakCredentials): FlatpeakCredentials {
  return {
    accountId: credentials.accountId?.trim() || undefined,
    apiKey: credentials.apiKey?.trim() || undefined,
    bearerToken: credentials.bearerToken?.trim() || undefined,
  };
}
