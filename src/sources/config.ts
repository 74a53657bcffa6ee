import { readFileSync } from "node:fs";
import { z } from "zod";
import { DEFAULT_LIMITS } from "../formats/limits.js";
import { toPlain } from "../formats/value.js";
import { parseYaml } from "../formats/yaml.js";
import { describeIssues } from "../project/schema.js";

/**
 * The sources file (MLREVIEW_SOURCES, DESIGN §9), owned by whoever runs the bot and never read from a
 * repository: a repository names its DVC remotes and trackers, the operator decides which of them the
 * bot may contact (an unlisted one is an SSRF: a repository could point the bot at its metadata service).
 * Secrets are never in this file: an entry names the environment variable that holds them.
 */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected the name of an environment variable");

const remoteUrl = z
  .string()
  .min(1)
  .refine((u) => /^(s3|gs|azure|https?):\/\/[^/?#@\s]+(\/[^?#\s]*)?$/.test(u), "expected an s3://, gs://, azure:// or http(s):// URL prefix without credentials");

const dvcRemote = z.strictObject({
  /** A repository's remote is allowed when its URL is this one or below it (on a path boundary). */
  url: remoteUrl,
  /** S3-compatible endpoint (MinIO, Ceph, IBM COS) or emulator; the repository's own `endpointurl` is ignored. */
  endpoint: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).optional(),
  region: z
    .string()
    .regex(/^[a-z0-9-]+$/, "expected a region such as us-east-1")
    .optional(),
  /** S3: a profile of the bot's AWS config; else the SDK's default credential chain. */
  profile: z.string().min(1).optional(),
  /** GCS: a service-account key file; else Application Default Credentials. */
  credentials_file: z.string().min(1).optional(),
  /** HTTP basic auth user; the password is in password_env. */
  user: z.string().min(1).optional(),
  /** HTTP: the password (basic) or the header value (custom_auth_header). */
  password_env: envName.optional(),
  /** HTTP custom auth: the header that carries password_env's value (DVC's `auth = custom`). */
  custom_auth_header: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, "expected an HTTP header name")
    .optional(),
  /** Azure: a connection string (account key or SAS); else anonymous or the default credential. */
  connection_string_env: envName.optional(),
  /** Public bucket or container: no credentials are sent. */
  anonymous: z.boolean().optional(),
});

const tracker = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
  token_env: envName.optional(),
  api_key_env: envName.optional(),
});

export const sourcesSchema = z.strictObject({
  dvc_remotes: z.array(dvcRemote).default([]),
  mlflow: z.array(tracker).default([]),
  wandb: z.array(tracker).default([]),
  comet: z.array(tracker).default([]),
});

/**
 * An entry as the bot uses it: the file's fields, plus the values of the variables its `*_env` fields
 * name, resolved once by the settings (src/app/settings.ts) from the bot's environment. The file cannot
 * set these (its schema is strict); the stores and trackers never read an environment themselves.
 */
export type DvcRemoteRule = z.infer<typeof dvcRemote> & {
  /** password_env's value (HTTP basic password or custom header value). */
  readonly password?: string;
  /** connection_string_env's value (Azure). */
  readonly connection_string?: string;
};
export type TrackerRule = z.infer<typeof tracker> & {
  /** token_env's value. */
  readonly token?: string;
  /** api_key_env's value. */
  readonly api_key?: string;
};
export interface SourcesConfig {
  dvc_remotes: DvcRemoteRule[];
  mlflow: TrackerRule[];
  wandb: TrackerRule[];
  comet: TrackerRule[];
}

/** The sources file's text, parsed and checked; one line per problem (never a secret: only names are in it). */
export function parseSourcesConfig(text: string, file = "sources.yml"): SourcesConfig {
  let raw: unknown;
  try {
    raw = toPlain(parseYaml(text, DEFAULT_LIMITS));
  } catch (e) {
    throw new SourcesConfigError(`${file}: ${(e as Error).message}`);
  }
  const checked = sourcesSchema.safeParse(raw ?? {});
  if (!checked.success) throw new SourcesConfigError(`${file}: ${describeIssues(checked.error.issues)}`);
  return checked.data;
}

export class SourcesConfigError extends Error {
  override readonly name = "SourcesConfigError";
}

export function loadSourcesConfig(path: string): SourcesConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new SourcesConfigError(`${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  return parseSourcesConfig(text, path);
}

/**
 * The file's entries with the values of the variables they name, from `env` (the bot's environment,
 * read once by the settings), and one line per variable that is not set: a missing secret is found at
 * start-up, not on a PR. Only names are in the lines, never a value.
 */
export function resolveSourceSecrets(config: SourcesConfig, env: Readonly<Record<string, string | undefined>>): { config: SourcesConfig; missing: string[] } {
  const missing: string[] = [];
  const value = (where: string, field: string, name: string | undefined): string | undefined => {
    if (name === undefined) return undefined;
    const v = env[name];
    if (!v) missing.push(`${where}.${field} names ${name}, which is not set`);
    return v || undefined;
  };
  const dvc_remotes = config.dvc_remotes.map((r, i) => {
    const password = value(`dvc_remotes[${i}]`, "password_env", r.password_env);
    const connection_string = value(`dvc_remotes[${i}]`, "connection_string_env", r.connection_string_env);
    return { ...r, ...(password !== undefined ? { password } : {}), ...(connection_string !== undefined ? { connection_string } : {}) };
  });
  const trackers = (kind: "mlflow" | "wandb" | "comet") =>
    config[kind].map((t, i) => {
      const token = value(`${kind}[${i}]`, "token_env", t.token_env);
      const api_key = value(`${kind}[${i}]`, "api_key_env", t.api_key_env);
      return { ...t, ...(token !== undefined ? { token } : {}), ...(api_key !== undefined ? { api_key } : {}) };
    });
  return { config: { dvc_remotes, mlflow: trackers("mlflow"), wandb: trackers("wandb"), comet: trackers("comet") }, missing };
}

/** The resolved secrets of a sources config: values every log line is scrubbed of. */
export function sourceSecretValues(config: SourcesConfig): string[] {
  const out: string[] = [];
  for (const r of config.dvc_remotes) out.push(...[r.password, r.connection_string].filter((v): v is string => v !== undefined));
  for (const t of [...config.mlflow, ...config.wandb, ...config.comet]) out.push(...[t.token, t.api_key].filter((v): v is string => v !== undefined));
  return out;
}

/** No file: the bot contacts no DVC remote and no tracker. */
export const NO_SOURCES: SourcesConfig = Object.freeze({ dvc_remotes: [], mlflow: [], wandb: [], comet: [] });

/**
 * The operator's rule that allows `url`, if any: the same URL or one below it, on a path boundary
 * (`s3://acme-ml/dvc` allows `s3://acme-ml/dvc/x` but not `s3://acme-ml/dvc-other`).
 */
export function allowedBy<T extends { url: string }>(rules: readonly T[], url: string): T | undefined {
  const target = normaliseUrl(url);
  if (target === undefined) return undefined;
  return rules.find((r) => {
    const prefix = normaliseUrl(r.url);
    return prefix !== undefined && (target === prefix || target.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`));
  });
}

/** Scheme and host lower-cased, no dot segments, no credentials, no query or fragment; undefined if any of that fails. */
export function normaliseUrl(url: string): string | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)$/.exec(url.trim());
  if (!m) return undefined;
  const [, scheme, host, path] = m;
  if (!host || host.includes("@")) return undefined;
  const segments = path!.split("/");
  if (segments.some((s) => s === ".." || s === "." || /%2e|%2f|%5c|\\/i.test(s))) return undefined;
  return `${scheme!.toLowerCase()}://${host.toLowerCase()}${path!.replace(/\/{2,}/g, "/")}`;
}
