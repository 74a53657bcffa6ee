import { posix } from "node:path";
import type { ProbotOctokit } from "probot";
import { ARTIFACT_LIMITS, ArtifactError, beforeAbort, readArtifactStream } from "../../revisions/artifact.js";
import type { ArtifactSource } from "../types.js";
import type { GitHubReviewData } from "./schemas.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

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
 * The CI results of a workflow_run task: the run's artifact for the head and, for the base, the same
 * artifact of this repository's successful push run at the merge-base. Undefined when the repository
 * asks for another workflow's results.
 */
export function workflowRunArtifacts(octokit: Octokit, data: GitHubReviewData & { run: NonNullable<GitHubReviewData["run"]> }, deadlineMs: number): ArtifactSource {
  const { repository, pr, run, repositoryId } = data;
  const [owner, repo] = [repository.owner.login, repository.name];
  return async (wanted, sides, signal) => {
    if (wanted.workflow && posix.basename(run.path) !== wanted.workflow) return undefined;
    const head = await artifactOf(octokit, owner, repo, run.id, wanted.name, deadlineMs, signal);
    if (!head) throw new ArtifactError(`workflow run ${run.id} has no artifact named '${wanted.name}'`);
    const where = `${posix.basename(run.path)} at the merge-base ${sides.base.slice(0, 12)}`;
    const baseRun = await findBaseRun(octokit, { owner, repo, fullName: repository.full_name, id: repositoryId }, run.workflow_id, pr.base.ref, sides.base, signal);
    if (!baseRun) return { head, baseMissing: `no base artifact: no successful push run of ${where} in this repository; the base's committed files are compared` };
    const base = await artifactOf(octokit, owner, repo, baseRun.id, wanted.name, deadlineMs, signal);
    return base ? { head, base } : { head, baseMissing: `no base artifact: the push run ${baseRun.id} of ${where} has no artifact named '${wanted.name}'` };
  };
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
  signal: AbortSignal,
): Promise<ListedRun | undefined> {
  const { owner, repo } = repository;
  const { data } = await octokit.rest.actions.listWorkflowRuns({ owner, repo, workflow_id: workflowId, event: "push", status: "success", branch, head_sha: mergeBase, per_page: BASE_RUNS_PAGE, request: { signal } });
  const ours = (h: ListedRun["head_repository"]) => !!h && (repository.id !== undefined ? h.id === repository.id : typeof h.full_name === "string" && h.full_name.toLowerCase() === repository.fullName.toLowerCase());
  return (data.workflow_runs as ListedRun[]).find((r) => r.event === "push" && r.conclusion === "success" && r.head_sha === mergeBase && r.head_branch === branch && ours(r.head_repository));
}

/** The named artifact of a run, read in memory with the artifact limits within the deadline; undefined when there is none. */
async function artifactOf(octokit: Octokit, owner: string, repo: string, runId: number, name: string, deadlineMs: number, task: AbortSignal): Promise<Map<string, Buffer> | undefined> {
  const { data } = await octokit.rest.actions.listWorkflowRunArtifacts({ owner, repo, run_id: runId, name, per_page: 1, request: { signal: task } });
  const artifact = data.artifacts.find((a) => a.name === name && !a.expired);
  if (!artifact) return undefined;
  if (artifact.size_in_bytes > ARTIFACT_LIMITS.maxZipBytes) throw new ArtifactError(`artifact '${name}' is ${artifact.size_in_bytes} bytes, over the limit`);
  // The raw stream, read with the cap applied as bytes arrive: the listed size is only what GitHub says.
  const timeout = AbortSignal.timeout(deadlineMs);
  const signal = AbortSignal.any([timeout, task]);
  const late = () => new ArtifactError(`artifact '${name}' of run ${runId} did not download within ${Math.round(deadlineMs / 1000)} s`);
  const read = async () => {
    const download = await octokit.rest.actions.downloadArtifact({ owner, repo, artifact_id: artifact.id, archive_format: "zip", request: { parseSuccessResponseBody: false, signal } });
    return readArtifactStream(download.data as unknown as AsyncIterable<Uint8Array>);
  };
  const stopped = () => (timeout.aborted ? late() : new ArtifactError(`artifact '${name}' of run ${runId}: the review's deadline passed during the download`));
  return beforeAbort(read(), signal, stopped).catch((e: unknown) => {
    throw signal.aborted ? stopped() : e;
  });
}
