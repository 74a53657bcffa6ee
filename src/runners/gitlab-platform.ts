import type { RunnersConfig } from "./config.js";
import type { GitLabClient } from "../forges/gitlab/client.js";
import { renderGitLabUserData } from "./gitlab-user-data.js";
import { forkRefusal } from "./guards.js";
import type { RunnerPlatform } from "./platform.js";

/** GitLab refuses a runner maximum_timeout under 10 minutes. */
const MIN_RUNNER_TIMEOUT_SECONDS = 600;
const MERGE_REQUEST_REF = /^refs\/merge-requests\/(\d+)\/(?:head|merge|train)$/;

/**
 * Does the job belong to a pipeline for a merge request from a fork? By default GitLab runs those in
 * the fork, on the fork's runners, so their jobs never reach this project's hook; only a member of
 * the parent project can run one in the parent (merge request pipelines have refs/merge-requests/<iid>/…),
 * and that is the case checked here.
 */
export async function isForkMergeRequestJob(client: GitLabClient, projectId: number, ref: string): Promise<boolean> {
  const m = MERGE_REQUEST_REF.exec(ref);
  if (!m) return false;
  const mr = await client.mergeRequest(projectId, Number(m[1]));
  return mr.source_project_id !== mr.target_project_id;
}

/**
 * GitLab: a project runner per job, created with POST /user/runners (a runner authentication token,
 * never the deprecated registration token), locked to the project and taking only the job's tags.
 */
export function gitlabPlatform(config: RunnersConfig, client: GitLabClient, job: { projectId: number; ref: string }): RunnerPlatform {
  return {
    name: "gitlab",
    refusal: async () => forkRefusal(config, await isForkMergeRequestJob(client, job.projectId, job.ref)),
    register: async ({ runnerName, labels, profile }) => {
      const runner = await client.createRunner({
        projectId: job.projectId,
        description: runnerName,
        tags: labels,
        maximumTimeoutSeconds: Math.max(MIN_RUNNER_TIMEOUT_SECONDS, profile.max_runtime_minutes * 60),
      });
      try {
        return { runnerId: runner.id, userData: renderGitLabUserData({ gitlabUrl: client.url, runnerToken: runner.token, maxRuntimeMinutes: profile.max_runtime_minutes, idleMinutes: profile.idle_minutes }) };
      } catch (e) {
        // A runner no instance will ever use would otherwise stay registered.
        await client.deleteRunner(runner.id).catch(() => {});
        throw e;
      }
    },
    deregister: (runnerId) => client.deleteRunner(runnerId),
  };
}
