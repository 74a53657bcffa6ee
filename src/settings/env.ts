/**
 * The bot's environment as one zod schema (DESIGN §4–§7, README "Configuration"): one entry per
 * variable, in the order problems are reported, each message one line naming the variable and what
 * is expected, never its value (most are secrets). Its output is the settings object
 * (src/app/settings.ts); the operator's files (MLREVIEW_RUNNERS, MLREVIEW_SOURCES) are read and
 * parsed here, once.
 */
import { createHmac } from "node:crypto";
import { resolve } from "node:path";
import { z } from "zod";
import { IMAGE_STORE_LIMITS } from "../forges/image-store.js";
import { DEFAULT_CONCURRENCY } from "../queue/task.js";
import { parseRunnersConfig, type RunnersConfig } from "../runners/config.js";
import { DEFAULT_HTTP_LIMITS, HTTP_LIMIT_ENV, HTTP_LIMIT_RANGES, type HttpLimits } from "../server/http-limits.js";
import { NO_SOURCES, parseSourcesConfig, resolveSourceSecrets, type SourcesConfig } from "../sources/config.js";
import type { AppSettings } from "../app/settings.js";
import { dataDirProblem, oneLine, privateKeyProblem, readOperatorFile } from "./files.js";

export interface EnvSchemaOptions {
  /** Where relative paths (PRIVATE_KEY_PATH, MLREVIEW_DATA_DIR, the operator's files, a lone *.pem) are resolved. */
  cwd: string;
  /** Probot's setup mode: the GitHub App does not exist yet, so its credentials are not required. */
  setupMode: boolean;
}

const MB = 1024 * 1024;
const DAY_MS = 24 * 3600 * 1000;
/** Probot's default path for GitHub deliveries (@octokit/webhooks'). */
export const DEFAULT_WEBHOOK_PATH = "/api/github/webhooks";
const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** Whole-number settings: the variable, its range, its unit in the settings (bytes, ms), and its default there. */
export const NUMBERS = {
  MLREVIEW_CONCURRENCY: { min: 1, max: 256, unit: 1, what: "tasks run at once", default: DEFAULT_CONCURRENCY },
  MLREVIEW_REPORT_IMAGES: { min: 0, max: 10_000, unit: 1, what: "images one report may publish", default: IMAGE_STORE_LIMITS.reportFiles },
  MLREVIEW_REPORT_IMAGES_MB: { min: 1, max: 10_000, unit: MB, what: "MB of images one report may publish", default: IMAGE_STORE_LIMITS.reportBytes },
  MLREVIEW_IMAGE_STORE_MB: { min: 1, max: 10_000_000, unit: MB, what: "MB the image store may hold", default: IMAGE_STORE_LIMITS.totalBytes },
  MLREVIEW_IMAGE_STORE_DAYS: { min: 1, max: 36_500, unit: DAY_MS, what: "days an image is kept after its last use", default: IMAGE_STORE_LIMITS.maxAgeMs },
} as const;

/** An empty variable counts as unset (`FOO=` in an env file). */
const unset = (v: unknown) => (v === "" ? undefined : v);
const text = (name: string) => z.string({ error: `${name} must be text` });
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(unset, schema.optional());
const oneOf = <const T extends readonly [string, ...string[]]>(name: string, values: T, message?: string) => optional(z.enum(values, { error: message ?? `${name} must be one of ${values.join(", ")}` }));

function isUrl(s: string, protocols: readonly string[]): boolean {
  try {
    const u = new URL(s);
    return protocols.includes(u.protocol) && u.hostname !== "";
  } catch {
    return false;
  }
}
const url = (name: string, protocols: readonly string[], message: string) => optional(text(name).refine((s) => isUrl(s, protocols), message));
const httpUrl = (name: string, example?: string) => url(name, ["http:", "https:"], `${name} must be an http(s) URL${example ? `, e.g. ${example}` : ""}`);

/** A whole number in [min, max] (digits only: no sign, no fraction, no exponent), times `unit`. */
function whole(name: string, message: string, min: number, max: number, unit = 1, digits = 12) {
  return optional(
    text(name)
      .refine((s) => new RegExp(`^\\d{1,${digits}}$`).test(s) && Number(s) >= min && Number(s) <= max, message)
      .transform((s) => Number(s) * unit),
  );
}
const numberSetting = (name: keyof typeof NUMBERS) => {
  const n = NUMBERS[name];
  return whole(name, `${name} must be a whole number from ${n.min} to ${n.max} (${n.what})`, n.min, n.max, n.unit);
};
const httpLimit = (key: keyof HttpLimits) => {
  const [lo, hi] = HTTP_LIMIT_RANGES[key];
  return whole(HTTP_LIMIT_ENV[key], `${HTTP_LIMIT_ENV[key]} must be a whole number from ${lo} to ${hi}`, lo, hi, 1, 9);
};

/** An operator's file: read relative to cwd and parsed once; a problem is one line prefixed with the variable. */
function operatorFile<T>(name: string, cwd: string, parse: (text: string, file: string) => T) {
  return optional(
    text(name).transform((value, ctx): T => {
      const read = readOperatorFile(name, value, cwd);
      if ("problem" in read) {
        ctx.addIssue({ code: "custom", message: read.problem });
        return z.NEVER;
      }
      try {
        return parse(read.text, value);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: `${name}: ${oneLine((e as Error).message)}` });
        return z.NEVER;
      }
    }),
  );
}

/** The schema's shape, in the order problems are reported. */
function shape(o: EnvSchemaOptions) {
  return {
    // The GitHub App (required outside setup mode: see the refinement below).
    APP_ID: optional(
      text("APP_ID")
        .regex(/^[1-9]\d{0,15}$/, "APP_ID must be the GitHub App's numeric id (digits only)")
        .transform(Number),
    ),
    PRIVATE_KEY: optional(text("PRIVATE_KEY")),
    PRIVATE_KEY_PATH: optional(text("PRIVATE_KEY_PATH")),
    WEBHOOK_SECRET: optional(text("WEBHOOK_SECRET")),
    // Probot's server and logging.
    PORT: optional(
      text("PORT")
        .refine((s) => /^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65_535, "PORT must be a TCP port number from 1 to 65535")
        .transform(Number),
    ),
    HOST: optional(text("HOST")),
    LOG_LEVEL: oneOf("LOG_LEVEL", LOG_LEVELS),
    LOG_FORMAT: oneOf("LOG_FORMAT", ["json", "pretty"], "LOG_FORMAT must be json or pretty"),
    GHE_HOST: optional(text("GHE_HOST").regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, "GHE_HOST must be a host name (and optional :port) without a scheme or path, e.g. github.example.com")),
    GHE_PROTOCOL: oneOf("GHE_PROTOCOL", ["https", "http"], "GHE_PROTOCOL must be https or http"),
    WEBHOOK_PROXY_URL: httpUrl("WEBHOOK_PROXY_URL"),
    WEBHOOK_PATH: optional(text("WEBHOOK_PATH").regex(/^\/[\x21-\x7e]*$/, "WEBHOOK_PATH must be a URL path starting with /, e.g. /api/github/webhooks")),
    MLREVIEW_HTTP_HEADERS_TIMEOUT_MS: httpLimit("headersTimeoutMs"),
    MLREVIEW_HTTP_REQUEST_TIMEOUT_MS: httpLimit("requestTimeoutMs"),
    MLREVIEW_HTTP_IDLE_TIMEOUT_MS: httpLimit("idleTimeoutMs"),
    MLREVIEW_HTTP_MAX_CONNECTIONS: httpLimit("maxConnections"),
    // mlreview's own.
    MLREVIEW_PUBLIC_URL: httpUrl("MLREVIEW_PUBLIC_URL", "https://mlreview.example.com"),
    MLREVIEW_IMAGES: oneOf("MLREVIEW_IMAGES", ["serve", "branch"], "MLREVIEW_IMAGES must be serve or branch"),
    MLREVIEW_IMAGE_KEY: optional(text("MLREVIEW_IMAGE_KEY").min(16, "MLREVIEW_IMAGE_KEY must be at least 16 characters (it keys the image names)")),
    MLREVIEW_DATA_DIR: optional(
      text("MLREVIEW_DATA_DIR")
        .transform((s) => resolve(o.cwd, s))
        .superRefine((dir, ctx) => {
          const p = dataDirProblem(dir);
          if (p) ctx.addIssue({ code: "custom", message: `MLREVIEW_DATA_DIR ${p}` });
        }),
    ),
    MLREVIEW_METRICS_TOKEN: optional(text("MLREVIEW_METRICS_TOKEN").min(16, "MLREVIEW_METRICS_TOKEN must be at least 16 characters")),
    MLREVIEW_CONCURRENCY: numberSetting("MLREVIEW_CONCURRENCY"),
    MLREVIEW_REPORT_IMAGES: numberSetting("MLREVIEW_REPORT_IMAGES"),
    MLREVIEW_REPORT_IMAGES_MB: numberSetting("MLREVIEW_REPORT_IMAGES_MB"),
    MLREVIEW_IMAGE_STORE_MB: numberSetting("MLREVIEW_IMAGE_STORE_MB"),
    MLREVIEW_IMAGE_STORE_DAYS: numberSetting("MLREVIEW_IMAGE_STORE_DAYS"),
    // GitLab: all or none (see the refinement below).
    GITLAB_TOKEN: optional(text("GITLAB_TOKEN")),
    GITLAB_WEBHOOK_SECRET: optional(text("GITLAB_WEBHOOK_SECRET")),
    GITLAB_URL: httpUrl("GITLAB_URL", "https://gitlab.com or https://git.example.com/gitlab"),
    // The operator's files: GPU runners, and the sources (DVC remotes, trackers) the bot may contact.
    MLREVIEW_RUNNERS: operatorFile<{ file: string; config: RunnersConfig }>("MLREVIEW_RUNNERS", o.cwd, (t, file) => ({ file, config: parseRunnersConfig(t, file) })),
    MLREVIEW_SOURCES: operatorFile<SourcesConfig>("MLREVIEW_SOURCES", o.cwd, parseSourcesConfig),
    // The queue (unset: in-process, one replica).
    REDIS_URL: url("REDIS_URL", ["redis:", "rediss:"], "REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://redis:6379"),
  };
}

/** The order problems are reported in: the shape's. */
export const VARIABLE_ORDER: readonly string[] = Object.keys(shape({ cwd: ".", setupMode: true }));

type Parsed = z.output<z.ZodObject<ReturnType<typeof shape>>> & Record<string, unknown>;

/** What needs more than one variable: credentials outside setup mode, the GitHub key, GitLab's set, images, the HTTP timeouts, the sources' secrets. */
function crossChecks(o: EnvSchemaOptions, raw: Readonly<Record<string, string | undefined>>) {
  return (v: Parsed, ctx: z.RefinementCtx) => {
    // Marked so that, for the same variable, they come before the field's own problem (validate.ts's order).
    const problem = (variable: string, message: string) => ctx.addIssue({ code: "custom", message, path: [variable], params: { cross: true } });
    const set = (name: string) => raw[name] !== undefined && raw[name] !== "";
    if (!o.setupMode) {
      if (!set("APP_ID")) problem("APP_ID", `APP_ID is not set: the GitHub App's id${raw.NODE_ENV === "production" ? " (to create the app, start once without NODE_ENV=production and open /probot)" : ""}`);
      const key = privateKeyProblem(raw, o.cwd);
      if (key) problem(raw.PRIVATE_KEY ? "PRIVATE_KEY" : "PRIVATE_KEY_PATH", key);
      if (!set("WEBHOOK_SECRET")) problem("WEBHOOK_SECRET", 'WEBHOOK_SECRET is not set: the GitHub App\'s webhook secret (Probot would otherwise accept deliveries signed with "development")');
    }
    const limits = Object.values(HTTP_LIMIT_ENV);
    // Only once each one set is valid (a field that failed holds its raw text here, not a number).
    if (limits.every((n) => !set(n) || typeof v[n] === "number")) {
      const headers = (v[HTTP_LIMIT_ENV.headersTimeoutMs] as number | undefined) ?? DEFAULT_HTTP_LIMITS.headersTimeoutMs;
      const request = (v[HTTP_LIMIT_ENV.requestTimeoutMs] as number | undefined) ?? DEFAULT_HTTP_LIMITS.requestTimeoutMs;
      if (headers > request) problem(HTTP_LIMIT_ENV.headersTimeoutMs, `${HTTP_LIMIT_ENV.headersTimeoutMs} must not exceed ${HTTP_LIMIT_ENV.requestTimeoutMs} (${request} ms)`);
    }
    if (raw.MLREVIEW_IMAGES === "serve" && !set("MLREVIEW_PUBLIC_URL")) problem("MLREVIEW_IMAGES", "MLREVIEW_IMAGES=serve needs MLREVIEW_PUBLIC_URL (the URL the images are served under)");
    // GITLAB_URL alone defaults to gitlab.com and means nothing without the others.
    const gitlab = ["GITLAB_TOKEN", "GITLAB_WEBHOOK_SECRET"];
    const given = gitlab.filter(set);
    const missing = gitlab.filter((n) => !set(n));
    if (given.length > 0 && missing.length > 0) problem(missing[0]!, `${missing.join(" and ")} must be set too: GitLab needs GITLAB_TOKEN and GITLAB_WEBHOOK_SECRET (GITLAB_URL defaults to https://gitlab.com)`);
    else if (given.length === 0 && set("GITLAB_URL")) problem("GITLAB_URL", "GITLAB_URL is set but GITLAB_TOKEN and GITLAB_WEBHOOK_SECRET are not: set all three, or none");
    if (isSources(v.MLREVIEW_SOURCES)) for (const m of resolveSourceSecrets(v.MLREVIEW_SOURCES, raw).missing) problem("MLREVIEW_SOURCES", `MLREVIEW_SOURCES: ${m}`);
  };
}

/** A sources file that parsed (when it did not, the refinement still runs and sees no config). */
function isSources(v: unknown): v is SourcesConfig {
  return typeof v === "object" && v !== null && Array.isArray((v as SourcesConfig).dvc_remotes);
}

/** The valid environment, as the settings. */
function toSettings(o: EnvSchemaOptions, raw: Readonly<Record<string, string | undefined>>) {
  return (v: Parsed): AppSettings => {
    const n = (name: keyof typeof NUMBERS) => (v[name] as number | undefined) ?? NUMBERS[name].default;
    const limit = (key: keyof HttpLimits) => (v[HTTP_LIMIT_ENV[key]] as number | undefined) ?? DEFAULT_HTTP_LIMITS[key];
    const images = v.MLREVIEW_IMAGES ?? (v.MLREVIEW_PUBLIC_URL ? "serve" : undefined);
    const sources = v.MLREVIEW_SOURCES ? resolveSourceSecrets(v.MLREVIEW_SOURCES, raw).config : NO_SOURCES;
    return {
      appId: v.APP_ID,
      publicUrl: v.MLREVIEW_PUBLIC_URL,
      dataDir: v.MLREVIEW_DATA_DIR ?? resolve(o.cwd, ".mlreview-data"),
      imageKey:
        v.MLREVIEW_IMAGE_KEY ??
        createHmac("sha256", v.WEBHOOK_SECRET ?? "")
          .update("mlreview image names")
          .digest("hex"),
      ...(images ? { images } : {}),
      ...(v.MLREVIEW_RUNNERS ? { runnersFile: v.MLREVIEW_RUNNERS.file, runners: v.MLREVIEW_RUNNERS.config } : {}),
      ...(v.GITLAB_TOKEN && v.GITLAB_WEBHOOK_SECRET ? { gitlab: { url: v.GITLAB_URL ?? "https://gitlab.com", token: v.GITLAB_TOKEN, secret: v.GITLAB_WEBHOOK_SECRET } } : {}),
      ...(v.REDIS_URL ? { redisUrl: v.REDIS_URL } : {}),
      sources: withAwsRegion(sources, raw),
      concurrency: n("MLREVIEW_CONCURRENCY"),
      imageLimits: {
        reportFiles: n("MLREVIEW_REPORT_IMAGES"),
        reportBytes: n("MLREVIEW_REPORT_IMAGES_MB"),
        totalBytes: n("MLREVIEW_IMAGE_STORE_MB"),
        maxAgeMs: n("MLREVIEW_IMAGE_STORE_DAYS"),
      },
      http: {
        host: v.HOST ?? "localhost",
        port: v.PORT ?? 3000,
        webhookPath: v.WEBHOOK_PATH ?? DEFAULT_WEBHOOK_PATH,
        limits: { headersTimeoutMs: limit("headersTimeoutMs"), requestTimeoutMs: limit("requestTimeoutMs"), idleTimeoutMs: limit("idleTimeoutMs"), maxConnections: limit("maxConnections") },
      },
      ...(v.MLREVIEW_METRICS_TOKEN ? { metricsToken: v.MLREVIEW_METRICS_TOKEN } : {}),
      ...(v.WEBHOOK_PROXY_URL ? { webhookProxyUrl: v.WEBHOOK_PROXY_URL } : {}),
      setupMode: o.setupMode,
    };
  };
}

/**
 * An S3 rule without `region:` gets the bot's AWS_REGION (else AWS_DEFAULT_REGION) as dvc-s3 does
 * through boto, resolved here so that the store reads no environment (unset: the store's us-east-1).
 */
function withAwsRegion(sources: SourcesConfig, raw: Readonly<Record<string, string | undefined>>): SourcesConfig {
  const region = raw.AWS_REGION || raw.AWS_DEFAULT_REGION || undefined;
  if (!region) return sources;
  return { ...sources, dvc_remotes: sources.dvc_remotes.map((r) => (r.region === undefined && /^s3:\/\//i.test(r.url) ? { ...r, region } : r)) };
}

/** The schema for one environment (its file checks resolve against `o.cwd`; the sources' secrets come from `raw`). */
export function envSchema(o: EnvSchemaOptions, raw: Readonly<Record<string, string | undefined>>) {
  // `when`: the cross-variable checks run even when a variable failed, so that every problem is listed at once.
  return z
    .looseObject(shape(o))
    .superRefine(crossChecks(o, raw), { when: () => true })
    .transform(toSettings(o, raw));
}

/** The schema's problems as lines, in VARIABLE_ORDER (for one variable: a cross-variable problem first). */
export function problemLines(issues: readonly z.core.$ZodIssue[]): string[] {
  const rank = (i: z.core.$ZodIssue) => {
    const at = VARIABLE_ORDER.indexOf(String(i.path[0]));
    return (at === -1 ? VARIABLE_ORDER.length : at) * 2 + ((i as { params?: { cross?: boolean } }).params?.cross ? 0 : 1);
  };
  return issues
    .map((issue, index) => ({ issue, index, rank: rank(issue) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ issue }) => oneLine(issue.message));
}
