/**
 * The editor's "Test connection" button: log in and list one event with the
 * values in the config dialog, saved or not yet saved, and say where the login
 * worked and which API version answered.
 */
import { checkBaseUrl } from "./client/base-url";
import type { FlatpeakCredentials } from "./client/client";
import { isFlatpeakError } from "./client/errors";
import { createFlatpeakApi, type ApiSettings } from "./flatpeak-api";
import type { Translator } from "./i18n";

/** What the editor sends for a password field the user did not change. */
const UNCHANGED_PASSWORD = "__PWRD__";

/** The dialog's current values, and the config node's ID to find saved secrets. */
export interface TestRequest extends ApiSettings, FlatpeakCredentials {
  id?: string;
}

/** A deployed node as the runtime knows it: what decides whether its saved secrets may be used. */
export interface SavedConfig {
  type: string;
  /** The base URL it was deployed with, as configured. */
  baseUrl: string | undefined;
  credentials: FlatpeakCredentials | undefined;
}

export interface TestAnswer {
  ok: boolean;
  liveMode?: boolean;
  /** The API version pinned or named by Flatpeak's answers; where the login worked. Neither is secret. */
  version?: string;
  loginRoute?: string;
  message?: string;
  code?: string;
  statusCode?: number;
}

/**
 * Logs in and lists one event with the dialog's values. A password field left
 * unchanged arrives as a placeholder; the saved secret is read here, so it
 * never travels to the browser and the answer carries no secret back. It is
 * used only for the saved flatpeak-config node itself and only towards its
 * saved base URL: anyone else must type the key again.
 */
export async function testConnection(request: TestRequest, findSaved: (id: string) => SavedConfig | undefined, t: Translator<"flatpeak-config">): Promise<TestAnswer> {
  const wantsSaved = request.apiKey === UNCHANGED_PASSWORD || request.bearerToken === UNCHANGED_PASSWORD;
  const saved = wantsSaved ? savedCredentialsFor(request, findSaved) : {};
  if (!saved) return { ok: false, code: "FLATPEAK_CONFIG", message: t("errors.retypeSecret") };
  const credentials: FlatpeakCredentials = {
    accountId: request.accountId,
    apiKey: request.apiKey === UNCHANGED_PASSWORD ? saved.apiKey : request.apiKey,
    bearerToken: request.bearerToken === UNCHANGED_PASSWORD ? saved.bearerToken : request.bearerToken,
  };
  // No retries: the person clicking the button wants the first answer, not one 30 s later.
  const { api } = createFlatpeakApi({ ...request, retries: 0, cacheSize: 0 }, credentials, t);
  try {
    const info = await api.checkConnection();
    return { ok: true, liveMode: info.liveMode, version: info.version, loginRoute: info.loginRoute };
  } catch (err) {
    if (!isFlatpeakError(err)) return { ok: false, message: t("errors.unexpected", { detail: String(err) }) };
    return { ok: false, message: err.message, code: err.code, statusCode: err.statusCode };
  } finally {
    api.close();
  }
}

function savedCredentialsFor(request: TestRequest, findSaved: (id: string) => SavedConfig | undefined): FlatpeakCredentials | undefined {
  const saved = request.id ? findSaved(request.id) : undefined;
  if (!saved || saved.type !== "flatpeak-config" || !saved.credentials) return undefined;
  const savedUrl = checkBaseUrl(saved.baseUrl);
  const askedUrl = checkBaseUrl(request.baseUrl);
  if (!savedUrl.ok || !askedUrl.ok || savedUrl.url !== askedUrl.url) return undefined;
  return saved.credentials;
}

/** Keeps only string fields of the known names: the body comes from the network. */
export function asTestRequest(body: unknown): TestRequest {
  const source = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const text = (name: string): string | undefined => {
    const value = source[name];
    if (typeof value === "string") return value;
    return typeof value === "number" ? String(value) : undefined;
  };
  return {
    id: text("id"),
    baseUrl: text("baseUrl"),
    apiVersion: text("apiVersion"),
    timeout: text("timeout"),
    accountId: text("accountId"),
    apiKey: text("apiKey"),
    bearerToken: text("bearerToken"),
  };
}
