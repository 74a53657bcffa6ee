import type { ProbotOctokit } from "probot";
import { z } from "zod";
import type { ForgeRunners, RunnerPlatform } from "../../runners/platform.js";
import type { ForgeHost } from "../types.js";
import { deleteRunner, isForkRun, jitConfig } from "./runner-api.js";
import { githubFacts } from "./runner-facts.js";
import { renderUserData } from "./user-data.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

/** GitHub allows at most 100 labels on a runner; more is not a job anyone wrote. */
const MAX_LABELS = 100;
/** A label, a runner name or a repository name longer than this is not GitHub's: it would only bloat tags and logs. */
const MAX_NAME = 255;
const id = z.number({ message: "must be a number" }).int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** The runner task's data: the installation and the subset of the workflow_job payload the runners read. */
export const runnerTaskSchema = z.object({
  installation: id,
  payload: z.object({
    action: z.string().max(64),
    workflow_job: z.object({
      id,
      run_id: id,
      run_attempt: id.min(1),
      labels: z.array(z.string().max(MAX_NAME)).max(MAX_LABELS, { message: `at most ${MAX_LABELS} labels` }),
      runner_name: z.string().max(MAX_NAME).nullable(),
    }),
    repository: z.object({
      full_name: z
        .string()
        .min(1)
        .max(MAX_NAME)
        .regex(/^[^/\s]+\/[^/\s]+$/, { message: "must be owner/name" }),
    }),
  }),
});
export type RunnerTask = z.infer<typeof runnerTaskSchema>;
export type WorkflowJobPayload = RunnerTask["payload"];

/** GitHub Actions: a JIT config per job (single-use, ephemeral), through the installation's token. */
export function githubPlatform(octokit: () => Promise<Octokit>, repo: string, runId: number): RunnerPlatform {
  return {
    isFork: async (signal) => isForkRun(await octokit(), repo, runId, signal),
    register: async ({ runnerName, labels, profile }, signal) => {
      let jit;
      try {
        jit = await jitConfig(await octokit(), repo, { name: runnerName, labels, runnerGroupId: profile.runner_group_id }, signal);
      } catch (e) {
        // A runner of that name exists: another replica (or an earlier delivery) is launching this job.
        if ((e as { status?: number }).status === 409) return { skipped: "runner already registered for this job" };
        throw e;
      }
      return { runnerId: jit.runnerId, userData: renderUserData({ jitConfig: jit.encoded, maxRuntimeMinutes: profile.max_runtime_minutes, idleMinutes: profile.idle_minutes }) };
    },
    deregister: async (runnerId) => deleteRunner(await octokit(), repo, runnerId),
  };
}

const ACTIONS = { queued: "queued", in_progress: "started", completed: "completed" } as const;

/** `mlreview-<profile>-<job>-<attempt>`: unique per job attempt, so a duplicate delivery hits the same name. */
export function runnerName(profile: string, job: number, attempt: number): string {
  return `mlreview-${profile}-${job}-${attempt}`.slice(0, 64);
}

export function jobKey(repo: string, job: number, attempt: number): string {
  return `${repo}#${job}@${attempt}`;
}

/** GitHub's runners, with the installation's Octokit made by `octokitFor` (by default the host's Probot). */
export function githubRunners(o: { octokitFor?: (host: ForgeHost, installation: number) => Promise<Octokit> } = {}): ForgeRunners<RunnerTask> {
  const octokitFor = o.octokitFor ?? ((host, installation) => host.probot.auth(installation));
  const facts = new WeakMap<ForgeHost, ReturnType<typeof githubFacts>>();
  return {
    event: async (data, host) => {
      const r = runnerTaskSchema.safeParse(data);
      if (!r.success) return { ignored: "not a workflow_job runner task: ignored", fields: { error: r.error.issues[0]?.message } };
      const { installation, payload } = r.data;
      const action = ACTIONS[payload.action as keyof typeof ACTIONS];
      if (!action) return undefined;
      const job = payload.workflow_job;
      const repo = payload.repository.full_name;
      // The installation's token is minted by the first call that needs it, once per event.
      let octokit: Promise<Octokit> | undefined;
      const lazy = () => (octokit ??= octokitFor(host, installation));
      return {
        action,
        key: jobKey(repo, job.id, job.run_attempt),
        owner: repo,
        job: job.id,
        attempt: job.run_attempt,
        runner: job.runner_name || undefined,
        fields: { repo, job: job.id },
        labels: job.labels,
        lookup: async () => ({ labels: job.labels, platform: githubPlatform(lazy, repo, job.run_id) }),
      };
    },
    runnerName,
    keyOf: (i) => jobKey(i.repo, i.job, attemptOf(i.runner)),
    facts: (host) => {
      let f = facts.get(host);
      if (!f) facts.set(host, (f = githubFacts(host.probot)));
      return f;
    },
    // A JIT runner is single-use: GitHub removes it after its one job.
    released: async () => undefined,
  };
}

function attemptOf(runner: string | undefined): number {
  const m = runner ? /-(\d+)$/.exec(runner) : null;
  return m ? Number(m[1]) : 1;
}

export const runners: ForgeRunners<RunnerTask> = githubRunners();
