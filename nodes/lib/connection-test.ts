/**
 * The editor's "Test connection" button: log in and list one event with the
 * values in the config dialog, saved or not yet saved.
 */
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

export interface TestAnswer {
  ok: boolean;
  liveMode?: boolean;
  message?: string;
  code?: string;
  statusCode?: number;
}

/**
 * Logs in and lists one event with the dialog's values. A password field left
 * unchanged arrives as a placeholder, so the saved secret is read here: it
 * never travels to the browser, and the answer carries no secret back.
 */
export async function testConnection(
  request: TestRequest,
  savedCredentials: (id: string) => FlatpeakCredentials | undefined,
  t: Translator,
): Promise<TestAnswer> {
  const saved = (request.id && savedCredentials(request.id)) || {};
  const credentials: FlatpeakCredentials = {
    accountId: request.accountId,
    apiKey: request.apiKey === UNCHANGED_PASSWORD ? saved.apiKey : request.apiKey,
    bearerToken: request.bearerToken === UNCHANGED_PASSWORD ? saved.bearerToken : request.bearerToken,
  };
  // No retries: the person clicking the button wants the first answer, not one 30 s later.
  const api = createFlatpeakApi({ ...request, retries: 0, cacheSize: 0 }, credentials, t);
  try {
    const info = await api.checkConnection();
    return { ok: true, liveMode: info.liveMode };
  } catch (err) {
    if (!isFlatpeakError(err)) return { ok: false, message: t("errors.unexpected", { detail: String(err) }) };
    return { ok: false, message: err.message, code: err.code, statusCode: err.statusCode };
  } finally {
    api.close();
  }
}

/** Keeps only string fields of the known names: the body comes from the network. */
export function asTestRequest(body: unknown): TestRequest {
  const source = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const text = (name: string): string | undefined => (typeof source[name] === "string" ? source[name] : typeof source[name] === "number" ? String(source[name]) : undefined);
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
