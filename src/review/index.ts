import type { ReviewSession } from "../forges/types.js";
import type { TaskContext } from "../queue/task.js";
import { runReportJob } from "../app/report-job.js";
import type { DvcRemoteRule } from "../sources/config.js";

export interface ReviewOptions {
  /** The forge module's config-file locations (first found wins). */
  configFiles: readonly string[];
  /** DVC remotes the operator allowed (MLREVIEW_SOURCES) and the object cache (MLREVIEW_DATA_DIR/dvc-objects). */
  dvc: { rules: readonly DvcRemoteRule[]; objectCacheDir: string };
  /** Where the blob-less caches of repositories are kept (MLREVIEW_DATA_DIR/repos). */
  reposDir: string;
  /** The queue's context: stale work is dropped, and the post happens only for the newest head, once. */
  ctx: TaskContext;
  /** The task's deadline: git, HTTP and the renderer stop when it fires. */
  signal: AbortSignal;
}

/**
 * Review one change request: open both revisions, lay CI results and DVC/LFS objects over them, build the
 * report, and post it through the session unless a newer head came. Used by the bot and by CI mode.
 * (Interim: an adapter over the former report job; the review rework replaces its insides.)
 */
export async function reviewChange(session: ReviewSession, o: ReviewOptions): Promise<void> {
  const { signal } = o;
  let access: Awaited<ReturnType<ReviewSession["clone"]>> | undefined;
  const clone = async () => (access ??= await session.clone(signal));
  await runReportJob({
    forge: {
      name: "session",
      upsertReport: (_cr, body) => session.upsertReport(body, signal),
      setCheck: (_cr, result) => session.setCheck(result, signal),
    },
    cr: session.cr,
    mergeBase: () => session.mergeBase(signal),
    labels: session.labels,
    clone: {
      url: async () => (await clone()).url,
      get forgeOrigin() {
        if (!access) throw new Error("clone access asked before the clone");
        return access.forgeOrigin;
      },
      token: async () => (await clone()).token,
      get username() {
        return access?.username ?? "x-access-token";
      },
      cacheDir: o.reposDir,
    },
    publish: session.publish,
    ...(session.beforePost ? { beforePost: () => session.beforePost!(signal) } : {}),
    configFiles: o.configFiles,
    ...(session.artifacts ? { artifacts: (wanted, sides) => session.artifacts!(wanted, sides, signal) } : {}),
    dvc: o.dvc,
    ctx: o.ctx,
  });
}
