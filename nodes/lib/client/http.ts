/**
 * The HTTP transport: one axios instance per config node, keep-alive sockets,
 * a hard deadline per request, and every transport failure turned into a
 * plain description (never the axios error, which holds the request headers).
 */
import http from "node:http";
import https from "node:https";
import axios, { type AxiosInstance } from "axios";
import { deadline } from "./abort";
import { isLoopbackHost } from "./base-url";

/** Flatpeak events are a few kilobytes; anything near this is not one. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export type HttpMethod = "GET" | "POST";

export interface HttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

export type TransportProblem =
  | { problem: "timeout" }
  | { problem: "cancelled" }
  | { problem: "too-large" }
  /** The body was compressed and does not decompress: the server sent something broken. */
  | { problem: "corrupt" }
  /** A header value we would send has a character HTTP forbids (a pasted token with a stray character). */
  | { problem: "invalid-header" }
  | { problem: "network"; networkCode: string };

/** Thrown by `HttpTransport.get` when no HTTP response arrived in full. */
export class TransportFailure extends Error {
  constructor(readonly failure: TransportProblem) {
    super(failure.problem);
  }
}

export interface TransportOptions {
  timeoutMs: number;
  userAgent: string;
  /** Decides the proxy: never one for a loopback host, where http:// would show the Basic header to it. */
  baseUrl: string;
}

export class HttpTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private readonly client: AxiosInstance;

  constructor(private readonly options: TransportOptions) {
    this.client = axios.create({
      // The deadline below bounds the whole exchange; axios' own timeout only watches an idle socket.
      timeout: 0,
      maxRedirects: 0,
      maxContentLength: MAX_RESPONSE_BYTES,
      responseType: "text",
      // Keep the raw text: we report a body that is not JSON instead of passing a string on.
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      // Without `false` axios takes HTTP(S)_PROXY from the environment; otherwise it honours it (and NO_PROXY).
      ...(isLoopbackHost(new URL(options.baseUrl).hostname) ? { proxy: false as const } : {}),
    });
  }

  /**
   * One exchange: GET, or POST with a JSON body. Resolves with any HTTP status;
   * rejects with a TransportFailure. Any of `signals` cancels it.
   */
  async request(method: HttpMethod, url: string, headers: Record<string, string>, body: unknown, signals: Array<AbortSignal | undefined>): Promise<HttpResponse> {
    const limit = deadline(this.options.timeoutMs, ...signals);
    try {
      const response = await this.client.request<string>({
        method,
        url,
        headers: { Accept: "application/json", "User-Agent": this.options.userAgent, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
        // Serialised here: axios would otherwise guess from the value's type.
        data: body === undefined ? undefined : JSON.stringify(body),
        signal: limit.signal,
      });
      return {
        status: response.status,
        headers: lowerCaseHeaders(response.headers),
        body: typeof response.data === "string" ? response.data : "",
      };
    } catch (err) {
      throw new TransportFailure(describeTransportError(err, limit.timedOut()));
    } finally {
      limit.dispose();
    }
  }

  /** Closes idle keep-alive sockets; requests in flight are ended by their signals. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** zlib's codes for a compressed body that does not decompress (gzip, deflate, brotli). */
const ZLIB_ERRORS = new Set(["Z_DATA_ERROR", "Z_BUF_ERROR", "Z_NEED_DICT"]);

function describeTransportError(err: unknown, timedOut: boolean): TransportProblem {
  if (timedOut) return { problem: "timeout" };
  if (axios.isCancel(err)) return { problem: "cancelled" };
  const code = typeof (err as { code?: unknown })?.code === "string" ? (err as { code: string }).code : "";
  const message = err instanceof Error ? err.message : "";
  if (message.includes("maxContentLength")) return { problem: "too-large" };
  if (code === "ERR_CANCELED") return { problem: "cancelled" };
  if (code === "ERR_INVALID_CHAR" || code === "ERR_HTTP_INVALID_HEADER_VALUE") return { problem: "invalid-header" };
  if (ZLIB_ERRORS.has(code)) return { problem: "corrupt" };
  // ERR_BAD_RESPONSE without a size problem means the body was cut off.
  return { problem: "network", networkCode: code && code !== "ERR_BAD_RESPONSE" ? code : "ECONNRESET" };
}

function lowerCaseHeaders(headers: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value === "string") result[name.toLowerCase()] = value;
    else if (Array.isArray(value)) result[name.toLowerCase()] = value.join(", ");
    else if (typeof value === "number") result[name.toLowerCase()] = String(value);
  }
  return result;
}

/**
 * `Retry-After` in seconds: either delta-seconds or an HTTP date. Undefined
 * when absent or unreadable (Flatpeak does not document that it sends one).
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  // An HTTP date names its weekday and month; Date.parse alone would take "-5" as a year.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}
