/**
 * A forge credential out of an error before it is logged, retried or written into a report: a server
 * (or a proxy) may echo the Authorization header or the token in its message, and an HTTP client's
 * error carries the request and the response whole. What is kept: a message and a stack with every
 * given secret replaced, the HTTP status, and the cause (redacted the same way).
 */
export const REDACTED = "[REDACTED]";

/** Shorter values are not tokens; replacing them would shred the message. */
const MIN_SECRET_LENGTH = 8;
/** How deep a cause chain is followed (a loop of causes stops here). */
const MAX_CAUSES = 5;

export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= MIN_SECRET_LENGTH && out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** Does the text of `e` (message, stack, own fields such as an HTTP response, causes) hold a secret? */
function holds(e: unknown, secrets: readonly string[]): boolean {
  let text: string;
  try {
    text = e instanceof Error ? `${e.message}\n${e.stack ?? ""}\n${JSON.stringify({ ...e })}` : (JSON.stringify(e) ?? String(e));
  } catch {
    text = String(e);
  }
  return secrets.some((s) => text.includes(s)) || (e instanceof Error && e.cause !== undefined && e.cause !== e && holds(e.cause, secrets));
}

/**
 * `e` itself when no secret is in it; else an error of the same class (instanceof still holds) with
 * only a redacted message, name, stack, the HTTP status and a redacted cause: the fields that held the
 * secret (a response body, the request) are left out.
 */
export function redactError(e: unknown, secrets: readonly (string | undefined)[], depth = 0): unknown {
  const list = secrets.filter((s): s is string => typeof s === "string" && s.length >= MIN_SECRET_LENGTH);
  if (list.length === 0 || !holds(e, list)) return e;
  if (!(e instanceof Error)) return redactText(typeof e === "string" ? e : String(e), list);
  const clean = Object.create(Object.getPrototypeOf(e) as object) as Error;
  Object.defineProperty(clean, "message", { value: redactText(e.message, list), writable: true, configurable: true });
  Object.defineProperty(clean, "stack", { value: redactText(e.stack ?? "", list), writable: true, configurable: true });
  if (Object.prototype.hasOwnProperty.call(e, "name")) clean.name = e.name;
  const status = (e as { status?: unknown }).status;
  if (typeof status === "number") Object.assign(clean, { status });
  if (e.cause !== undefined && depth < MAX_CAUSES) clean.cause = redactError(e.cause, list, depth + 1);
  return clean;
}
