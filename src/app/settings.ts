import { join } from "node:path";
import type { ImageStoreLimits } from "../forges/image-store.js";
import type { RunnersConfig } from "../runners/config.js";
import type { HttpLimits } from "../server/http-limits.js";
import { envSchema, problemLines } from "../settings/env.js";
import { NO_SOURCES, sourceSecretValues, type SourcesConfig } from "../sources/config.js";

/**
 * The bot's settings (DESIGN §4–§9): built once, from the environment and the operator's files, by
 * settingsFromEnv (the schema: src/settings/env.ts). Nothing else in the bot reads the environment;
 * Probot reads its own variables (APP_ID, PRIVATE_KEY, GHE_*) from the env the server hands it.
 */
export interface AppSettings {
  appId: number | undefined;
  /** Public base URL of this server, for report images (MLREVIEW_PUBLIC_URL). Without it, plots are listed, not shown. */
  publicUrl: string | undefined;
  dataDir: string;
  /** Keys image names (HMAC): MLREVIEW_IMAGE_KEY, else derived from WEBHOOK_SECRET. */
  imageKey: string;
  /** MLREVIEW_IMAGES: "serve" (from this server, the default with a public URL) or "branch" (an orphan branch of the repository). */
  images?: "serve" | "branch";
  /** MLREVIEW_RUNNERS: the operator's runners file as given (wireRunners(host, file, deps) takes it); unset, no runner is ever launched. */
  runnersFile?: string;
  /** The runners file, parsed and validated at start-up (set exactly when runnersFile is). */
  runners?: RunnersConfig;
  /** GITLAB_URL (default https://gitlab.com, a sub-path allowed), GITLAB_TOKEN, GITLAB_WEBHOOK_SECRET; all set → /gitlab/webhook. */
  gitlab?: { url: string; token: string; secret: string };
  /** The deadline of one CI artifact download; unset, ARTIFACT_DOWNLOAD_DEADLINE_MS (tests shorten it). */
  artifactDeadlineMs?: number;
  /** REDIS_URL: the queue is BullMQ on this Redis, shared by every replica; unset, in process. */
  redisUrl?: string;
  /** MLREVIEW_CONCURRENCY: tasks one replica runs at once, shared fairly between installations (default 4). */
  concurrency?: number;
  /**
   * MLREVIEW_SOURCES: the DVC remotes and trackers the bot may contact (DESIGN §9); unset, none. Each
   * entry carries the values of the variables it names (password, connection_string, token, api_key),
   * and an S3 rule without a region the bot's AWS_REGION.
   */
  sources?: SourcesConfig;
  /** The image store's caps and retention (MLREVIEW_REPORT_IMAGES…, MLREVIEW_IMAGE_STORE_…); unset fields: IMAGE_STORE_LIMITS. */
  imageLimits?: Partial<ImageStoreLimits>;
  /** The listener: HOST (default localhost), PORT (3000), Probot's WEBHOOK_PATH, the MLREVIEW_HTTP_* limits. */
  http?: { host: string; port: number; webhookPath: string; limits: HttpLimits };
  /** MLREVIEW_METRICS_TOKEN: GET /metrics asks for it as a bearer token; unset, /metrics is open. */
  metricsToken?: string;
  /** WEBHOOK_PROXY_URL: Probot's development proxy, which this server does not run (it warns). */
  webhookProxyUrl?: string;
  /** Probot's setup mode (no APP_ID outside production): the GitHub App's credentials were not required. */
  setupMode?: boolean;
}

/** The environment as given: any strings (Probot narrows NodeJS.ProcessEnv's LOG_LEVEL, which is what is being checked). */
export type EnvInput = Readonly<Record<string, string | undefined>>;

export interface SettingsOptions {
  /** Where relative paths (PRIVATE_KEY_PATH, MLREVIEW_DATA_DIR, the operator's files, a lone *.pem) are resolved; default process.cwd(). */
  cwd?: string;
  /** Probot's setup mode: the GitHub App's credentials are not required. Default: isSetupMode(env). */
  setupMode?: boolean;
}

/** Every problem of an environment, one line each naming the variable, never a value. */
export class SettingsError extends Error {
  override readonly name = "SettingsError";
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
  }
}

/** Probot's setup mode: no APP_ID and NODE_ENV is not production (then `npm start` creates the app from app.yml). */
export function isSetupMode(env: EnvInput): boolean {
  return !env.APP_ID && env.NODE_ENV !== "production";
}

/**
 * The settings, or a SettingsError listing every problem. The default environment is only for
 * `probot run`'s lazy app (createApp() in src/app/index.ts); the server passes the one it loaded.
 */
export function settingsFromEnv(env: EnvInput = process.env, o: SettingsOptions = {}): AppSettings {
  const options = { cwd: o.cwd ?? process.cwd(), setupMode: o.setupMode ?? isSetupMode(env) };
  const parsed = envSchema(options, env).safeParse(env);
  if (!parsed.success) throw new SettingsError(problemLines(parsed.error.issues));
  return parsed.data;
}

export const reposDir = (s: AppSettings) => join(s.dataDir, "repos");
export const imagesDir = (s: AppSettings) => join(s.dataDir, "images");
/** What the bot may fetch DVC objects from (with the secrets the rules name), and where it keeps them (verified, by hash). */
export const dvcSources = (s: AppSettings) => ({ rules: (s.sources ?? NO_SOURCES).dvc_remotes, objectCacheDir: join(s.dataDir, "dvc-objects") });
/** The values the settings resolved from variables the sources file names: kept out of every log line. */
export const settingsSecrets = (s: AppSettings): string[] => sourceSecretValues(s.sources ?? NO_SOURCES);
