import { metrics } from "../server/metrics.js";
import type { CloneAccess, ReviewSession } from "../forges/types.js";
import { redactError } from "../forges/redact.js";
import { DEFAULT_LIMITS } from "../formats/limits.js";
import { untilAborted, type TaskContext } from "../queue/task.js";
import { openRemoteRevisions } from "../revisions/remote.js";
import type { DvcRemoteRule } from "../sources/config.js";
import { buildReview } from "./build.js";
import { postFailure } from "./failure.js";
import { forgeLayers, sessionArtifacts } from "./layers.js";
import { postReview } from "./post.js";

export { buildReview, type BuildReviewOptions, type BuiltReview } from "./build.js";
export { layered, artifactProblem, type ArtifactOverlay, type TreeLayers } from "./layers.js";
export { failureReason, FAILURE_CHECK_DEADLINE_MS } from "./failure.js";

export interface ReviewOptions {
  /** The forge module's config-file locations (first found wins). */
  configFiles: readonly string[];
  /** DVC remotes the operator allowed (MLREVIEW_SOURCES) and the object cache (MLREVIEW_DATA_DIR/dvc-objects). */
  dvc: { rules: readonly DvcRemoteRule[]; objectCacheDir: string };
  /** Where the blob-less caches of repositories are kept (MLREVIEW_DATA_DIR/repos). */
  reposDir: string;
  /** The queue's context: stale work is dropped, and the post happens only for the newest head, once. */
  ctx: TaskContext;
  /** The task's deadline (ctx.signal): git, HTTP and the renderer stop when it fires. */
  signal: AbortSignal;
}

/**
 * Review one change request: open both revisions, lay LFS, CI results and DVC objects over them, build the
 * report, and post it through the session unless a newer head came. Used by the bot and by CI mode.
 * When it fails (an error after the HTTP clients' retries, or the deadline), a `neutral` check with the
 * reason goes to the change request, unless it is stale, and the error is rethrown for the queue to retry.
 */
export async function reviewChange(session: ReviewSession, o: ReviewOptions): Promise<void> {
  const secrets: string[] = [];
  try {
    // Whatever does not honour the signal, the review still ends at the deadline (and cannot post after it).
    await untilAborted(review(session, o, secrets), o.signal);
  } catch (e) {
    metrics.report("failed");
    // A git or forge error may carry the token it was sent with: never into the check, a log line or a retry's record.
    const clean = redactError(e, secrets);
    await postFailure(session, clean, o.ctx, secrets);
    throw clean;
  }
}

async function review(session: ReviewSession, o: ReviewOptions, secrets: string[]): Promise<void> {
  const { signal } = o;
  const base = await session.mergeBase(signal);
  const clone: CloneAccess = await session.clone(signal);
  // As git sends it, too: HTTP basic of user and token (a server can echo the header back).
  if (clone.token) secrets.push(clone.token, Buffer.from(`${clone.username}:${clone.token}`).toString("base64"));
  const revs = await openRemoteRevisions({ url: clone.url, forgeOrigin: clone.forgeOrigin, token: clone.token, username: clone.username, cacheDir: o.reposDir, signal }, [
    { sha: base, label: session.labels.base },
    { sha: session.cr.headSha, label: session.labels.head },
  ]);
  try {
    const maxFileBytes = DEFAULT_LIMITS.maxFileBytes;
    const layers = forgeLayers({ clone, lfsEndpoint: session.lfsEndpoint(clone), dvc: o.dvc, maxFileBytes, signal });
    const [baseTree, headTree] = [revs.trees[0]!, revs.trees[1]!];
    let found: Awaited<ReturnType<typeof sessionArtifacts>>;
    if (session.artifacts) {
      // Which artifact is the head's config's to say, read through LFS (a committed config may be a pointer).
      found = await sessionArtifacts(session.artifacts, layers.lfs(headTree), { base, labels: session.labels, configFiles: o.configFiles, signal });
      if (!found) return;
    }
    const report = await buildReview({
      base: baseTree,
      head: headTree,
      layers,
      ...(found ? { artifact: found.overlay, problems: found.problems } : {}),
      configFiles: o.configFiles,
      drawPlots: session.publish !== undefined,
      publish: session.publish ?? (async () => ""),
      signal,
    });
    if (await postReview(session, report, o.ctx, signal)) metrics.report("built");
  } finally {
    await revs.close();
  }
}
