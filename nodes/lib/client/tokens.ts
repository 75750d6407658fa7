/**
 * Keeps the bearer token in memory and decides when to log in. One login at a
 * time: every request that needs a token while a login is under way waits for
 * that same login.
 */
import { untilAborted } from "./abort";

export interface IssuedToken {
  token: string;
  /** Seconds from issue; undefined when Flatpeak did not say (then only a 401/403 retires it). */
  expiresInSeconds?: number;
}

export interface TokenManagerOptions {
  /** Logs in and returns a fresh token. Absent when only a bearer token was configured. */
  login?: () => Promise<IssuedToken>;
  /** A bearer token configured directly: used until Flatpeak rejects it. */
  initialToken?: string;
  /** Error for a waiter whose own signal aborted. */
  cancelled: () => Error;
  /** Error when there is no token and no way to get one. */
  noCredentials: () => Error;
  now?: () => number;
}

/** Renew this long before expiry, but never more than a tenth of the token's life. */
const RENEWAL_MARGIN_MS = 60_000;

export class TokenManager {
  private token: string | undefined;
  private renewAt = Number.POSITIVE_INFINITY;
  private pendingLogin: Promise<string> | undefined;
  private logins = 0;
  private readonly now: () => number;

  constructor(private readonly options: TokenManagerOptions) {
    this.token = options.initialToken || undefined;
    this.now = options.now ?? Date.now;
  }

  get canLogin(): boolean {
    return this.options.login !== undefined;
  }

  /** How many logins this manager has started (for the benchmark and tests). */
  get loginCount(): number {
    return this.logins;
  }

  /** The token in use, if any; only for masking it in texts from the server. */
  get currentToken(): string | undefined {
    return this.token;
  }

  /** A token that is not due for renewal, logging in if needed. */
  async get(signal?: AbortSignal): Promise<string> {
    if (this.token !== undefined && this.now() < this.renewAt) return this.token;
    if (!this.options.login) {
      if (this.token !== undefined) return this.token;
      throw this.options.noCredentials();
    }
    return untilAborted(this.sharedLogin(this.options.login), signal, this.options.cancelled);
  }

  /**
   * Flatpeak refused this token. Forget it, unless a newer one has replaced it
   * meanwhile: concurrent refusals of one stale token then cause one login, not many.
   */
  reject(token: string): void {
    if (this.token === token) {
      this.token = undefined;
      this.renewAt = Number.POSITIVE_INFINITY;
    }
  }

  clear(): void {
    this.token = undefined;
    this.renewAt = Number.POSITIVE_INFINITY;
  }

  private sharedLogin(login: () => Promise<IssuedToken>): Promise<string> {
    if (!this.pendingLogin) {
      this.logins += 1;
      const started = this.now();
      this.pendingLogin = login()
        .then((issued) => {
          this.token = issued.token;
          this.renewAt = renewalTime(started, issued.expiresInSeconds);
          return issued.token;
        })
        .finally(() => {
          this.pendingLogin = undefined;
        });
      // A login nobody waits for any more (all waiters cancelled) must not become an unhandled rejection.
      this.pendingLogin.catch(() => undefined);
    }
    return this.pendingLogin;
  }
}

function renewalTime(issuedAt: number, expiresInSeconds: number | undefined): number {
  if (expiresInSeconds === undefined || !Number.isFinite(expiresInSeconds) || expiresInSeconds <= 0) {
    return Number.POSITIVE_INFINITY;
  }
  const lifetimeMs = expiresInSeconds * 1000;
  return issuedAt + lifetimeMs - Math.min(RENEWAL_MARGIN_MS, lifetimeMs / 10);
}
