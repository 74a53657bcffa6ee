import { z } from "zod";

/** GitLab caps a full path at 255 characters per level; anything longer only bloats tags and logs. */
const MAX_PATH = 1024;

/**
 * The fields of a GitLab Job Hook (X-Gitlab-Event: Job Hook, object_kind "build") the runners use.
 * The hook does not carry the job's own tags (only the tags of the runner that took it, once one
 * did), so the service asks the jobs API for them.
 */
export const jobHookSchema = z.object({
  object_kind: z.literal("build"),
  build_id: z.number().int().positive(),
  build_status: z.string(),
  project_id: z.number().int().positive(),
  project: z.object({ path_with_namespace: z.string().min(1).max(MAX_PATH) }),
  runner: z.object({ id: z.number().int(), description: z.string().max(MAX_PATH).nullish() }).nullish(),
});
export type JobHookPayload = z.infer<typeof jobHookSchema>;

export interface JobHook {
  buildId: number;
  /** created, pending, running, success, failed, canceled, … */
  status: string;
  projectId: number;
  /** path_with_namespace: what the allow list matches and what the instances are tagged with. */
  project: string;
  /** The runner that took the job, when one did. */
  runner: { id: number; description: string } | undefined;
}

/** The hook's fields, or undefined when the payload is not a Job Hook. */
export function parseJobHook(payload: unknown): JobHook | undefined {
  const r = jobHookSchema.safeParse(payload);
  if (!r.success) return undefined;
  const d = r.data;
  return {
    buildId: d.build_id,
    status: d.build_status,
    projectId: d.project_id,
    project: d.project.path_with_namespace,
    runner: d.runner ? { id: d.runner.id, description: d.runner.description ?? "" } : undefined,
  };
}
