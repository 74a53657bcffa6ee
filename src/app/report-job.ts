import type { RevisionProblem } from "../compare/index.js";
import type { ChangeRequest, Forge } from "../forges/types.js";
import { discoverProject } from "../project/index.js";
import type { Publish } from "../report/index.js";
import { runReport } from "../report/run.js";
import { ArtifactError } from "../revisions/artifact.js";
import { OverlayTree } from "../revisions/overlay.js";
import { openRemoteRevisions } from "../revisions/remote.js";
import type { FileTree } from "../revisions/types.js";
import type { TaskContext } from "../queue/task.js";
import { DEFAULT_LIMITS } from "../formats/limits.js";
import { ObjectCache } from "../revisions/dvc/cache.js";
import { ObjectFetcher } from "../revisions/dvc/fetcher.js";
import { DvcTree } from "../revisions/dvc/tree.js";
import { forgeLfs } from "../revisions/lfs/forge.js";
import type { DvcRemoteRule } from "../sources/config.js";
import { metrics } from "../server/metrics.js";

/**
 * Results a CI run produced for the two sides; undefined when this run is not the one the repository
 * asked for. `sides.base` is the merge-base commit; without a base artifact, `baseMissing` says why in
 * one report line (the base's committed files are compared instead).
 */
export type ArtifactSource = (
  settings: { name: string; workflow?: string },
  sides: { base: string },
) => Promise<{ base?: Map<string, Buffer>; head: Map<string, Buffer>; baseMissing?: string } | undefined>;

/** One report for one change request head, whatever the forge: everything forge-specific is passed in. */
export interface ReportJob {
  forge: Forge;
  cr: ChangeRequest;
  /** Where the change forked from its target branch (GitHub's compare API, GitLab's merge_base). */
  mergeBase(): Promise<string>;
  labels: { base: string; head: string };
  /**
   * `url` is the forge's own clone URL, which must be on `forgeOrigin` (the token goes nowhere else).
   * `token` is asked for after `mergeBase`, i.e. after the forge has been called once (see github-job.ts).
   */
  clone: { url: () => Promise<string>; forgeOrigin: string; token: () => Promise<string>; username: string; cacheDir: string };
  /** Where images go; undefined: plots are listed, not drawn. */
  publish: Publish | undefined;
  /** Runs after the report is built and before it is posted (e.g. committing images to a branch). */
  beforePost?(): Promise<void>;
  configFiles?: readonly string[];
  artifacts?: ArtifactSource;
  /** DVC remotes the operator allowed (MLREVIEW_SOURCES) and the object cache (MLREVIEW_DATA_DIR/dvc-objects). */
  dvc: { rules: readonly DvcRemoteRule[]; objectCacheDir: string };
  /** The queue's context: stale work is dropped, and the post happens only for the newest head, once. */
  ctx: TaskContext;
}

/** Read both sides blob-less, build the report with the shared pipeline, and post it unless a newer head came. */
export async function runReportJob(job: ReportJob): Promise<void> {
  try {
    await buildAndPost(job);
  } catch (e) {
    metrics.report("failed");
    throw e;
  }
}

async function buildAndPost(job: ReportJob): Promise<void> {
  const base = await job.mergeBase();
  const token = await job.clone.token();
  const url = await job.clone.url();
  const revs = await openRemoteRevisions({ url, forgeOrigin: job.clone.forgeOrigin, token, username: job.clone.username, cacheDir: job.clone.cacheDir }, [
    { sha: base, label: job.labels.base },
    { sha: job.cr.headSha, label: job.labels.head },
  ]);
  try {
    // LFS pointers through the forge's own endpoint for this clone URL (never the repository's .lfsconfig).
    const lfs = forgeLfs({ cloneUrl: url, forgeOrigin: job.clone.forgeOrigin, token, username: job.clone.username, maxFileBytes: DEFAULT_LIMITS.maxFileBytes });
    let baseTree: FileTree = lfs(revs.trees[0]!);
    let headTree: FileTree = lfs(revs.trees[1]!);
    const problems: RevisionProblem[] = [];
    const discover = job.configFiles ? { configFiles: job.configFiles } : {};
    if (job.artifacts) {
      const project = await discoverProject(headTree, discover);
      const wanted = "error" in project ? undefined : project.settings.artifacts;
      if (!wanted) return;
      try {
        const found = await job.artifacts(wanted, { base });
        if (!found) return;
        headTree = new OverlayTree(headTree, found.head);
        if (found.base) baseTree = new OverlayTree(baseTree, found.base);
        else if (found.baseMissing) problems.push({ rev: job.labels.base, path: `artifact '${wanted.name}'`, message: found.baseMissing });
      } catch (e) {
        // Whatever went wrong (a refused zip, a redirect loop, a 500, the deadline) is one line in place of
        // the artifact's results; the committed files are still compared.
        const message = e instanceof ArtifactError ? e.message : `could not be read: ${e instanceof Error ? e.message : String(e)}`;
        problems.push({ rev: job.labels.head, path: `artifact '${wanted.name}'`, message: message.replace(/\s+/g, " ").slice(0, 300) });
      }
    }
    // DVC-tracked results last, over the artifact: a file the CI run produced wins over the lock's hash.
    const fetcher = new ObjectFetcher(new ObjectCache(job.dvc.objectCacheDir));
    const access = { kind: "operator", rules: job.dvc.rules } as const;
    baseTree = new DvcTree(baseTree, { access, fetcher, maxFileBytes: DEFAULT_LIMITS.maxFileBytes });
    headTree = new DvcTree(headTree, { access, fetcher, maxFileBytes: DEFAULT_LIMITS.maxFileBytes });
    const report = await runReport(baseTree, headTree, {
      drawPlots: job.publish !== undefined,
      publish: job.publish ?? (async () => ""),
      problems,
      ...discover,
    });
    if (await job.ctx.isStale()) return;
    const posted = await job.ctx.publish(async () => {
      await job.beforePost?.();
      await job.forge.upsertReport(job.cr, report.markdown);
      await job.forge.setCheck(job.cr, { conclusion: report.conclusion, ...report.check });
      return true;
    });
    if (posted) metrics.report("built");
  } finally {
    await revs.close();
  }
}
