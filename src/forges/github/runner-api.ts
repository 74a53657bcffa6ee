import type { ProbotOctokit } from "probot";

type Octokit = InstanceType<typeof ProbotOctokit>;

const split = (repo: string) => repo.split("/") as [string, string];

/**
 * A just-in-time runner config for one runner of one repository: single-use, ephemeral, bound to the
 * name and labels given. It is the only secret the instance receives (never a PAT or registration token).
 */
export async function jitConfig(octokit: Octokit, repo: string, o: { name: string; labels: string[]; runnerGroupId: number }, signal?: AbortSignal): Promise<{ encoded: string; runnerId: number }> {
  const [owner, name] = split(repo);
  const { data } = await octokit.rest.actions.generateRunnerJitconfigForRepo({ owner, repo: name, name: o.name, runner_group_id: o.runnerGroupId, labels: o.labels, work_folder: "_work", ...(signal ? { request: { signal } } : {}) });
  return { encoded: data.encoded_jit_config, runnerId: data.runner.id };
}

/** A job's status as GitHub has it now ("queued", "in_progress", "completed", …), or "gone". */
export async function jobStatus(octokit: Octokit, repo: string, jobId: number): Promise<string> {
  const [owner, name] = split(repo);
  try {
    const { data } = await octokit.rest.actions.getJobForWorkflowRun({ owner, repo: name, job_id: jobId });
    return data.status;
  } catch (e) {
    if ((e as { status?: number }).status === 404) return "gone";
    throw e;
  }
}

/**
 * Does this run's code come from outside the repository (a fork)? Whatever the event (pull_request,
 * pull_request_review, pull_request_review_comment, workflow_run, …): a head repository other than
 * this one, or none at all (a deleted fork), counts as a fork. Listing the fork events instead would
 * let every event not on the list through.
 */
export async function isForkRun(octokit: Octokit, repo: string, runId: number, signal?: AbortSignal): Promise<boolean> {
  const [owner, name] = split(repo);
  const { data } = await octokit.rest.actions.getWorkflowRun({ owner, repo: name, run_id: runId, ...(signal ? { request: { signal } } : {}) });
  const head = data.head_repository?.full_name;
  return typeof head !== "string" || head !== repo;
}

/** Remove a runner registration (a JIT runner whose instance never came up would otherwise linger). */
export async function deleteRunner(octokit: Octokit, repo: string, runnerId: number): Promise<void> {
  const [owner, name] = split(repo);
  await octokit.rest.actions.deleteSelfHostedRunnerFromRepo({ owner, repo: name, runner_id: runnerId }).catch((e: { status?: number }) => {
    if (e.status !== 404) throw e;
  });
}

/** Is the named runner running a job now? false when it is idle or no longer registered. */
export async function runnerBusy(octokit: Octokit, repo: string, runnerName: string): Promise<boolean> {
  const [owner, name] = split(repo);
  const { data } = await octokit.rest.actions.listSelfHostedRunnersForRepo({ owner, repo: name, name: runnerName, per_page: 10 });
  return data.runners.find((r) => r.name === runnerName)?.busy ?? false;
}
