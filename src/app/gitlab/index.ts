import type { Probot } from "probot";
import { GitLabApi } from "../../forges/gitlab/api.js";
import { GitLabForge } from "../../forges/gitlab/forge.js";
import type { LatestPerKey } from "../../queue/latest.js";
import type { AppSettings } from "../settings.js";
import { onMergeRequestHook, onPipelineHook, type GitLabContext } from "./merge-request.js";
import { gitlabWebhook } from "./webhook.js";

/** Another consumer of GitLab events (the GPU runners take the Job Hook). */
export type GitLabListener = (event: string, payload: Record<string, unknown>) => void;

/** The GitLab endpoint on the same server, feeding the same pipeline and queue as GitHub. */
export function gitlabRoute(probot: Probot, settings: AppSettings & { gitlab: NonNullable<AppSettings["gitlab"]> }, queue: LatestPerKey, listeners: GitLabListener[] = []) {
  const api = new GitLabApi(settings.gitlab.url, settings.gitlab.token);
  const ctx: GitLabContext = { settings, api, forge: new GitLabForge(api), queue, token: settings.gitlab.token, log: probot.log };
  return gitlabWebhook(settings.gitlab.secret, (event, payload) => {
    try {
      if (event === "Merge Request Hook") onMergeRequestHook(ctx, payload);
      else if (event === "Pipeline Hook") onPipelineHook(ctx, payload);
      for (const l of listeners) l(event, payload);
    } catch (e) {
      probot.log.error({ err: e, event }, "mlreview: GitLab event failed");
    }
  });
}
