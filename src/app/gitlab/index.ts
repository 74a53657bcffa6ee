import type { Probot } from "probot";
import { GitLabApi } from "../../forges/gitlab/api.js";
import { GitLabForge } from "../../forges/gitlab/forge.js";
import type { TaskQueue } from "../../queue/task.js";
import type { AppSettings } from "../settings.js";
import { ARTIFACT_DOWNLOAD_DEADLINE_MS } from "../../revisions/artifact.js";
import { onMergeRequestHook, onPipelineHook, type GitLabContext } from "./merge-request.js";
import { PayloadError } from "./payloads.js";
import { gitlabWebhook } from "./webhook.js";

/** Another consumer of GitLab events (the GPU runners take the Job Hook). */
export type GitLabListener = (event: string, payload: Record<string, unknown>, delivery: string | undefined) => Promise<void> | void;

export function gitlabContext(settings: AppSettings & { gitlab: NonNullable<AppSettings["gitlab"]> }): GitLabContext {
  const api = new GitLabApi(settings.gitlab.url, settings.gitlab.token);
  return { settings, api, forge: new GitLabForge(api), token: settings.gitlab.token, artifactDeadlineMs: settings.artifactDeadlineMs ?? ARTIFACT_DOWNLOAD_DEADLINE_MS };
}

/**
 * The GitLab endpoint on the same server: it only enqueues, into the same queue as GitHub. A payload
 * whose fields do not validate (ids, shas) is dropped with one log line; the delivery was already
 * answered 200, as GitLab disables hooks that answer slowly.
 */
export function gitlabRoute(probot: Probot, secret: string, queue: TaskQueue, listeners: GitLabListener[] = []) {
  return gitlabWebhook(secret, (event, payload, delivery) => {
    const handle = async () => {
      if (event === "Merge Request Hook") await onMergeRequestHook(queue, payload, delivery);
      else if (event === "Pipeline Hook") await onPipelineHook(queue, payload, delivery);
      for (const l of listeners) await l(event, payload, delivery);
    };
    handle().catch((e: unknown) =>
      e instanceof PayloadError
        ? probot.log.warn({ event, delivery }, `mlreview: GitLab ${event} dropped, invalid payload: ${e.message}`)
        : probot.log.error({ err: e, event }, "mlreview: GitLab event could not be queued"),
    );
  });
}
