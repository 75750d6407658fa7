/**
 * What a config node offers its event nodes: a Flatpeak API built from the
 * node's settings, or, when those cannot work, a stand-in that fails every
 * request with the reason (the flow keeps running and the Catch node says why).
 */
import { checkBaseUrl } from "./client/base-url";
import { DEFAULT_CACHE_SIZE, DEFAULT_CONCURRENCY, DEFAULT_QUEUE_SIZE, FlatpeakClient, type ConnectionInfo, type FlatpeakCredentials } from "./client/client";
import { createFailure, type FlatpeakError } from "./client/errors";
import type { Translator } from "./i18n";
import { USER_AGENT } from "./client/package-info";
import { DEFAULT_RETRY_POLICY } from "./client/retry";
import type { FlatpeakEvent } from "./types";
import type { Node } from "node-red";

export const DEFAULT_TIMEOUT_SECONDS = 15;

/** The config node's settings (its `defaults` in the editor). */
export interface ApiSettings {
  baseUrl?: string;
  apiVersion?: string;
  /** Seconds per HTTP request. */
  timeout?: string | number;
  /** Retries after a network error, timeout, 5xx or 429. */
  retries?: string | number;
  /** Longest single wait between retries, in seconds. */
  maxBackoff?: string | number;
  /** Requests to Flatpeak at the same time. */
  concurrency?: string | number;
  /** Messages that may wait for a turn before new ones are refused. */
  queueSize?: string | number;
  /** Events kept in memory; 0 = no cache. */
  cacheSize?: string | number;
}

export interface FlatpeakApi {
  getEvent(eventId: string, signal?: AbortSignal): Promise<FlatpeakEvent>;
  checkConnection(signal?: AbortSignal): Promise<ConnectionInfo>;
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
    timeoutMs: numberSetting(settings.timeout, DEFAULT_TIMEOUT_SECONDS, 0.001) * 1000,
    credentials: { accountId, apiKey, bearerToken },
    translate: t,
    userAgent: USER_AGENT,
    retry: {
      ...DEFAULT_RETRY_POLICY,
      retries: Math.floor(numberSetting(settings.retries, DEFAULT_RETRY_POLICY.retries, 0)),
      maxDelayMs: numberSetting(settings.maxBackoff, DEFAULT_RETRY_POLICY.maxDelayMs / 1000, 0) * 1000,
    },
    concurrency: Math.floor(numberSetting(settings.concurrency, DEFAULT_CONCURRENCY, 1)),
    queueSize: Math.floor(numberSetting(settings.queueSize, DEFAULT_QUEUE_SIZE, 0)),
    cacheSize: Math.floor(numberSetting(settings.cacheSize, DEFAULT_CACHE_SIZE, 0)),
  });
}

class UnusableApi implements FlatpeakApi {
  readonly loginCount = 0;
  constructor(readonly problem: FlatpeakError) {}
  getEvent(): Promise<FlatpeakEvent> {
    return Promise.reject(this.problem);
  }
  checkConnection(): Promise<ConnectionInfo> {
    return Promise.reject(this.problem);
  }
  close(): void {}
}

/** A number from the editor (a string there, maybe empty): the default when absent, unreadable or below `minimum`. */
function numberSetting(value: string | number | undefined, fallback: number, minimum: number): number {
  if (value === undefined || value === "") return fallback;
  const number = Number(value);
  return Number.isFinite(number) && number >= minimum ? number : fallback;
}

/** Pasted keys often carry a stray space or newline. */
function trimmed(credentials: FlatpeakCredentials): FlatpeakCredentials {
  return {
    accountId: credentials.accountId?.trim() || undefined,
    apiKey: credentials.apiKey?.trim() || undefined,
    bearerToken: credentials.bearerToken?.trim() || undefined,
  };
}
