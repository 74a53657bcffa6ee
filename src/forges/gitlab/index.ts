import { CONFIG_FILES } from "../../project/index.js";
import type { AppSettings } from "../../app/settings.js";
import type { ForgeHost, ForgeModule } from "../types.js";
import { sharedClient, type GitLabClient } from "./client.js";
import { FORGE_ID, onJobHook, onMergeRequestHook, onPipelineHook } from "./events.js";
import { mergeRequestTaskSchema, PayloadError, type MergeRequestTaskData } from "./payloads.js";
import { runners, runnerTaskSchema } from "./runners.js";
import { mergeRequestSession } from "./session.js";
import { gitlabWebhook } from "./webhook.js";

/** On GitLab the repository config may also live in .gitlab/ (DESIGN §2). */
export const GITLAB_CONFIG_FILES = [...CONFIG_FILES, ".gitlab/mlreview.yml"] as const;

export type GitLabReviewData = MergeRequestTaskData;
export type GitLabRunnerData = ReturnType<typeof runnerTaskSchema.parse>;

export function gitlabClient(settings: AppSettings, log?: ForgeHost["log"]): GitLabClient {
  const client = sharedClient(settings, log);
  if (!client) throw new Error("GitLab is not configured (GITLAB_TOKEN, GITLAB_WEBHOOK_SECRET)");
  return client;
}

/** A GitLab host: gitlab.com, or a self-managed one whose name says so (gitlab.example.com, git.gitlab.corp). */
function isGitLabHost(remoteUrl: string): boolean {
  const host = hostOf(remoteUrl)?.toLowerCase();
  return host !== undefined && (host === "gitlab.com" || host.endsWith(".gitlab.com") || host.includes("gitlab"));
}

/** The host of an http(s)/ssh/git URL or of an scp-like `user@host:path`. */
function hostOf(url: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    try {
      return new URL(url).hostname || undefined;
    } catch {
      return undefined;
    }
  }
  return /^(?:[^@/]+@)?([^:/]+):/.exec(url)?.[1];
}

/**
 * GitLab (gitlab.com or self-managed, a sub-path allowed): merge request notes and commit statuses, the
 * /gitlab/webhook endpoint (Merge Request, Pipeline and Job Hooks), pipeline artifacts, and GPU runners.
 */
export const gitlab: ForgeModule<GitLabReviewData, GitLabRunnerData> = {
  id: FORGE_ID,
  configFiles: GITLAB_CONFIG_FILES,
  async claims(project) {
    if (project.remoteUrl && isGitLabHost(project.remoteUrl)) return true;
    return project.hasFile(".gitlab-ci.yml");
  },
  enabled: (settings) => settings.gitlab !== undefined,
  schemas: { review: mergeRequestTaskSchema, runner: runnerTaskSchema },

  /**
   * The endpoint on the same server as GitHub's: it only submits tasks, into the same queue. A payload
   * whose fields do not validate (ids, shas) is dropped with one log line; the delivery was already
   * answered 200, as GitLab disables hooks that answer slowly.
   */
  listen(host) {
    const gl = host.settings.gitlab;
    if (!gl) return;
    if (!host.addHandler) {
      host.log.warn({}, "mlreview: no HTTP server to add /gitlab/webhook to: GitLab events are not received");
      return;
    }
    const submit = host.submit.bind(host);
    host.addHandler(
      gitlabWebhook(gl.secret, (event, payload, delivery) => {
        const handle = async () => {
          if (event === "Merge Request Hook") await onMergeRequestHook(submit, payload, delivery);
          else if (event === "Pipeline Hook") await onPipelineHook(submit, payload, delivery);
          // The GPU runners take the Job Hook from the same endpoint, through the same queue.
          else if (event === "Job Hook" && host.settings.runnersFile) await onJobHook(submit, payload, delivery);
        };
        handle().catch((e: unknown) =>
          e instanceof PayloadError ? host.log.warn({ event, delivery }, `mlreview: GitLab ${event} dropped, invalid payload: ${e.message}`) : host.log.error({ err: e, event }, "mlreview: GitLab event could not be queued"),
        );
      }),
    );
  },

  async review(data, host, signal) {
    const gl = host.settings.gitlab;
    if (!gl) throw new Error("GitLab is not configured (GITLAB_TOKEN, GITLAB_WEBHOOK_SECRET)");
    return mergeRequestSession(gitlabClient(host.settings, host.log), host.settings, gl.token, data, signal);
  },

  ...(runners ? { runners } : {}),
};
