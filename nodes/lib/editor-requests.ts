/**
 * What the editor asks the runtime for, with the values of a config dialog
 * (saved or not yet saved): "Test connection" (log in and list one event, and
 * say where the login worked and which API version answered), and the
 * account's locations for the price node's location picker.
 */
import { checkBaseUrl } from "./client/base-url";
import type { FlatpeakCredentials } from "./client/client";
import { isFlatpeakError } from "./client/errors";
import { isPlainObject } from "./client/responses";
import { createFlatpeakApi, type ApiSettings, type FlatpeakApi } from "./flatpeak-api";
import type { Translator } from "./i18n";
import { isLocationId } from "./price/prices";

/** What the editor sends for a password field the user did not change. */
const UNCHANGED_PASSWORD = "__PWRD__";

/** The dialog's current values, and the config node's ID to find saved secrets. */
export interface EditorRequest extends ApiSettings, FlatpeakCredentials {
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

/** A location as the picker lists it: nothing secret, nothing the dialog does not show. */
export interface LocationChoice {
  id: string;
  /** The address, else the reference ID, else empty. */
  label: string;
  timezone: string | null;
  currency: string | null;
}

export type LocationsAnswer = { ok: true; locations: LocationChoice[] } | { ok: false; code?: string; message: string; statusCode?: number };

/** Logs in and lists one event with the dialog's values. */
export async function testConnection(request: EditorRequest, findSaved: (id: string) => SavedConfig | undefined, t: Translator<"flatpeak-config">): Promise<TestAnswer> {
  return withDialogApi(request, findSaved, t, async (api) => {
    const info = await api.checkConnection();
    return { ok: true, liveMode: info.liveMode, version: info.version, loginRoute: info.loginRoute };
  });
}

/** The account's locations (`GET /locations`, every page up to 1000), as the picker shows them. */
export async function listLocations(request: EditorRequest, findSaved: (id: string) => SavedConfig | undefined, t: Translator<"flatpeak-config">): Promise<LocationsAnswer> {
  return withDialogApi(request, findSaved, t, async (api) => {
    const listed = await api.listLocations(new AbortController().signal);
    return { ok: true, locations: listed.map(locationChoice).filter((choice): choice is LocationChoice => choice !== undefined) };
  });
}

/**
 * Runs `use` with a client built from the dialog's values, and turns any
 * failure into an answer. A password field left unchanged arrives as a
 * placeholder; the saved secret is read here, so it never travels to the
 * browser and the answer carries no secret back. It is used only for the
 * saved flatpeak-config node itself and only towards its saved base URL:
 * anyone else must type the key again.
 */
async function withDialogApi<T extends { ok: boolean }>(
  request: EditorRequest,
  findSaved: (id: string) => SavedConfig | undefined,
  t: Translator<"flatpeak-config">,
  use: (api: FlatpeakApi) => Promise<T>,
): Promise<T | { ok: false; code?: string; message: string; statusCode?: number }> {
  const wantsSaved = request.apiKey === UNCHANGED_PASSWORD || request.bearerToken === UNCHANGED_PASSWORD;
  const saved = wantsSaved ? savedCredentialsFor(request, findSaved) : {};
  if (!saved) return { ok: false, code: "FLATPEAK_CONFIG", message: t("errors.retypeSecret") };
  const credentials: FlatpeakCredentials = {
    // The price node's dialog knows the config node but not its account ID: the saved one goes with the saved key.
    accountId: request.accountId ?? saved.accountId,
    apiKey: request.apiKey === UNCHANGED_PASSWORD ? saved.apiKey : request.apiKey,
    bearerToken: request.bearerToken === UNCHANGED_PASSWORD ? saved.bearerToken : request.bearerToken,
  };
  // No retries: the person clicking the button wants the first answer, not one 30 s later.
  const { api } = createFlatpeakApi({ ...request, retries: 0, cacheSize: 0 }, credentials, t);
  try {
    return await use(api);
  } catch (err) {
    if (!isFlatpeakError(err)) return { ok: false, message: t("errors.unexpected", { detail: String(err) }) };
    return { ok: false, message: err.message, code: err.code, statusCode: err.statusCode };
  } finally {
    api.close();
  }
}

/** A listed location as the picker shows it; undefined for anything without a location ID. */
export function locationChoice(raw: unknown): LocationChoice | undefined {
  if (!isPlainObject(raw) || !isLocationId(raw.id)) return undefined;
  const text = (value: unknown): string | null => (typeof value === "string" && value.trim() !== "" ? value.trim().slice(0, 200) : null);
  return {
    id: raw.id,
    label: addressLine(raw.postal_address) ?? text(raw.reference_id) ?? "",
    timezone: text(raw.timezone),
    currency: text(raw.currency_code),
  };
}

/** The address's text parts joined (`1 Station Road, Bristol, BS1 6QF`), whatever they are called. */
function addressLine(address: unknown): string | null {
  if (typeof address === "string") return address.trim().slice(0, 200) || null;
  if (!isPlainObject(address)) return null;
  const parts = Object.entries(address)
    .filter(([key, value]) => typeof value === "string" && value.trim() !== "" && key !== "country_code")
    .map(([, value]) => (value as string).trim());
  return parts.length > 0 ? parts.join(", ").slice(0, 200) : null;
}

function savedCredentialsFor(request: EditorRequest, findSaved: (id: string) => SavedConfig | undefined): FlatpeakCredentials | undefined {
  const saved = request.id ? findSaved(request.id) : undefined;
  if (!saved || saved.type !== "flatpeak-config" || !saved.credentials) return undefined;
  const savedUrl = checkBaseUrl(saved.baseUrl);
  const askedUrl = checkBaseUrl(request.baseUrl);
  if (!savedUrl.ok || !askedUrl.ok || savedUrl.url !== askedUrl.url) return undefined;
  return saved.credentials;
}

/** Keeps only string fields of the known names: the body comes from the network. */
export function asEditorRequest(body: unknown): EditorRequest {
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
