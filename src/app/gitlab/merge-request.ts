import { GitLabApi } from "../../forges/gitlab/api.js";
import { GitLabForge } from "../../forges/gitlab/forge.js";
import { CONFIG_FILES } from "../../project/index.js";
import type { Task, TaskContext, TaskQueue } from "../../queue/task.js";
import { readArtifactStream } from "../../revisions/artifact.js";
import { runReportJob, type ArtifactSource } from "../report-job.js";
import { reposDir, type AppSettings } from "../settings.js";

/** On GitLab the repository config may also live in .gitlab/ (DESIGN §2). */
export const GITLAB_CONFIG_FILES = [...CONFIG_FILES, ".gitlab/mlreview.yml"] as const;

interface Project {
  id: number;
  path_with_namespace: string;
  git_http_url: string;
}

interface MergeRequest {
  iid: number;
  source_branch: string;
  target_branch: string;
  sha: string;
}

interface Build {
  id: number;
  name: string;
  status: string;
  artifacts_file?: { filename: string | null } | null;
}

/** What a worker needs to report a merge request, as data. */
interface MergeRequestTaskData {
  project: Project;
  mr: MergeRequest;
  /** Pipeline Hook: the builds of the successful pipeline, one of which holds the results. */
  builds?: Build[];
}

export interface GitLabContext {
  settings: AppSettings;
  api: GitLabApi;
  forge: GitLabForge;
  token: string;
}

const key = (project: number, iid: number) => `gitlab:${project}!${iid}`;

function projectOf(payload: Record<string, unknown>): Project | undefined {
  const p = payload.project as Project | undefined;
  return p && typeof p.id === "number" && typeof p.git_http_url === "string" ? { id: p.id, path_with_namespace: p.path_with_namespace, git_http_url: p.git_http_url } : undefined;
}

/** Merge Request Hook: opened, reopened, or updated with new commits → the report of its newest head. */
export async function onMergeRequestHook(queue: TaskQueue, payload: Record<string, unknown>, delivery: string | undefined): Promise<void> {
  const project = projectOf(payload);
  const attrs = payload.object_attributes as
    | { iid: number; action?: string; oldrev?: string; source_branch: string; target_branch: string; state: string; last_commit?: { id: string } }
    | undefined;
  if (!project || !attrs?.last_commit || attrs.state !== "opened") return;
  const codeChanged = attrs.action === "open" || attrs.action === "reopen" || (attrs.action === "update" && attrs.oldrev !== undefined);
  if (!codeChanged) return;
  const mr = { iid: attrs.iid, source_branch: attrs.source_branch, target_branch: attrs.target_branch, sha: attrs.last_commit.id };
  const data: MergeRequestTaskData = { project, mr };
  await queue.submit({ kind: "gitlab.merge_request", key: key(project.id, mr.iid), version: mr.sha, ...(delivery ? { delivery } : {}), data });
}

/**
 * Pipeline Hook: a successful merge request pipeline → the report with the artifact of the job that
 * produced the results (named as `artifacts.name` says: the job's name or its archive's name) and the
 * same job's artifact from the latest successful pipeline of the target branch.
 */
export async function onPipelineHook(queue: TaskQueue, payload: Record<string, unknown>, delivery: string | undefined): Promise<void> {
  const project = projectOf(payload);
  const attrs = payload.object_attributes as { id: number; status: string; sha: string } | undefined;
  const mr = payload.merge_request as { iid: number; source_branch: string; target_branch: string; state: string } | null | undefined;
  if (!project || !attrs || !mr || attrs.status !== "success" || mr.state !== "opened") return;
  const builds = ((payload.builds ?? []) as Build[]).map((b) => ({ id: b.id, name: b.name, status: b.status, artifacts_file: b.artifacts_file ?? null }));
  const data: MergeRequestTaskData = { project, mr: { iid: mr.iid, source_branch: mr.source_branch, target_branch: mr.target_branch, sha: attrs.sha }, builds };
  await queue.submit({ kind: "gitlab.pipeline", key: key(project.id, mr.iid), version: `${attrs.sha}+pipeline${attrs.id}`, ...(delivery ? { delivery } : {}), data });
}

/** A worker's side of both hooks: the shared report job, with GitLab's merge-base, token and uploads. */
export async function runGitLabTask(gl: GitLabContext, task: Task, ctx: TaskContext): Promise<void> {
  const { project, mr, builds } = task.data as MergeRequestTaskData;
  const artifacts: ArtifactSource | undefined = builds
    ? async ({ name }) => {
        const headJob = builds.find((b) => matches(b, name));
        if (!headJob) return undefined;
        const headFiles = await jobArtifact(gl.api, project.id, headJob.id);
        const base = await gl.api.request<{ id: number }[]>("GET", `/projects/${project.id}/pipelines?ref=${encodeURIComponent(mr.target_branch)}&status=success&per_page=1`);
        const baseJobs = base[0] ? await gl.api.request<Build[]>("GET", `/projects/${project.id}/pipelines/${base[0].id}/jobs?scope[]=success&per_page=100`) : [];
        const baseJob = baseJobs.find((b) => matches(b, name));
        return baseJob ? { head: headFiles, base: await jobArtifact(gl.api, project.id, baseJob.id) } : { head: headFiles };
      }
    : undefined;
  await runReportJob({
    forge: gl.forge,
    cr: { repo: String(project.id), number: mr.iid, headSha: mr.sha, baseRef: mr.target_branch },
    mergeBase: async () =>
      (await gl.api.request<{ id: string }>("GET", `/projects/${project.id}/repository/merge_base?refs[]=${encodeURIComponent(mr.target_branch)}&refs[]=${mr.sha}`)).id,
    labels: { base: mr.target_branch, head: mr.source_branch },
    // GitLab writes git_http_url from its external URL, so a sub-path and a self-managed host come with it.
    clone: { url: project.git_http_url, token: async () => gl.token, username: "oauth2", cacheDir: reposDir(gl.settings) },
    publish: gl.forge.publisher(project.id),
    configFiles: GITLAB_CONFIG_FILES,
    ...(artifacts ? { artifacts } : {}),
    ctx,
  });
}

function matches(b: Build, name: string): boolean {
  return b.status === "success" && (b.name === name || b.artifacts_file?.filename === `${name}.zip`);
}

async function jobArtifact(api: GitLabApi, project: number, job: number): Promise<Map<string, Buffer>> {
  const res = await api.raw("GET", `/projects/${project}/jobs/${job}/artifacts`);
  return readArtifactStream(res.body as unknown as AsyncIterable<Uint8Array>);
}
