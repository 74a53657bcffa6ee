import type { ProbotOctokit } from "probot";
import { profileOf, type RunnersConfig } from "./config.js";
import { LaunchError, type Ec2Fleet, type ManagedInstance } from "./ec2.js";
import { deleteRunner, isForkRun, jitConfig } from "./github.js";
import { forkRefusal, repoRefusal } from "./guards.js";
import { reap, type JobFacts, type ReapResult } from "./reaper.js";
import { RunnerScheduler, type LaunchOutcome, type QueuedJob } from "./scheduler.js";
import { renderUserData } from "./user-data.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

export interface WorkflowJobPayload {
  action: string;
  workflow_job: { id: number; run_id: number; run_attempt: number; labels: string[]; runner_name: string | null };
  repository: { full_name: string };
}

export interface RunnerLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

interface JobMeta {
  octokit: Octokit;
  repo: string;
  id: number;
  attempt: number;
  runId: number;
  labels: string[];
  profile: string;
  runnerId?: number;
}

/** A reaper that has not heard back within this long is skipped, not stacked. */
const EXPIRY_SLACK_MS = 10 * 60_000;

/**
 * GPU runners for `workflow_job` events: guards first (allow list, fork pull requests, unknown
 * profiles, limits), then a JIT config and one EC2 instance per job; `completed` ends it, and the
 * reaper ends whatever is expired, finished or idle, from the tags alone.
 */
export class RunnerService {
  readonly scheduler: RunnerScheduler;
  private readonly jobs = new Map<string, JobMeta>();

  constructor(
    private readonly config: RunnersConfig,
    private readonly fleet: Ec2Fleet,
    private readonly log: RunnerLog,
    private readonly now: () => number = Date.now,
  ) {
    this.scheduler = new RunnerScheduler(config, {
      launch: (job) => this.launch(job),
      terminate: (id) => this.fleet.terminate([id]),
      log: (level, msg, data) => this.log[level](data ?? {}, msg),
      now,
    });
  }

  /** Start-up: what is already running holds capacity, and what must end ends now. */
  async start(facts: JobFacts | undefined): Promise<ReapResult> {
    const instances = await this.fleet.managed();
    this.scheduler.restore(
      instances.map((i) => ({ instanceId: i.instanceId, profile: i.profile, runner: i.runner, ...(i.repo && i.job !== undefined ? { job: jobKey(i.repo, i.job, attemptOf(i.runner)) } : {}) })),
    );
    return this.reapNow(facts, instances);
  }

  /** `instances`: a listing just made (start-up), so that the reaper does not list them again. */
  async reapNow(facts: JobFacts | undefined, instances?: ManagedInstance[]): Promise<ReapResult> {
    const result = await reap(this.fleet, this.config, facts, { now: new Date(this.now()), ...(instances ? { instances } : {}) });
    for (const d of result.decisions) {
      this.log.info({ instance: d.instance.instanceId, reason: d.reason, job: d.instance.job, repo: d.instance.repo }, "reaper terminated a runner instance");
      this.scheduler.released(d.instance.instanceId);
    }
    return result;
  }

  async onWorkflowJob(octokit: Octokit, payload: WorkflowJobPayload): Promise<void> {
    const { workflow_job: job, repository } = payload;
    const repo = repository.full_name;
    const key = jobKey(repo, job.id, job.run_attempt);
    if (payload.action === "queued") {
      const match = profileOf(job.labels, this.config);
      if (!match) return;
      if ("unknown" in match) return this.log.info({ repo, job: job.id, profile: match.unknown }, "job asks for an unknown runner profile: ignored");
      const refused = repoRefusal(this.config, repo);
      if (refused) return this.log.warn({ repo, job: job.id }, refused);
      this.jobs.set(key, { octokit, repo, id: job.id, attempt: job.run_attempt, runId: job.run_id, labels: job.labels, profile: match.name });
      this.scheduler.queued({ key, profile: match.name, runnerName: runnerName(match.name, job.id, job.run_attempt), queuedAt: this.now() });
    } else if (payload.action === "in_progress") {
      this.log.info({ repo, job: job.id, runner: job.runner_name }, "runner job started");
    } else if (payload.action === "completed") {
      const ranOn = job.runner_name?.startsWith("mlreview-") ? job.runner_name : undefined;
      const known = this.scheduler.knows(key, ranOn);
      await this.scheduler.completed(key, ranOn);
      this.jobs.delete(key);
      if (known || (job.runner_name && !ranOn)) return;
      // After a restart the scheduler does not know the instance: the tags do.
      const tagged = await this.fleet.managed(ranOn ? { runner: ranOn } : { job: job.id });
      const ours = tagged.filter((i) => i.repo === repo && (ranOn ? i.runner === ranOn : i.job === job.id));
      if (ours.length > 0) {
        await this.fleet.terminate(ours.map((i) => i.instanceId));
        for (const i of ours) this.scheduler.released(i.instanceId);
      }
    }
  }

  private async launch(q: QueuedJob): Promise<LaunchOutcome> {
    const meta = this.jobs.get(q.key);
    if (!meta) return { skipped: "job no longer known" };
    const profile = this.config.profiles[meta.profile]!;
    const refused = forkRefusal(this.config, await isForkRun(meta.octokit, meta.repo, meta.runId));
    if (refused) return { skipped: refused };
    let jit;
    try {
      jit = await jitConfig(meta.octokit, meta.repo, { name: q.runnerName, labels: meta.labels, runnerGroupId: profile.runner_group_id });
    } catch (e) {
      // A runner of that name exists: another replica (or an earlier delivery) is launching this job.
      if ((e as { status?: number }).status === 409) return { skipped: "runner already registered for this job" };
      throw e;
    }
    meta.runnerId = jit.runnerId;
    const userData = renderUserData({ jitConfig: jit.encoded, maxRuntimeMinutes: profile.max_runtime_minutes, idleMinutes: profile.idle_minutes });
    try {
      const launched = await this.fleet.launch({
        profileName: meta.profile,
        profile,
        job: { id: meta.id, runAttempt: meta.attempt, repo: meta.repo, runnerName: q.runnerName, labels: meta.labels },
        userData,
        expiresAt: new Date(this.now() + profile.max_runtime_minutes * 60_000 + EXPIRY_SLACK_MS),
      });
      // An instance this job already had (a redelivery after a restart) keeps its own runner registration.
      if (launched.reused) await deleteRunner(meta.octokit, meta.repo, jit.runnerId).catch(() => {});
      this.log.info({ repo: meta.repo, job: meta.id, instance: launched.instanceId, type: launched.instanceType, market: launched.market, attempts: launched.attempts.length, reused: launched.reused ?? false }, "runner instance launched");
      return { instanceId: launched.instanceId };
    } catch (e) {
      // The JIT registration would otherwise linger as an offline runner; a retry registers anew.
      await deleteRunner(meta.octokit, meta.repo, jit.runnerId).catch(() => {});
      if (e instanceof LaunchError && e.retryable) return { retryAfterMs: 30_000, reason: e.code };
      throw e;
    }
  }
}

export function jobKey(repo: string, id: number, attempt: number): string {
  return `${repo}#${id}@${attempt}`;
}

/** `mlreview-<profile>-<job>-<attempt>`: unique per job attempt, so a duplicate delivery hits the same name. */
export function runnerName(profile: string, id: number, attempt: number): string {
  return `mlreview-${profile}-${id}-${attempt}`.slice(0, 64);
}

function attemptOf(runner: string | undefined): number {
  const m = runner ? /-(\d+)$/.exec(runner) : null;
  return m ? Number(m[1]) : 1;
}
