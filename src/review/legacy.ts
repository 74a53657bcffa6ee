import type { ChangeRequest, Forge, ReviewSession } from "../forges/types.js";
import type { Publish } from "../report/index.js";
import type { TaskContext } from "../queue/task.js";
import { lfsUrlFromClone } from "../revisions/lfs/endpoint.js";
import type { DvcRemoteRule } from "../sources/config.js";
import { CONFIG_FILES } from "../project/index.js";
import { runReview } from "./index.js";

/**
 * @deprecated The former report job's shape (src/app/report-job.ts), for the callers that do not build a
 * ReviewSession yet (src/app/github-job.ts, src/app/gitlab/merge-request.ts); it goes away with them and
 * the old Forge interface at integration. It runs the same review, without the failure check.
 */
export type ArtifactSource = (
  settings: { name: string; workflow?: string },
  sides: { base: string },
) => Promise<{ base?: Map<string, Buffer>; head: Map<string, Buffer>; baseMissing?: string } | undefined>;

/** @deprecated see ArtifactSource above. */
export interface ReportJob {
  forge: Forge;
  cr: ChangeRequest;
  mergeBase(): Promise<string>;
  labels: { base: string; head: string };
  clone: { url: () => Promise<string>; forgeOrigin: string; token: () => Promise<string>; username: string; cacheDir: string };
  publish: Publish | undefined;
  beforePost?(): Promise<void>;
  configFiles?: readonly string[];
  artifacts?: ArtifactSource;
  dvc: { rules: readonly DvcRemoteRule[]; objectCacheDir: string };
  ctx: TaskContext;
}

/** @deprecated see ArtifactSource above. */
export async function runReportJob(job: ReportJob): Promise<void> {
  const session: ReviewSession = {
    cr: job.cr,
    labels: job.labels,
    mergeBase: () => job.mergeBase(),
    clone: async () => ({ url: await job.clone.url(), forgeOrigin: job.clone.forgeOrigin, token: await job.clone.token(), username: job.clone.username }),
    lfsEndpoint: (clone) => lfsUrlFromClone(clone.url),
    publish: job.publish,
    ...(job.beforePost ? { beforePost: () => job.beforePost!() } : {}),
    ...(job.artifacts ? { artifacts: (wanted, sides) => job.artifacts!(wanted, sides) } : {}),
    upsertReport: (body) => job.forge.upsertReport(job.cr, body),
    setCheck: (result) => job.forge.setCheck(job.cr, result),
  };
  await runReview(session, { configFiles: job.configFiles ?? CONFIG_FILES, dvc: job.dvc, reposDir: job.clone.cacheDir, ctx: job.ctx, signal: job.ctx.signal });
}
