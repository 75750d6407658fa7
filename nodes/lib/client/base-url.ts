const DEFAULT_BASE_URL = "https://api.flatpeak.com";

export type BaseUrlCheck =
  | { ok: true; url: string }
  | { ok: false; problem: "invalid" | "protocol" | "credentials" | "query" };

/**
 * Checks a configured base URL. Plain `http://` would send the API key and
 * token in clear text, so it is allowed only for loopback hosts (tests and the
 * bundled simulator). Returns the URL without a trailing slash.
 */
export function checkBaseUrl(raw: string | undefined): BaseUrlCheck {
  const text = (raw ?? "").trim() || DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, problem: "invalid" };
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    return { ok: false, problem: "protocol" };
  }
  if (url.username || url.password) return { ok: false, problem: "credentials" };
  if (url.search || url.hash) return { ok: false, problem: "query" };
  return { ok: true, url: url.origin + url.pathname.replace(/\/+$/, "") };
}

/** `localhost`, `127.0.0.0/8` or `[::1]`, as WHATWG URL parsing normalises them. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host === "[::1]") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
