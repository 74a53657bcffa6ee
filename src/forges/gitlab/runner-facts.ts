import type { ManagedInstance } from "../../runners/ec2/instances.js";
import type { JobFacts } from "../../runners/reaper.js";
import type { GitLabClient } from "./client.js";

/** GitLab's job statuses in the reaper's words (GitHub's: queued/pending, in_progress, completed). */
const STATUS: Record<string, string> = {
  created: "pending",
  pending: "pending",
  waiting_for_resource: "pending",
  preparing: "pending",
  scheduled: "pending",
  manual: "pending",
  running: "in_progress",
  canceling: "in_progress",
  success: "completed",
  failed: "completed",
  canceled: "completed",
  skipped: "completed",
};

/** What the reaper asks GitLab about these instances' jobs and runners (runner ids come from their tags). */
export function gitlabFacts(client: GitLabClient, instances: readonly ManagedInstance[]): JobFacts {
  const runnerIds = new Map<string, number>();
  for (const i of instances) if (i.runner && i.runnerId !== undefined) runnerIds.set(i.runner, i.runnerId);
  return {
    status: async (project, job) => {
      const j = await client.job(project, job);
      return j ? (STATUS[j.status] ?? j.status) : "gone";
    },
    runnerBusy: async (_project, runner) => {
      const id = runnerIds.get(runner);
      return id === undefined ? undefined : client.runnerBusy(id);
    },
  };
}
