/**
 * The one owner of login: keeps the bearer token in memory, logs in where the
 * account's API version logs in (dialects.ts; one login at a time, shared by
 * every waiting request), renews before expiry, decides whether a rejected
 * token is worth a fresh login, and holds back logins for a while after
 * Flatpeak refused one.
 */
import { untilAborted } from "./abort";
import { isFlatpeakError, type FlatpeakError } from "./errors";
import { isAuthRejection, type FlatpeakRequester, type RequestTarget } from "./requester";
import { loginRoutesFor, readTokenAnswer, triesNextLoginRoute, type LoginRoute, type TokenAnswer } from "./dialects";
import type { HttpResponse } from "./http";
import { parseJson } from "./responses";

export interface TokenManagerOptions {
  requester: FlatpeakRequester;
  /** Both needed to log in; without them only `initialToken` is used. */
  accountId?: string;
  apiKey?: string;
  /** A bearer token configured directly: used until Flatpeak rejects it. */
  initialToken?: string;
  /** The API version pinned in the config node: decides where to log in (see dialects). */
  pinnedVersion?: string;
  /** Monotonic milliseconds; replaceable in tests. */
  now?: () => number;
}

/** What one successful login told us. `expiresInSeconds` undefined: Flatpeak did not say, so only a 401/403 retires the token. */
export type LoginResult = TokenAnswer;

/** Renew this long before expiry, but never more than a tenth of the token's life. */
const RENEWAL_MARGIN_MS = 60_000;
/** After Flatpeak refuses the login, every login fails at once for this long instead of asking again. */
export const LOGIN_REFUSAL_COOLDOWN_MS = 30_000;

interface HeldToken {
  value: string;
  renewAt: number;
  /**
   * False for a token that a rejection made us fetch, until Flatpeak accepts it
   * once: if it is rejected too, the refusal is about the request, not the
   * token, and another login would only cost one `/login` per message.
   */
  proven: boolean;
}

export class TokenManager {
  private held: HeldToken | undefined;
  private pendingLogin: Promise<string> | undefined;
  private refusal: { error: FlatpeakError; until: number } | undefined;
  private learnedLiveMode: boolean | undefined;
  /** Set when a refused token was dropped: the next login's token must prove itself. */
  private replacingRefused = false;
  private readonly requester: FlatpeakRequester;
  private readonly basicAuth: string | undefined;
  private readonly now: () => number;
  /** Where to log in, in order; narrowed to the one route that worked once one has. */
  private routes: readonly LoginRoute[];
  private workedRoute: LoginRoute | undefined;

  constructor(options: TokenManagerOptions) {
    this.requester = options.requester;
    this.now = options.now ?? (() => performance.now());
    this.routes = loginRoutesFor(options.pinnedVersion);
    const { accountId, apiKey, initialToken } = options;
    this.basicAuth = accountId && apiKey ? Buffer.from(`${accountId}:${apiKey}`, "utf8").toString("base64") : undefined;
    this.requester.secrets.addConfigured(accountId, apiKey, initialToken, this.basicAuth);
    if (initialToken) this.held = { value: initialToken, renewAt: Number.POSITIVE_INFINITY, proven: true };
  }

  get canLogin(): boolean {
    return this.basicAuth !== undefined;
  }

  /** From the last login's answer: whether the key is a live (not test) key. Unknown with a bearer token given directly. */
  get liveMode(): boolean | undefined {
    return this.learnedLiveMode;
  }

  /** The login route that worked (`POST /auth/tokens`), once a login has. */
  get loginRoute(): string | undefined {
    return this.workedRoute?.label;
  }

  /** A token that is not due for renewal, logging in if needed. */
  get(signal?: AbortSignal): Promise<string> {
    const held = this.held;
    if (held && (this.now() < held.renewAt || !this.canLogin)) return Promise.resolve(held.value);
    if (!this.canLogin) return Promise.reject(this.requester.failure({ kind: "config", messageKey: "noCredentials" }));
    return untilAborted(this.sharedLogin(), signal);
  }

  /** Flatpeak accepted a request with this token. */
  accepted(token: string): void {
    if (this.held?.value === token) this.held.proven = true;
  }

  /**
   * Flatpeak refused a request with `token` (401/403). True when a fresh login
   * is worth a retry: the token is still the current one and has been accepted
   * before, or a newer one has replaced it meanwhile (concurrent refusals of one
   * stale token then cause one login, not many).
   */
  rejected(token: string): boolean {
    if (!this.canLogin) return false;
    const held = this.held;
    if (!held || held.value !== token) return true;
    if (!held.proven) return false;
    this.held = undefined;
    this.replacingRefused = true;
    return true;
  }

  clear(): void {
    this.held = undefined;
  }

  private sharedLogin(): Promise<string> {
    if (!this.pendingLogin) {
      const login = this.loginWithRetries();
      this.pendingLogin = login.finally(() => {
        this.pendingLogin = undefined;
      });
      // A login nobody waits for any more (all waiters cancelled) must not become an unhandled rejection.
      this.pendingLogin.catch(() => undefined);
    }
    return this.pendingLogin;
  }

  private async loginWithRetries(): Promise<string> {
    if (this.refusal && this.now() < this.refusal.until) throw this.refusal.error;
    const started = this.now();
    try {
      const result = await this.requester.retrying(() => this.login(), this.requester.closing);
      this.refusal = undefined;
      this.requester.secrets.addToken(result.token);
      if (result.liveMode !== undefined) this.learnedLiveMode = result.liveMode;
      this.held = { value: result.token, renewAt: renewalTime(started, result.expiresInSeconds), proven: !this.replacingRefused };
      this.replacingRefused = false;
      return result.token;
    } catch (err) {
      if (isFlatpeakError(err) && err.kind === "auth") this.refusal = { error: err, until: this.now() + LOGIN_REFUSAL_COOLDOWN_MS };
      throw err;
    }
  }

  /**
   * One login: each route in turn until one answers 200. A route that is
   * missing or refused (404, 405, 401, 403) passes to the next; the login is
   * refused only when every route refused. The route that worked is the only
   * one tried from then on, for the life of this manager (the config node's).
   */
  private async login(): Promise<LoginResult> {
    const misses: LoginMiss[] = [];
    for (const route of this.routes) {
      const target: RequestTarget = { operation: "login", vars: { route: route.label } };
      const response = await this.requester.send(route.request, { Authorization: `Basic ${this.basicAuth!}` }, target, this.requester.closing);
      if (response.status === 200) {
        this.routes = [route];
        this.workedRoute = route;
        return this.readAnswer(response, target);
      }
      if (!triesNextLoginRoute(response.status)) throw this.requester.statusFailure(response, target);
      misses.push({ route, response });
    }
    throw this.loginFailure(misses);
  }

  private readAnswer(response: HttpResponse, target: RequestTarget): LoginResult {
    const answer = readTokenAnswer(parseJson(response.body));
    if (!answer) throw this.requester.failure({ kind: "bad-response", messageKey: "loginInvalid", statusCode: response.status, ...target });
    return answer;
  }

  /**
   * Every route refused. A 401/403 says the credentials were refused somewhere:
   * that is what the person must fix. Only 404/405 everywhere means there is no
   * login at this base URL at all.
   */
  private loginFailure(misses: LoginMiss[]): FlatpeakError {
    const refused = misses.find((miss) => isAuthRejection(miss.response.status));
    const decisive = refused ?? misses[misses.length - 1];
    const routes = misses.map((miss) => `${miss.route.label}: HTTP ${miss.response.status}`).join("; ");
    const target: RequestTarget = { operation: "login", vars: { route: decisive.route.label, routes } };
    return this.requester.statusFailure(decisive.response, target, refused ? "loginRefused" : "loginMissing");
  }
}

interface LoginMiss {
  route: LoginRoute;
  response: HttpResponse;
}

function renewalTime(issuedAt: number, expiresInSeconds: number | undefined): number {
  if (expiresInSeconds === undefined || !Number.isFinite(expiresInSeconds) || expiresInSeconds <= 0) {
    return Number.POSITIVE_INFINITY;
  }
  const lifetimeMs = expiresInSeconds * 1000;
  return issuedAt + lifetimeMs - Math.min(RENEWAL_MARGIN_MS, lifetimeMs / 10);
}
