import { GitLabApi } from "../../forges/gitlab/api.js";
import { GitLabForge } from "../../forges/gitlab/forge.js";
import { gitlabPath } from "../../forges/gitlab/path.js";
import { RedirectError } from "../../forges/redirects.js";
import { CONFIG_FILES } from "../../project/index.js";
import type { Task, TaskContext, TaskQueue } from "../../queue/task.js";
import { ARTIFACT_DOWNLOAD_DEADLINE_MS, ArtifactError, readArtifactStream } from "../../revisions/artifact.js";
import { runReportJob, type ArtifactSource } from "../../review/legacy.js";
import { dvcSources, reposDir, type AppSettings } from "../settings.js";
import { parseMergeRequestHook, parsePipelineHook, type MergeRequestFields, type PipelineFields } from "./payloads.js";

/** On GitLab the repository config may also live in .gitlab/ (DESIGN §2). */
export const GITLAB_CONFIG_FILES = [...CONFIG_FILES, ".gitlab/mlreview.yml"] as const;

type Build = PipelineFields["builds"][number];

/** What a worker needs to report a merge request, as data: validated ids, sha and branch names only. */
interface MergeRequestTaskData extends MergeRequestFields {
  /** Pipeline Hook: the builds of the successful pipeline, one of which holds the results. */
  builds?: Build[];
}

export interface GitLabContext {
  settings: AppSettings;
  api: GitLabApi;
  forge: GitLabForge;
  token: string;
  /** How long one artifact download may take, redirects and body included. */
  artifactDeadlineMs: number;
}

const key = (project: number, iid: number) => `gitlab:${project}!${iid}`;

/** Merge Request Hook: opened, reopened, or updated with new commits → the report of its newest head. */
export async function onMergeRequestHook(queue: TaskQueue, payload: Record<string, unknown>, delivery: string | undefined): Promise<void> {
  const attrs = payload.object_attributes as { action?: unknown; oldrev?: unknown; state?: unknown } | undefined;
  if (attrs?.state !== "opened") return;
  const codeChanged = attrs.action === "open" || attrs.action === "reopen" || (attrs.action === "update" && attrs.oldrev !== undefined);
  if (!codeChanged) return;
  const data: MergeRequestTaskData = parseMergeRequestHook(payload);
  await queue.submit({ kind: "gitlab.merge_request", key: key(data.projectId, data.mr.iid), version: data.mr.sha, ...(delivery ? { delivery } : {}), data });
}

/**
 * Pipeline Hook: a successful merge request pipeline → the report with the artifact of the job that
 * produced the results (named as `artifacts.name` says: the job's name or its archive's name) and the
 * same job's artifact from the latest successful pipeline of the target branch.
 */
export async function onPipelineHook(queue: TaskQueue, payload: Record<string, unknown>, delivery: string | undefined): Promise<void> {
  const status = (payload.object_attributes as { status?: unknown } | undefined)?.status;
  const mrState = (payload.merge_request as { state?: unknown } | null | undefined)?.state;
  if (status !== "success" || mrState !== "opened") return;
  const { pipelineId, builds, ...fields } = parsePipelineHook(payload);
  const data: MergeRequestTaskData = { ...fields, builds };
  await queue.submit({ kind: "gitlab.pipeline", key: key(data.projectId, data.mr.iid), version: `${data.mr.sha}+pipeline${pipelineId}`, ...(delivery ? { delivery } : {}), data });
}

/** A worker's side of both hooks: the shared report job, with GitLab's merge-base, token and uploads. */
export async function runGitLabTask(gl: GitLabContext, task: Task, ctx: TaskContext): Promise<void> {
  const { projectId, mr, builds } = task.data as MergeRequestTaskData;
  const artifacts: ArtifactSource | undefined = builds
    ? async ({ name }) => {
        const headJob = builds.find((b) => matches(b, name));
        if (!headJob) return undefined;
        const headFiles = await jobArtifact(gl, projectId, headJob.id);
        const base = await gl.api.request<{ id: number }[]>("GET", gitlabPath`/projects/${projectId}/pipelines` + `?ref=${encodeURIComponent(mr.target_branch)}&status=success&per_page=1`);
        const baseJobs = base[0] ? await gl.api.request<Build[]>("GET", gitlabPath`/projects/${projectId}/pipelines/${base[0].id}/jobs` + "?scope[]=success&per_page=100") : [];
        const baseJob = baseJobs.find((b) => matches(b, name));
        return baseJob ? { head: headFiles, base: await jobArtifact(gl, projectId, baseJob.id) } : { head: headFiles };
      }
    : undefined;
  await runReportJob({
    forge: gl.forge,
    cr: { repo: String(projectId), number: mr.iid, headSha: mr.sha, baseRef: mr.target_branch },
    mergeBase: async () =>
      (await gl.api.request<{ id: string }>("GET", gitlabPath`/projects/${projectId}/repository/merge_base` + `?refs[]=${encodeURIComponent(mr.target_branch)}&refs[]=${encodeURIComponent(mr.sha)}`)).id,
    labels: { base: mr.target_branch, head: mr.source_branch },
    // The payload's git_http_url is whatever the sender wrote: the clone URL is the API's, on GITLAB_URL's origin.
    clone: { url: () => cloneUrl(gl.api, projectId), forgeOrigin: gl.api.origin, token: async () => gl.token, username: "oauth2", cacheDir: reposDir(gl.settings) },
    publish: gl.forge.publisher(projectId),
    configFiles: GITLAB_CONFIG_FILES,
    ...(artifacts ? { artifacts } : {}),
    dvc: dvcSources(gl.settings),
    ctx,
  });
}

/** The project's http_url_to_repo (GitLab writes it from its external URL, so a sub-path comes with it). */
async function cloneUrl(api: GitLabApi, projectId: number): Promise<string> {
  const project = await api.request<{ http_url_to_repo?: unknown }>("GET", gitlabPath`/projects/${projectId}`);
  if (typeof project.http_url_to_repo !== "string") throw new Error(`GitLab project ${projectId} has no http_url_to_repo`);
  return project.http_url_to_repo;
}

function matches(b: Build, name: string): boolean {
  return b.status === "success" && (b.name === name || b.artifacts_file?.filename === `${name}.zip`);
}

/** A job's artifact archive, read in memory under the artifact limits and within the download deadline. */
async function jobArtifact(gl: GitLabContext, project: number, job: number): Promise<Map<string, Buffer>> {
  const signal = AbortSignal.timeout(gl.artifactDeadlineMs);
  try {
    const res = await gl.api.download(gitlabPath`/projects/${project}/jobs/${job}/artifacts`, signal);
    return await readArtifactStream(res.body as unknown as AsyncIterable<Uint8Array>);
  } catch (e) {
    if (signal.aborted) throw new ArtifactError(`job ${job}'s artifact did not download within ${Math.round(gl.artifactDeadlineMs / 1000)} s`);
    if (e instanceof RedirectError) throw new ArtifactError(`job ${job}'s artifact: ${e.message}`);
    throw e;
  }
}
