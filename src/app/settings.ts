import { createHmac } from "node:crypto";
import { join, resolve } from "node:path";
import { IMAGE_STORE_LIMITS, type ImageStoreLimits } from "../forges/image-store.js";
import { DEFAULT_CONCURRENCY } from "../queue/task.js";
import { loadSourcesConfig, NO_SOURCES, type SourcesConfig } from "../sources/config.js";

/** The bot's own settings (DESIGN §4, §7), from the environment; Probot reads its own variables itself. */
export interface AppSettings {
  appId: number | undefined;
  /** Public base URL of this server, for report images (MLREVIEW_PUBLIC_URL). Without it, plots are listed, not shown. */
  publicUrl: string | undefined;
  dataDir: string;
  /** Keys image names (HMAC): MLREVIEW_IMAGE_KEY, else derived from WEBHOOK_SECRET. */
  imageKey: string;
  /** MLREVIEW_IMAGES: "serve" (from this server, the default with a public URL) or "branch" (an orphan branch of the repository). */
  images?: "serve" | "branch";
  /** MLREVIEW_RUNNERS: the operator's runners file; unset, no runner is ever launched. */
  runnersFile?: string;
  /** GITLAB_URL (default https://gitlab.com, a sub-path allowed), GITLAB_TOKEN, GITLAB_WEBHOOK_SECRET; all set → /gitlab/webhook. */
  gitlab?: { url: string; token: string; secret: string };
  /** The deadline of one CI artifact download; unset, ARTIFACT_DOWNLOAD_DEADLINE_MS (tests shorten it). */
  artifactDeadlineMs?: number;
  /** REDIS_URL: the queue is BullMQ on this Redis, shared by every replica; unset, in process. */
  redisUrl?: string;
  /** MLREVIEW_CONCURRENCY: tasks one replica runs at once, shared fairly between installations (default 4). */
  concurrency?: number;
  /** MLREVIEW_SOURCES: the DVC remotes and trackers the bot may contact (DESIGN §9); unset, none. */
  sources?: SourcesConfig;
  /** The image store's caps and retention (MLREVIEW_REPORT_IMAGES…, MLREVIEW_IMAGE_STORE_…); unset fields: IMAGE_STORE_LIMITS. */
  imageLimits?: Partial<ImageStoreLimits>;
}

const MB = 1024 * 1024;
const DAY_MS = 24 * 3600 * 1000;

/** Whole-number settings: the variable, its range, and how it maps onto the settings. */
const NUMBERS = {
  MLREVIEW_CONCURRENCY: { min: 1, max: 256, unit: 1, what: "tasks run at once", default: DEFAULT_CONCURRENCY },
  MLREVIEW_REPORT_IMAGES: { min: 0, max: 10_000, unit: 1, what: "images one report may publish", default: IMAGE_STORE_LIMITS.reportFiles },
  MLREVIEW_REPORT_IMAGES_MB: { min: 1, max: 10_000, unit: MB, what: "MB of images one report may publish", default: IMAGE_STORE_LIMITS.reportBytes },
  MLREVIEW_IMAGE_STORE_MB: { min: 1, max: 10_000_000, unit: MB, what: "MB the image store may hold", default: IMAGE_STORE_LIMITS.totalBytes },
  MLREVIEW_IMAGE_STORE_DAYS: { min: 1, max: 36_500, unit: DAY_MS, what: "days an image is kept after its last use", default: IMAGE_STORE_LIMITS.maxAgeMs },
} as const;
type NumberSetting = keyof typeof NUMBERS;

function isInRange(name: NumberSetting, value: string): boolean {
  const n = NUMBERS[name];
  return /^\d{1,12}$/.test(value) && Number(value) >= n.min && Number(value) <= n.max;
}

/** One line per whole-number setting that is set but out of its range (validate.ts reports them at start-up). */
export function numberSettingProblems(env: Record<string, string | undefined>): string[] {
  return (Object.keys(NUMBERS) as NumberSetting[])
    .filter((name) => env[name] !== undefined && env[name] !== "" && !isInRange(name, env[name]!))
    .map((name) => `${name} must be a whole number from ${NUMBERS[name].min} to ${NUMBERS[name].max} (${NUMBERS[name].what})`);
}

/** The setting's value in the settings' units (bytes, ms), or its default when unset or invalid. */
function numberSetting(env: NodeJS.ProcessEnv, name: NumberSetting): number {
  const value = env[name];
  return value && isInRange(name, value) ? Number(value) * NUMBERS[name].unit : NUMBERS[name].default;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): AppSettings {
  const dataDir = resolve(env.MLREVIEW_DATA_DIR ?? ".mlreview-data");
  const appId = env.APP_ID && /^\d+$/.test(env.APP_ID) ? Number(env.APP_ID) : undefined;
  const secret = env.MLREVIEW_IMAGE_KEY ?? createHmac("sha256", env.WEBHOOK_SECRET ?? "").update("mlreview image names").digest("hex");
  const images = env.MLREVIEW_IMAGES === "branch" ? "branch" : env.MLREVIEW_IMAGES === "serve" || env.MLREVIEW_PUBLIC_URL ? "serve" : undefined;
  const gitlab = env.GITLAB_TOKEN && env.GITLAB_WEBHOOK_SECRET ? { url: env.GITLAB_URL || "https://gitlab.com", token: env.GITLAB_TOKEN, secret: env.GITLAB_WEBHOOK_SECRET } : undefined;
  return {
    appId,
    publicUrl: env.MLREVIEW_PUBLIC_URL || undefined,
    dataDir,
    imageKey: secret,
    ...(images ? { images } : {}),
    ...(env.MLREVIEW_RUNNERS ? { runnersFile: env.MLREVIEW_RUNNERS } : {}),
    ...(gitlab ? { gitlab } : {}),
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
    // Validated at start-up (validate.ts), so a broken file never gets this far in a running server.
    sources: env.MLREVIEW_SOURCES ? loadSourcesConfig(resolve(env.MLREVIEW_SOURCES)) : NO_SOURCES,
    concurrency: numberSetting(env, "MLREVIEW_CONCURRENCY"),
    imageLimits: {
      reportFiles: numberSetting(env, "MLREVIEW_REPORT_IMAGES"),
      reportBytes: numberSetting(env, "MLREVIEW_REPORT_IMAGES_MB"),
      totalBytes: numberSetting(env, "MLREVIEW_IMAGE_STORE_MB"),
      maxAgeMs: numberSetting(env, "MLREVIEW_IMAGE_STORE_DAYS"),
    },
  };
}

export const reposDir = (s: AppSettings) => join(s.dataDir, "repos");
export const imagesDir = (s: AppSettings) => join(s.dataDir, "images");
/** What the bot may fetch DVC objects from, and where it keeps them (verified, by hash). */
export const dvcSources = (s: AppSettings) => ({ rules: (s.sources ?? NO_SOURCES).dvc_remotes, objectCacheDir: join(s.dataDir, "dvc-objects") });
