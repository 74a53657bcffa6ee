/**
 * The server's one logger (Probot's, pino-http's replacement, the app's and Octokit's lines all go
 * through it) and what it never writes: every line is redacted at the stream, after serialisation,
 * so that no field, message, error or nested object can carry a credential out.
 *
 * Redacted: the values of sensitive keys at any depth (Authorization, X-Gitlab-Token,
 * X-Hub-Signature*, cookies, `token`, `secret`, `password`…), every configured secret's value
 * wherever it appears (and every line of the private key), token-shaped strings (ghs_…, glpat-…,
 * `Bearer …`) and the user-info part of URLs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { getTransformStream } from "@probot/pino";
import { pino, type Logger } from "pino";

export const REDACTED = "[REDACTED]";

/** Shorter values are not secrets worth the name, and replacing them would shred every line. */
const MIN_SECRET_LENGTH = 4;
/** Secrets named explicitly (the GitHub App, GitLab, /metrics, image names, Redis, AWS). */
const SECRET_ENV = ["WEBHOOK_SECRET", "GITLAB_WEBHOOK_SECRET", "GITLAB_TOKEN", "MLREVIEW_METRICS_TOKEN", "MLREVIEW_IMAGE_KEY", "PRIVATE_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "SENTRY_DSN"];
/** Any other variable named like a credential (a tracker's token, an operator's own addition); paths, URLs and ids are not. */
const SECRET_NAME = /(^|_)(SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|ACCESS_KEY|CREDENTIALS?)(_|$)/i;
const NOT_SECRET_NAME = /_(PATH|FILE|URL|ENV|ID|NAME)$/i;
/** Keys whose value is a credential wherever they appear in a logged object (header names included). */
const SENSITIVE_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-gitlab-token|private-token|job-token|x-api-key|x-hub-signature.*|.*(secret|password|passwd)|token|access_?token|refresh_?token|.*_token|private_?key|jit_?config|encoded_jit_config)$/i;
const SENSITIVE_KEY_IN_LINE =
  /"(authorization|proxy-authorization|cookie|set-cookie|x-gitlab-token|private-token|job-token|x-api-key|x-hub-signature[^"]*|[^"]*(secret|password|passwd)|token|access_?token|refresh_?token|[^"]*_token|private_?key|jit_?config|encoded_jit_config)":/i;
/**
 * Credentials recognisable by their shape even when not configured: GitHub tokens (installation
 * tokens are minted at run time), GitLab tokens, JWTs (the app's own), HTTP auth schemes, and a
 * URL's user:password@. Every pattern is linear in the line's length (log lines carry payload
 * text): maximal runs of token characters are found first, then looked into.
 */
const TOKEN_RUN = /[A-Za-z0-9_.+/=~-]{16,4096}/g;
const TOKEN_PREFIXES = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glimt-", "gloas-", "glsoat-"];
const AUTH_SCHEME = /\b(Bearer|Basic|token)(\s{1,16})[A-Za-z0-9._~+/=-]{16,4096}/gi;
const URL_USERINFO = /:\/\/[^\s/@"'\\]{1,256}@/g;

/** A run of token characters that holds a known token (a prefix at a word start, then 16 or more) or a JWT. */
function tokenShaped(run: string): boolean {
  for (const p of TOKEN_PREFIXES) {
    for (let i = run.indexOf(p); i !== -1; i = run.indexOf(p, i + 1)) {
      if ((i === 0 || !/[A-Za-z0-9]/.test(run[i - 1]!)) && /^[A-Za-z0-9_-]{16}/.test(run.slice(i + p.length, i + p.length + 16))) return true;
    }
  }
  return run.includes("eyJ") && run.split(".").length >= 3;
}

function scrubShapes(s: string): string {
  return s
    .replace(TOKEN_RUN, (run) => (tokenShaped(run) ? REDACTED : run))
    .replace(AUTH_SCHEME, `$1$2${REDACTED}`)
    .replace(URL_USERINFO, `://${REDACTED}@`);
}

/** The values to keep out of every line: configured secrets (with the private key's lines), never shorter than MIN_SECRET_LENGTH. */
export function secretValues(env: Record<string, string | undefined>, cwd = process.cwd()): string[] {
  const found = new Set<string>();
  const add = (v: string | undefined) => {
    if (v && v.length >= MIN_SECRET_LENGTH) found.add(v);
  };
  for (const [name, value] of Object.entries(env)) {
    if (SECRET_ENV.includes(name) || (SECRET_NAME.test(name) && !NOT_SECRET_NAME.test(name))) add(value);
  }
  // Passwords inside connection URLs (REDIS_URL=redis://:pw@host).
  for (const [name, value] of Object.entries(env)) {
    if (!/_URL$/.test(name) || !value) continue;
    try {
      const u = new URL(value);
      add(decodeURIComponent(u.password));
      add(u.password);
    } catch {
      // not a URL
    }
  }
  const key = privateKeyText(env, cwd);
  if (key) {
    add(key);
    add(key.replace(/\n/g, "\\n"));
    // A partial dump (one line of the key's base64) is as bad as the whole key.
    for (const line of key.split(/\r?\n/)) if (!line.startsWith("-----") && line.trim().length >= 16) add(line.trim());
  }
  return [...found].sort((a, b) => b.length - a.length);
}

/** The private key as Probot finds it (PRIVATE_KEY, \n-escaped or base64; else PRIVATE_KEY_PATH; else a lone *.pem in cwd). */
function privateKeyText(env: Record<string, string | undefined>, cwd: string): string | undefined {
  let key = env.PRIVATE_KEY;
  if (key) {
    if (!key.includes("-----BEGIN") && Buffer.from(key, "base64").toString("base64") === key) {
      key = Buffer.from(key, "base64").toString();
    }
    return key.replace(/\\n/g, "\n");
  }
  try {
    if (env.PRIVATE_KEY_PATH) return readFileSync(resolve(cwd, env.PRIVATE_KEY_PATH), "utf8");
    const pems = readdirSync(cwd).filter((f) => f.endsWith(".pem"));
    if (pems.length === 1) return readFileSync(resolve(cwd, pems[0]!), "utf8");
  } catch {
    // no key readable: nothing to redact
  }
  return undefined;
}

export interface Redactor {
  /** One serialised JSON log line (pino's), redacted; stays valid JSON. */
  line(s: string): string;
  /** Any text (console output, a crash), redacted. */
  text(s: string): string;
}

export function createRedactor(secrets: readonly string[]): Redactor {
  // The longest first, so that a secret containing another is replaced whole.
  const raw = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  // How each appears inside a JSON string: the fast check on a serialised line.
  const escaped = raw.map((s) => JSON.stringify(s).slice(1, -1));
  const scrub = (s: string): string => {
    let out = s;
    for (const secret of raw) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return scrubShapes(out);
  };
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") return scrub(v);
    if (v === null || typeof v !== "object" || depth > 32) return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[scrub(k)] = SENSITIVE_KEY.test(k) && x !== null && x !== "" ? REDACTED : walk(x, depth + 1);
    return out;
  };
  const suspicious = (s: string) => escaped.some((e) => s.includes(e)) || SENSITIVE_KEY_IN_LINE.test(s) || scrubShapes(s) !== s;
  return {
    line(s) {
      if (!suspicious(s)) return s;
      const eol = s.endsWith("\n") ? "\n" : "";
      try {
        return JSON.stringify(walk(JSON.parse(s), 0)) + eol;
      } catch {
        return this.text(s);
      }
    },
    text(s) {
      let out = scrub(s);
      for (let i = 0; i < raw.length; i++) if (out.includes(escaped[i]!)) out = out.split(escaped[i]!).join(REDACTED);
      return out;
    },
  };
}

export interface LogOptions {
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Values to keep out of every line beyond the environment's own secrets: what the settings resolved from variables the sources file names, whatever their names. */
  secrets?: readonly string[];
}

/**
 * The logger Probot is given (run()'s and createProbot's `log`): Probot's own formatting (pretty,
 * or JSON with LOG_FORMAT=json or NODE_ENV=production; LOG_LEVEL, LOG_LEVEL_IN_STRING,
 * LOG_MESSAGE_KEY, SENTRY_DSN, as Probot reads them), every line redacted before it is formatted,
 * sent to Sentry or written.
 */
export async function createLogger(o: LogOptions): Promise<{ log: Logger; redactor: Redactor }> {
  const { env } = o;
  const redactor = createRedactor([...secretValues(env, o.cwd), ...(o.secrets ?? [])]);
  const logFormat = env.LOG_FORMAT ? (env.LOG_FORMAT === "pretty" ? "pretty" : "json") : env.NODE_ENV === "production" ? "json" : "pretty";
  const transform = await getTransformStream({ logFormat, logLevelInString: env.LOG_LEVEL_IN_STRING === "true", ...(env.SENTRY_DSN ? { sentryDsn: env.SENTRY_DSN } : {}) });
  transform.pipe(pino.destination(1) as unknown as NodeJS.WritableStream);
  const log = pino(
    {
      level: env.LOG_LEVEL || "info",
      name: "probot",
      messageKey: env.LOG_MESSAGE_KEY || "msg",
      hooks: { streamWrite: (s) => redactor.line(s) },
    },
    transform,
  );
  return { log, redactor };
}

/**
 * What is written to stdout and stderr outside the logger (console.*, Probot's own console lines,
 * the start-up error) goes through the same redaction.
 */
export function redactStdio(redactor: Redactor): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === "string") return write(redactor.text(chunk), ...rest);
      if (chunk instanceof Uint8Array) return write(redactor.text(Buffer.from(chunk).toString("utf8")), ...rest.map((r) => (typeof r === "string" ? "utf8" : r)));
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}
