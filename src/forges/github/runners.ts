// STUB on the github branch only: the runners helper owns this file (src/forges/github/runners.ts),
// the lead takes theirs at the merge. It only has to export these two names for index.ts.
import { z } from "zod";
import type { ForgeRunners } from "../../runners/platform.js";

const id = z.number().int().positive();

/** A workflow_job task's data: the installation and the payload fields the runner service reads. */
export const runnerTaskSchema = z.object({
  installation: id,
  payload: z.object({
    action: z.string().max(64),
    workflow_job: z.object({ id, run_id: id, run_attempt: id, labels: z.array(z.string().max(256)).max(64), runner_name: z.string().max(256).nullable() }),
    repository: z.object({ full_name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/) }),
  }),
});

export type GitHubRunnerData = z.infer<typeof runnerTaskSchema>;

export const runners: ForgeRunners<GitHubRunnerData> | undefined = undefined;
