import { ArtifactError, readArtifactStream } from "../../revisions/artifact.js";
import { RedirectError } from "../redirects.js";
import type { ArtifactSource } from "../types.js";
import type { GitLabClient } from "./client.js";
import { gitlabPath } from "./path.js";
import type { Build, MergeRequestTaskData } from "./payloads.js";

/**
 * The CI results of a Pipeline Hook's review: the artifact of the head pipeline's job that produced
 * them (named as `artifacts.name` says: the job's name or its archive's name), and the same job's
 * artifact from the latest successful pipeline of the target branch.
 */
export function pipelineArtifacts(api: GitLabClient, data: MergeRequestTaskData, deadlineMs: number): ArtifactSource | undefined {
  const { projectId, mr, builds } = data;
  if (!builds) return undefined;
  return async ({ name }, _sides, signal) => {
    const headJob = builds.find((b) => matches(b, name));
    if (!headJob) return undefined;
    const head = await jobArtifact(api, projectId, headJob.id, deadlineMs, signal);
    const pipelines = await api.request<{ id: number }[]>("GET", gitlabPath`/projects/${projectId}/pipelines` + `?ref=${encodeURIComponent(mr.target_branch)}&status=success&per_page=1`, undefined, signal);
    const basePipeline = Array.isArray(pipelines) ? pipelines[0]?.id : undefined;
    const baseJobs = typeof basePipeline === "number" ? await api.request<Build[]>("GET", gitlabPath`/projects/${projectId}/pipelines/${basePipeline}/jobs` + "?scope[]=success&per_page=100", undefined, signal) : [];
    const baseJob = Array.isArray(baseJobs) ? baseJobs.find((b) => matches(b, name)) : undefined;
    return baseJob ? { head, base: await jobArtifact(api, projectId, baseJob.id, deadlineMs, signal) } : { head };
  };
}

function matches(b: Build, name: string): boolean {
  return b.status === "success" && (b.name === name || b.artifacts_file?.filename === `${name}.zip`);
}

/** A job's artifact archive, read in memory under the artifact limits and within the download deadline. */
async function jobArtifact(api: GitLabClient, project: number, job: number, deadlineMs: number, task: AbortSignal): Promise<Map<string, Buffer>> {
  const deadline = AbortSignal.timeout(deadlineMs);
  const signal = AbortSignal.any([task, deadline]);
  try {
    const res = await api.download(gitlabPath`/projects/${project}/jobs/${job}/artifacts`, signal);
    return await readArtifactStream(res.body as unknown as AsyncIterable<Uint8Array>);
  } catch (e) {
    if (deadline.aborted) throw new ArtifactError(`job ${job}'s artifact did not download within ${Math.round(deadlineMs / 1000)} s`);
    if (e instanceof RedirectError) throw new ArtifactError(`job ${job}'s artifact: ${e.message}`);
    throw e;
  }
}
