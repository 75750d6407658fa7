/**
 * Everything that must never be echoed back to a person, should a server or a
 * proxy put it into an error body: the configured keys, the Basic header value
 * made from them, and every token issued while a request may still carry it.
 */

/** Tokens replaced recently may still be on a request in flight; a few are enough. */
const RECENT_TOKENS = 8;
/** Shorter strings are not secrets, and masking them would garble ordinary words. */
const MIN_SECRET_LENGTH = 4;

export class SecretMask {
  private readonly configured = new Set<string>();
  private readonly tokens: string[] = [];

  addConfigured(...secrets: Array<string | undefined>): void {
    for (const secret of secrets) if (secret && secret.length >= MIN_SECRET_LENGTH) this.configured.add(secret);
  }

  addToken(token: string): void {
    if (token.length < MIN_SECRET_LENGTH || this.tokens.includes(token)) return;
    this.tokens.push(token);
    if (this.tokens.length > RECENT_TOKENS) this.tokens.shift();
  }

  /** Text from the server, made safe to show: control characters dropped, then secrets masked, length capped. */
  clean(text: string, maxLength = 200): string {
    return maskText(text, [...this.configured, ...this.tokens], maxLength);
  }
}

export function maskText(text: string, secrets: readonly string[], maxLength = 200): string {
  // Stripping first: a control character inside an echoed secret must not hide it from the mask.
  // Line breaks and tabs separate words, so they become spaces; the others go.
  // eslint-disable-next-line no-control-regex
  let safe = text.replace(/[\t\n\r]+/g, " ").replace(/[\u0000-\u001f\u007f]+/g, "");
  // Longest first, so a secret that contains another is masked whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= MIN_SECRET_LENGTH) safe = safe.split(secret).join("***");
  }
  safe = safe.replace(/\s+/g, " ").trim();
  return safe.length > maxLength ? `${safe.slice(0, maxLength)}…` : safe;
}
