/**
 * What a config node offers the nodes that use it: a Flatpeak API built from
 * the node's settings, or, when those cannot work, a stand-in that fails every
 * request with the reason (the flow keeps running and the Catch node says why).
 */
import { checkBaseUrl } from "./client/base-url";
import { FlatpeakClient, type ConnectionInfo, type FlatpeakCredentials, type ListQuery } from "./client/client";
import type { ListPage } from "./client/responses";
import type { PriceAnswer, PriceQuery } from "./client/dialects";
import { createFailure, type FlatpeakError } from "./client/errors";
import { USER_AGENT } from "./client/package-info";
import { BASE_RETRY_DELAY_MS } from "./client/retry";
import type { Translator } from "./i18n";
import { readConfigNumbers, type ClampedSetting, type ConfigLimitName } from "./settings";
import type { FlatpeakEvent } from "./types";

/** The config node's settings (its `defaults` in the editor); numbers arrive as strings or numbers. */
export interface ApiSettings extends Partial<Record<ConfigLimitName, unknown>> {
  baseUrl?: string;
  apiVersion?: string;
}

export interface FlatpeakApi {
  getEvent(eventId: string, signal?: AbortSignal): Promise<FlatpeakEvent>;
  checkConnection(signal?: AbortSignal): Promise<ConnectionInfo>;
  listEvents(query: ListQuery, signal: AbortSignal): Promise<ListPage>;
  getPrices(query: PriceQuery, signal: AbortSignal): Promise<PriceAnswer>;
  listLocations(signal: AbortSignal): Promise<unknown[]>;
  fetchSigningKeys(signal?: AbortSignal): Promise<unknown>;
  /** Set when the settings cannot work; every request then fails with it. */
  readonly problem?: FlatpeakError;
  close(): void;
}

export interface BuiltApi {
  api: FlatpeakApi;
  /** Settings that were out of bounds or unreadable, for one warning. */
  clamped: ClampedSetting[];
}

export function createFlatpeakApi(settings: ApiSettings, credentials: FlatpeakCredentials, t: Translator<"flatpeak-config">): BuiltApi {
  const { values, clamped } = readConfigNumbers(settings);
  const baseUrl = checkBaseUrl(settings.baseUrl);
  if (!baseUrl.ok) {
    const reason = t(`errors.baseUrlProblem.${baseUrl.problem}`);
    return { api: new UnusableApi(createFailure({ kind: "config", messageKey: "badBaseUrl", vars: { reason } }, t)), clamped };
  }
  const { accountId, apiKey, bearerToken } = trimmed(credentials);
  if (!(accountId && apiKey) && !bearerToken) {
    return { api: new UnusableApi(createFailure({ kind: "config", messageKey: "noCredentials" }, t)), clamped };
  }
  const api = new FlatpeakClient({
    baseUrl: baseUrl.url,
    apiVersion: settings.apiVersion?.trim() || undefined,
    timeoutMs: values.timeout * 1000,
    credentials: { accountId, apiKey, bearerToken },
    translate: t,
    userAgent: USER_AGENT,
    retry: { retries: values.retries, baseDelayMs: BASE_RETRY_DELAY_MS, maxDelayMs: values.maxBackoff * 1000 },
    concurrency: values.concurrency,
    queueSize: values.queueSize,
    cacheSize: values.cacheSize,
  });
  return { api, clamped };
}

class UnusableApi implements FlatpeakApi {
  constructor(readonly problem: FlatpeakError) {}
  getEvent(): Promise<FlatpeakEvent> {
    return Promise.reject(this.problem);
  }
  checkConnection(): Promise<ConnectionInfo> {
    return Promise.reject(this.problem);
  }
  listEvents(): Promise<ListPage> {
    return Promise.reject(this.problem);
  }
  getPrices(): Promise<PriceAnswer> {
    return Promise.reject(this.problem);
  }
  listLocations(): Promise<unknown[]> {
    return Promise.reject(this.problem);
  }
  fetchSigningKeys(): Promise<unknown> {
    return Promise.reject(this.problem);
  }
  close(): void {}
}

/** Pasted keys often carry a stray space or newline; anything that is not a string (possible through the admin API) counts as absent. */
function trimmed(credentials: FlatpeakCredentials): FlatpeakCredentials {
  const text = (value: unknown): string | undefined => (typeof value === "string" ? value.trim() || undefined : undefined);
  return { accountId: text(credentials.accountId), apiKey: text(credentials.apiKey), bearerToken: text(credentials.bearerToken) };
}
