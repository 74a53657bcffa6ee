import type { ForgeRunners, RunnerPlatform } from "../../runners/platform.js";
import type { ForgeHost } from "../types.js";
import { sharedClient, type GitLabClient } from "./client.js";
import { jobHookSchema, parseJobHook, type JobHookPayload } from "./job-hook.js";
import { gitlabFacts } from "./runner-facts.js";
import { renderGitLabUserData } from "./user-data.js";

/** The runner task's data: the Job Hook as GitLab sent it (the fields the runners read). */
export const runnerTaskSchema = jobHookSchema;
export type RunnerTask = JobHookPayload;

/** GitLab refuses a runner maximum_timeout under 10 minutes. */
const MIN_RUNNER_TIMEOUT_SECONDS = 600;
const MERGE_REQUEST_REF = /^refs\/merge-requests\/(\d+)\/(?:head|merge|train)$/;

/**
 * Does the job belong to a pipeline for a merge request from a fork? By default GitLab runs those in
 * the fork, on the fork's runners, so their jobs never reach this project's hook; only a member of
 * the parent project can run one in the parent (merge request pipelines have refs/merge-requests/<iid>/…),
 * and that is the case checked here.
 */
export async function isForkMergeRequestJob(client: GitLabClient, projectId: number, ref: string, signal?: AbortSignal): Promise<boolean> {
  const m = MERGE_REQUEST_REF.exec(ref);
  if (!m) return false;
  const mr = await client.mergeRequest(projectId, Number(m[1]), signal);
  return mr.source_project_id !== mr.target_project_id;
}

/**
 * GitLab: a project runner per job, created with POST /user/runners (a runner authentication token,
 * never the deprecated registration token), locked to the project and taking only the job's tags.
 */
export function gitlabPlatform(client: GitLabClient, job: { projectId: number; ref: string }): RunnerPlatform {
  return {
    isFork: (signal) => isForkMergeRequestJob(client, job.projectId, job.ref, signal),
    register: async ({ runnerName, labels, profile }, signal) => {
      const runner = await client.createRunner(
        {
          projectId: job.projectId,
          description: runnerName,
          tags: labels,
          maximumTimeoutSeconds: Math.max(MIN_RUNNER_TIMEOUT_SECONDS, profile.max_runtime_minutes * 60),
        },
        signal,
      );
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

/** GitLab retries a job as a new job (a new id), so the id alone names an attempt. */
export function jobKey(project: string, job: number): string {
  return `gitlab:${project}#${job}`;
}

/** `mlreview-<profile>-gl-<job>`: the GitLab runner's description and the instance's runner tag. */
export function runnerName(profile: string, job: number): string {
  return `mlreview-${profile}-gl-${job}`.slice(0, 64);
}

/** The runners use the server's one GitLab client (shared with its reviews). */
const clientOf = (host: ForgeHost): GitLabClient | undefined => sharedClient(host.settings, host.log);

/**
 * GitLab's runners, asking GitLab through `clientFor` (by default the host's GitLab settings).
 * `pending` with a `mlreview-<profile>` tag gets a runner and an instance; `success`, `failed` and
 * `canceled` end the instance that ran the job and delete its runner. Redeliveries (GitLab retries a
 * hook that timed out; the Idempotency-Key header is not needed) change nothing: the job is the key.
 */
export function gitlabRunners(o: { clientFor?: (host: ForgeHost) => GitLabClient | undefined } = {}): ForgeRunners<RunnerTask> {
  const clientFor = o.clientFor ?? clientOf;
  return {
    event: async (data, host) => {
      const hook = parseJobHook(data);
      if (!hook) return { ignored: "not a GitLab Job Hook payload: ignored", fields: {} };
      const client = clientFor(host);
      if (!client) return { ignored: "GitLab runners need GITLAB_TOKEN: Job Hooks are ignored", fields: { project: hook.project }, once: true };
      const ranOn = hook.runner?.description.startsWith("mlreview-") ? hook.runner.description : undefined;
      const action = hook.status === "pending" ? "queued" : hook.status === "running" && ranOn ? "started" : hook.status === "success" || hook.status === "failed" || hook.status === "canceled" ? "completed" : undefined;
      if (!action) return undefined;
      return {
        action,
        key: jobKey(hook.project, hook.buildId),
        owner: hook.project,
        job: hook.buildId,
        attempt: 1,
        runner: hook.runner?.description,
        fields: { project: hook.project, job: hook.buildId },
        lookup: async (signal) => {
          // The runner is created for project_id: the allow list must have been matched against that
          // project's own path, not the one the payload claims next to it.
          const path = await client.pathWithNamespace(hook.projectId, signal);
          if (path !== hook.project) {
            return { ignored: "the Job Hook's project path is not its project_id's: ignored", fields: { project: hook.project, projectId: hook.projectId, actual: path ?? null } };
          }
          // The hook lacks the job's tags: the jobs API has them, and says whether the job still waits.
          const job = await client.job(hook.projectId, hook.buildId, signal);
          if (!job || job.status !== "pending") return undefined;
          return { labels: job.tag_list, platform: gitlabPlatform(client, { projectId: hook.projectId, ref: job.ref }) };
        },
      };
    },
    runnerName: (profile, job) => runnerName(profile, job),
    keyOf: (i) => jobKey(i.repo, i.job),
    facts: (host, instances) => {
      const client = clientFor(host);
      return client ? gitlabFacts(client, instances) : undefined;
    },
    released: async (host, { instanceId, runnerId }) => {
      if (runnerId === undefined) return undefined;
      const client = clientFor(host);
      if (!client) return { warn: "GitLab runner not deleted: GitLab runners need GITLAB_TOKEN", fields: { instance: instanceId, runner: runnerId } };
      try {
        await client.deleteRunner(runnerId);
        return undefined;
      } catch (e) {
        return { warn: "GitLab runner not deleted", fields: { instance: instanceId, runner: runnerId, error: (e as Error).message } };
      }
    },
  };
}

export const runners: ForgeRunners<RunnerTask> = gitlabRunners();
