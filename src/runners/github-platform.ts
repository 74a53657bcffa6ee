import type { ProbotOctokit } from "probot";
import type { RunnersConfig } from "./config.js";
import { deleteRunner, isForkRun, jitConfig } from "./github.js";
import { forkRefusal } from "./guards.js";
import type { RunnerPlatform } from "./platform.js";
import { renderUserData } from "./user-data.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

/** GitHub Actions: a JIT config per job (single-use, ephemeral), through the installation's token. */
export function githubPlatform(config: RunnersConfig, octokit: Octokit, repo: string, runId: number): RunnerPlatform {
  return {
    name: "github",
    refusal: async () => forkRefusal(config, await isForkRun(octokit, repo, runId)),
    register: async ({ runnerName, labels, profile }) => {
      let jit;
      try {
        jit = await jitConfig(octokit, repo, { name: runnerName, labels, runnerGroupId: profile.runner_group_id });
      } catch (e) {
        // A runner of that name exists: another replica (or an earlier delivery) is launching this job.
        if ((e as { status?: number }).status === 409) return { skipped: "runner already registered for this job" };
        throw e;
      }
      return { runnerId: jit.runnerId, userData: renderUserData({ jitConfig: jit.encoded, maxRuntimeMinutes: profile.max_runtime_minutes, idleMinutes: profile.idle_minutes }) };
    },
    deregister: (runnerId) => deleteRunner(octokit, repo, runnerId),
  };
}
