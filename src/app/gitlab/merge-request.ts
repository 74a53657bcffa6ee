import { GitLabApi } from "../../forges/gitlab/api.js";
import { GitLabForge } from "../../forges/gitlab/forge.js";
import type { LatestPerKey } from "../../queue/latest.js";
import { CONFIG_FILES } from "../../project/index.js";
import { ARTIFACT_LIMITS, ArtifactError, readArtifact } from "../../revisions/artifact.js";
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

export interface GitLabContext {
  settings: AppSettings;
  api: GitLabApi;
  forge: GitLabForge;
  queue: LatestPerKey;
  token: string;
  log: { error(o: Record<string, unknown>, m: string): void };
}

const key = (project: number, iid: number) => `gitlab:${project}!${iid}`;

/** Merge Request Hook: opened, reopened, or updated with new commits → the report of its newest head. */
export function onMergeRequestHook(ctx: GitLabContext, payload: Record<string, unknown>): void {
  const project = payload.project as Project | undefined;
  const attrs = payload.object_attributes as
    | { iid: number; action?: string; oldrev?: string; source_branch: string; target_branch: string; state: string; last_commit?: { id: string } }
    | undefined;
  if (!project || !attrs?.last_commit || attrs.state !== "opened") return;
  const codeChanged = attrs.action === "open" || attrs.action === "reopen" || (attrs.action === "update" && attrs.oldrev !== undefined);
  if (!codeChanged) return;
  const mr = { iid: attrs.iid, source_branch: attrs.source_branch, target_branch: attrs.target_branch, sha: attrs.last_commit.id };
  submit(ctx, project, mr, mr.sha, undefined);
}

/**
 * Pipeline Hook: a successful merge request pipeline → the report with the artifact of the job that
 * produced the results (named as `artifacts.name` says: the job's name or its archive's name) and the
 * same job's artifact from the latest successful pipeline of the target branch.
 */
export function onPipelineHook(ctx: GitLabContext, payload: Record<string, unknown>): void {
  const project = payload.project as Project | undefined;
  const attrs = payload.object_attributes as { id: number; status: string; sha: string } | undefined;
  const mr = payload.merge_request as { iid: number; source_branch: string; target_branch: string; state: string } | null | undefined;
  if (!project || !attrs || !mr || attrs.status !== "success" || mr.state !== "opened") return;
  const builds = (payload.builds ?? []) as Build[];
  const head = { ...mr, sha: attrs.sha };
  const artifacts: ArtifactSource = async ({ name }) => {
    const headJob = builds.find((b) => matches(b, name));
    if (!headJob) return undefined;
    const headFiles = await jobArtifact(ctx.api, project.id, headJob.id);
    const base = await ctx.api.request<{ id: number }[]>("GET", `/projects/${project.id}/pipelines?ref=${encodeURIComponent(mr.target_branch)}&status=success&per_page=1`);
    const baseJobs = base[0] ? await ctx.api.request<Build[]>("GET", `/projects/${project.id}/pipelines/${base[0].id}/jobs?scope[]=success&per_page=100`) : [];
    const baseJob = baseJobs.find((b) => matches(b, name));
    return baseJob ? { head: headFiles, base: await jobArtifact(ctx.api, project.id, baseJob.id) } : { head: headFiles };
  };
  submit(ctx, project, head, `${attrs.sha}+pipeline${attrs.id}`, artifacts);
}

interface Build {
  id: number;
  name: string;
  status: string;
  artifacts_file?: { filename: string | null } | null;
}

function matches(b: Build, name: string): boolean {
  return b.status === "success" && (b.name === name || b.artifacts_file?.filename === `${name}.zip`);
}

async function jobArtifact(api: GitLabApi, project: number, job: number): Promise<Map<string, Buffer>> {
  const res = await api.raw("GET", `/projects/${project}/jobs/${job}/artifacts`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += c.length;
    if (size > ARTIFACT_LIMITS.maxZipBytes) throw new ArtifactError(`artifact download exceeds ${ARTIFACT_LIMITS.maxZipBytes} bytes`);
    chunks.push(c);
  }
  return readArtifact(Buffer.concat(chunks));
}

function submit(ctx: GitLabContext, project: Project, mr: MergeRequest, version: string, artifacts: ArtifactSource | undefined): void {
  void ctx.queue.submit(key(project.id, mr.iid), version, ({ isStale }) =>
    runReportJob({
      forge: ctx.forge,
      cr: { repo: String(project.id), number: mr.iid, headSha: mr.sha, baseRef: mr.target_branch },
      mergeBase: async () =>
        (await ctx.api.request<{ id: string }>("GET", `/projects/${project.id}/repository/merge_base?refs[]=${encodeURIComponent(mr.target_branch)}&refs[]=${mr.sha}`)).id,
      labels: { base: mr.target_branch, head: mr.source_branch },
      // GitLab writes git_http_url from its external URL, so a sub-path and a self-managed host come with it.
      clone: { url: project.git_http_url, token: async () => ctx.token, username: "oauth2", cacheDir: reposDir(ctx.settings) },
      publish: ctx.forge.publisher(project.id),
      configFiles: GITLAB_CONFIG_FILES,
      ...(artifacts ? { artifacts } : {}),
      isStale,
    }),
  );
}
