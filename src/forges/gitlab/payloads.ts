import { z } from "zod";
import { describeIssues } from "../../project/schema.js";
import { OBJECT_ID } from "../../revisions/object-id.js";

/**
 * The fields of the Merge Request and Pipeline Hooks a report uses, validated. Trust rule: ids from a
 * payload (positive integers) pick the objects; the clone URL and the project are re-read from the API by
 * id (merge-request.ts); the sha and branch names are checked here and then used as data only (a commit
 * id, encoded query values, escaped report text).
 */
const id = z.int().positive();
const sha = z.string().regex(OBJECT_ID, "not a commit id (40 or 64 hex digits)");
/** GitLab's own limit on a branch name: anything longer is not a branch GitLab made. */
const ref = z.string().min(1).max(255);

const mergeRequestHook = z.object({
  project: z.object({ id }),
  object_attributes: z.object({
    iid: id,
    source_branch: ref,
    target_branch: ref,
    last_commit: z.object({ id: sha }),
  }),
});

const build = z.object({
  id,
  name: z.string().max(255),
  status: z.string().max(64),
  artifacts_file: z.object({ filename: z.string().max(1024).nullable() }).nullish(),
});

const pipelineHook = z.object({
  project: z.object({ id }),
  object_attributes: z.object({ id, sha }),
  merge_request: z.object({ iid: id, source_branch: ref, target_branch: ref }),
  builds: z.array(build).max(10_000).default([]),
});

export interface MergeRequestFields {
  projectId: number;
  mr: { iid: number; source_branch: string; target_branch: string; sha: string };
}

export interface PipelineFields extends MergeRequestFields {
  pipelineId: number;
  builds: z.infer<typeof build>[];
}

/** A hostile or broken payload: one line naming the first bad field, never its value. */
export class PayloadError extends Error {
  override readonly name = "PayloadError";
}

export function parseMergeRequestHook(payload: unknown): MergeRequestFields {
  const r = mergeRequestHook.safeParse(payload);
  if (!r.success) throw new PayloadError(describeIssues(r.error.issues));
  const a = r.data.object_attributes;
  return { projectId: r.data.project.id, mr: { iid: a.iid, source_branch: a.source_branch, target_branch: a.target_branch, sha: a.last_commit.id } };
}

export function parsePipelineHook(payload: unknown): PipelineFields {
  const r = pipelineHook.safeParse(payload);
  if (!r.success) throw new PayloadError(describeIssues(r.error.issues));
  const { project, object_attributes: p, merge_request: m, builds } = r.data;
  return { projectId: project.id, pipelineId: p.id, mr: { iid: m.iid, source_branch: m.source_branch, target_branch: m.target_branch, sha: p.sha }, builds };
}

/** A merge request review task's data as it comes off the queue: the parsed hook fields, checked again. */
export const mergeRequestTaskSchema = z.object({
  projectId: id,
  mr: z.object({ iid: id, source_branch: ref, target_branch: ref, sha }),
  /** Pipeline Hook: the builds of the successful pipeline, one of which holds the results. */
  builds: z.array(build).max(10_000).optional(),
});

export type MergeRequestTaskData = z.infer<typeof mergeRequestTaskSchema>;
export type Build = z.infer<typeof build>;
