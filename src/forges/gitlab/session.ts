import { ARTIFACT_DOWNLOAD_DEADLINE_MS } from "../../revisions/artifact.js";
import { lfsUrlFromClone } from "../../revisions/lfs/endpoint.js";
import type { AppSettings } from "../../app/settings.js";
import type { ChangeRequest, ReviewSession } from "../types.js";
import { pipelineArtifacts } from "./artifacts.js";
import type { GitLabClient } from "./client.js";
import { gitlabPath } from "./path.js";
import type { MergeRequestTaskData } from "./payloads.js";
import { MergeRequestReport } from "./report.js";

/** Git's and LFS's basic-auth user for a GitLab personal/project access token. */
export const GITLAB_GIT_USER = "oauth2";

/**
 * The GitLab side of one merge request review. Trust rule: the task's ids pick the objects; the clone URL
 * is the API's (the payload's git_http_url is whatever the sender wrote), on GITLAB_URL's origin.
 */
export function mergeRequestSession(api: GitLabClient, settings: AppSettings, token: string, data: MergeRequestTaskData, signal: AbortSignal): ReviewSession {
  const { projectId, mr } = data;
  const cr: ChangeRequest = { repo: String(projectId), number: mr.iid, headSha: mr.sha, baseRef: mr.target_branch };
  const report = new MergeRequestReport(api, cr);
  const artifacts = pipelineArtifacts(api, data, settings.artifactDeadlineMs ?? ARTIFACT_DOWNLOAD_DEADLINE_MS);
  return {
    cr,
    labels: { base: mr.target_branch, head: mr.source_branch },
    async mergeBase(signal) {
      const path = gitlabPath`/projects/${projectId}/repository/merge_base` + `?refs[]=${encodeURIComponent(mr.target_branch)}&refs[]=${encodeURIComponent(mr.sha)}`;
      const base = await api.request<{ id?: unknown }>("GET", path, undefined, signal);
      if (typeof base?.id !== "string") throw new Error(`GitLab project ${projectId}: merge_base has no commit id`);
      return base.id;
    },
    async clone(signal) {
      // GitLab writes http_url_to_repo from its external URL, so a sub-path comes with it.
      const project = await api.request<{ http_url_to_repo?: unknown }>("GET", gitlabPath`/projects/${projectId}`, undefined, signal);
      if (typeof project?.http_url_to_repo !== "string") throw new Error(`GitLab project ${projectId} has no http_url_to_repo`);
      return { url: project.http_url_to_repo, forgeOrigin: api.origin, token, username: GITLAB_GIT_USER };
    },
    // GitLab serves LFS where git-lfs looks for it by default: <clone URL>.git/info/lfs.
    lfsEndpoint: (clone) => lfsUrlFromClone(clone.url),
    ...(artifacts ? { artifacts } : {}),
    publish: report.publisher(signal),
    upsertReport: (body, signal) => report.upsert(body, signal),
    setCheck: (result, signal) => report.setStatus(result, signal),
  };
}
