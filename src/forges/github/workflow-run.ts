import { posix } from "node:path";
import type { Context, ProbotOctokit } from "probot";
import type { ImageStore } from "../forges/image-store.js";
import type { Task, TaskContext, TaskQueue } from "../queue/task.js";
import { ARTIFACT_DOWNLOAD_DEADLINE_MS, ARTIFACT_LIMITS, ArtifactError, beforeAbort, readArtifactStream } from "../revisions/artifact.js";
import { isObjectId } from "../revisions/object-id.js";
import { headMemory, onOrigin, prKey, type PullRequestTaskData } from "./pull-request.js";
import { gitOrigin, reportPullRequest } from "./github-job.js";
import type { AppSettings } from "./settings.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

interface WorkflowRunTaskData extends PullRequestTaskData {
  run: { id: number; workflow_id: number; path: string };
  /** The repository's id: a base run must come from it (older queued tasks lack it: full_name then). */
  repositoryId?: number;
}

/** Candidate base runs looked at: the push runs of one workflow at one commit are few (re-runs, attempts). */
const BASE_RUNS_PAGE = 20;

interface ListedRun {
  id: number;
  event?: string;
  head_sha?: string;
  head_branch?: string | null;
  conclusion?: string | null;
  head_repository?: { id?: number; full_name?: string } | null;
}

/**
 * A completed, successful workflow run of a pull request: the report with the run's artifact as the
 * head's results and, as the base's, the artifact of a successful `push` run of the same workflow in
 * this repository at the merge-base (see baseRun). Runs of other workflows, failed runs, and runs for a
 * head that is no longer the pull request's are ignored.
 */
export function onWorkflowRun(queue: TaskQueue) {
  return async (context: Context<"workflow_run.completed">): Promise<void> => {
    const { workflow_run: run, repository: r } = context.payload;
    if (!run || !r?.clone_url || typeof (context.payload as { installation?: { id?: unknown } }).installation?.id !== "number") {
      return context.log.warn({ delivery: context.id }, "mlreview: workflow_run delivery without the fields a report needs: ignored");
    }
    if (run.conclusion !== "success") return;
    // As for pull_request: the token goes to git at clone_url, and the shas reach git's argv.
    if (!onOrigin(r.clone_url, gitOrigin(context.octokit))) {
      return context.log.warn({ delivery: context.id }, `mlreview: workflow_run delivery whose clone_url is not on ${gitOrigin(context.octokit)}: ignored`);
    }
    for (const pr of run.pull_requests ?? []) {
      if (!isObjectId(pr?.head?.sha) || !isObjectId(pr.base?.sha)) {
        context.log.warn({ delivery: context.id }, "mlreview: workflow_run pull request without valid head and base shas: ignored");
        continue;
      }
      const key = prKey(r.full_name, pr.number);
      const known = await queue.recall(headMemory(key));
      if (known !== undefined && known !== pr.head.sha) continue;
      const data: WorkflowRunTaskData = {
        installation: context.payload.installation!.id,
        repository: { full_name: r.full_name, clone_url: r.clone_url, html_url: r.html_url, owner: { login: r.owner.login }, name: r.name },
        pr: { number: pr.number, head: { sha: pr.head.sha, ref: pr.head.ref }, base: { sha: pr.base.sha, ref: pr.base.ref } },
        run: { id: run.id, workflow_id: run.workflow_id, path: run.path },
        ...(typeof r.id === "number" ? { repositoryId: r.id } : {}),
      };
      await queue.submit({ kind: "github.workflow_run", key, version: `${pr.head.sha}+run${run.id}`, delivery: `${context.id}#${pr.number}`, data });
    }
  };
}

export async function runWorkflowRun(octokit: Octokit, settings: AppSettings, images: ImageStore | undefined, task: Task, ctx: TaskContext): Promise<void> {
  const { repository, pr, run, repositoryId } = task.data as WorkflowRunTaskData;
  const [owner, repo] = [repository.owner.login, repository.name];
  await reportPullRequest({
    octokit,
    settings,
    images,
    repository,
    pr,
    ctx,
    artifacts: async (wanted, sides) => {
      if (wanted.workflow && posix.basename(run.path) !== wanted.workflow) return undefined;
      const deadlineMs = settings.artifactDeadlineMs ?? ARTIFACT_DOWNLOAD_DEADLINE_MS;
      const head = await artifactOf(octokit, owner, repo, run.id, wanted.name, deadlineMs);
      if (!head) throw new ArtifactError(`workflow run ${run.id} has no artifact named '${wanted.name}'`);
      const where = `${posix.basename(run.path)} at the merge-base ${sides.base.slice(0, 12)}`;
      const baseRun = await findBaseRun(octokit, { owner, repo, fullName: repository.full_name, id: repositoryId }, run.workflow_id, pr.base.ref, sides.base);
      if (!baseRun) return { head, baseMissing: `no base artifact: no successful push run of ${where} in this repository; the base's committed files are compared` };
      const base = await artifactOf(octokit, owner, repo, baseRun.id, wanted.name, deadlineMs);
      return base ? { head, base } : { head, baseMissing: `no base artifact: the push run ${baseRun.id} of ${where} has no artifact named '${wanted.name}'` };
    },
  });
}

/**
 * The run whose artifact stands for the base: a successful `push` run of this workflow, on the base
 * branch, at the merge-base commit, whose head repository is this one. Anyone can open a pull request
 * from a fork's branch named like the base branch, and its `pull_request` run is listed "on main" too:
 * its artifact would be the attacker's numbers. The filters are asked of GitHub and checked again on
 * each run, since a server that ignores a filter would otherwise hand back any run.
 */
async function findBaseRun(
  octokit: Octokit,
  repository: { owner: string; repo: string; fullName: string; id: number | undefined },
  workflowId: number,
  branch: string,
  mergeBase: string,
): Promise<ListedRun | undefined> {
  const { owner, repo } = repository;
  const { data } = await octokit.rest.actions.listWorkflowRuns({ owner, repo, workflow_id: workflowId, event: "push", status: "success", branch, head_sha: mergeBase, per_page: BASE_RUNS_PAGE });
  const ours = (h: ListedRun["head_repository"]) =>
    !!h && (repository.id !== undefined ? h.id === repository.id : typeof h.full_name === "string" && h.full_name.toLowerCase() === repository.fullName.toLowerCase());
  return (data.workflow_runs as ListedRun[]).find(
    (r) => r.event === "push" && r.conclusion === "success" && r.head_sha === mergeBase && r.head_branch === branch && ours(r.head_repository),
  );
}

/** The named artifact of a run, read in memory with the artifact limits within the deadline; undefined when there is none. */
async function artifactOf(octokit: Octokit, owner: string, repo: string, runId: number, name: string, deadlineMs: number): Promise<Map<string, Buffer> | undefined> {
  const { data } = await octokit.rest.actions.listWorkflowRunArtifacts({ owner, repo, run_id: runId, name, per_page: 1 });
  const artifact = data.artifacts.find((a) => a.name === name && !a.expired);
  if (!artifact) return undefined;
  if (artifact.size_in_bytes > ARTIFACT_LIMITS.maxZipBytes) throw new ArtifactError(`artifact '${name}' is ${artifact.size_in_bytes} bytes, over the limit`);
  // The raw stream, read with the cap applied as bytes arrive: the listed size is only what GitHub says.
  const signal = AbortSignal.timeout(deadlineMs);
  const late = () => new ArtifactError(`artifact '${name}' of run ${runId} did not download within ${Math.round(deadlineMs / 1000)} s`);
  const read = async () => {
    const download = await octokit.rest.actions.downloadArtifact({ owner, repo, artifact_id: artifact.id, archive_format: "zip", request: { parseSuccessResponseBody: false, signal } });
    return readArtifactStream(download.data as unknown as AsyncIterable<Uint8Array>);
  };
  return beforeAbort(read(), signal, late).catch((e: unknown) => {
    throw signal.aborted ? late() : e;
  });
}
