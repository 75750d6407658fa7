/**
 * How the readers say what was wrong: a stable code the node maps to a
 * translated text, with the values that text may show. Never an exception.
 */

/**
 * A reason a value cannot be used: a stable code (the node maps it to a
 * translated text) and the values that text may show.
 */
export interface Problem<Code extends string> {
  code: Code;
  vars?: Record<string, string | number>;
}

export type Outcome<Value, Code extends string> = ({ ok: true } & Value) | { ok: false; problem: Problem<Code> };

/** At most 40 characters of what was sent, so a problem text stays short. */
export function preview(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (value === undefined) text = "undefined";
  else if (typeof value === "number" || typeof value === "boolean" || value === null) text = String(value);
  else if (Array.isArray(value)) text = `array(${value.length})`;
  else text = typeof value;
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

