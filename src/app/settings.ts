import { createHmac } from "node:crypto";
import { join, resolve } from "node:path";

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
  };
}

export const reposDir = (s: AppSettings) => join(s.dataDir, "repos");
export const imagesDir = (s: AppSettings) => join(s.dataDir, "images");
