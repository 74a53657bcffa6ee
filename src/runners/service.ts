import type { ProbotOctokit } from "probot";
import type { Capacity } from "./capacity.js";
import { profileNamed, profileOf, type RunnersConfig } from "./config.js";
import { LaunchError, type Ec2Fleet, type ManagedInstance } from "./ec2.js";
import { githubPlatform } from "./github-platform.js";
import type { GitLabClient } from "../forges/gitlab/client.js";
import { gitlabFacts } from "./gitlab-facts.js";
import { parseJobHook, type JobHook } from "./gitlab-hook.js";
import { gitlabPlatform } from "./gitlab-platform.js";
import { repoRefusal } from "./guards.js";
import type { RunnerPlatform } from "./platform.js";
import { reap, type JobFacts, type ReapResult } from "./reaper.js";
import { RunnerScheduler, type LaunchOutcome, type QueuedJob } from "./scheduler.js";
import { telemetry } from "../telemetry.js";

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

export interface RunnerServiceOptions {
  /** GitLab (GITLAB_URL, GITLAB_TOKEN): without it, Job Hooks are ignored and GitLab instances are only reaped at expiry. */
  gitlab?: GitLabClient | undefined;
  /** Where max_instances is counted: Redis for several replicas; by default this process. */
  capacity?: Capacity;
}

interface JobMeta {
  platform: RunnerPlatform;
  repo: string;
  id: number;
  attempt: number;
  labels: string[];
  profile: string;
  runnerId?: number;
}

/** A reaper that has not heard back within this long is skipped, not stacked. */
const EXPIRY_SLACK_MS = 10 * 60_000;

/**
 * GPU runners for GitHub `workflow_job` events and GitLab Job Hooks: guards first (allow list, fork
 * pull/merge requests, unknown profiles, limits), then a runner registered on the forge and one EC2
 * instance per job; the job's end ends it, and the reaper ends whatever is expired, finished or idle,
 * from the tags alone. A GitLab runner is deleted from GitLab whenever its instance is ended.
 */
export class RunnerService {
  readonly scheduler: RunnerScheduler;
  private readonly jobs = new Map<string, JobMeta>();
  private readonly gitlab: GitLabClient | undefined;
  /** Instance id → its GitLab runner id, for the instances this process launched or found at start-up. */
  private readonly gitlabRunners = new Map<string, number>();
  /** GitLab jobs whose tags are being looked up: a duplicate delivery meanwhile asks GitLab nothing. */
  private readonly lookups = new Set<string>();
  private warnedNoGitLab = false;

  constructor(
    private readonly config: RunnersConfig,
    private readonly fleet: Ec2Fleet,
    private readonly log: RunnerLog,
    private readonly now: () => number = Date.now,
    o: RunnerServiceOptions = {},
  ) {
    this.gitlab = o.gitlab;
    this.scheduler = new RunnerScheduler(config, {
      launch: (job) => this.launch(job),
      terminate: (id) => this.end(id),
      log: (level, msg, data) => this.log[level](data ?? {}, msg),
      now,
      forget: (key) => this.jobs.delete(key),
    }, o.capacity);
  }

  /** Start-up: what is already running holds capacity, and what must end ends now. */
  async start(facts: JobFacts | undefined): Promise<ReapResult> {
    const instances = await this.fleet.managed();
    this.scheduler.restore(instances.map((i) => ({ instanceId: i.instanceId, profile: i.profile, runner: i.runner, ...(i.repo && i.job !== undefined ? { job: keyOf(i), owner: i.repo } : {}) })));
    for (const i of instances) if (i.forge === "gitlab" && i.runnerId !== undefined) this.gitlabRunners.set(i.instanceId, i.runnerId);
    return this.reapNow(facts, instances);
  }

  /**
   * `facts`: GitHub's answers, for GitHub's instances; GitLab's instances are asked of GitLab.
   * `instances`: a listing just made (start-up), so that the reaper does not list them again.
   */
  async reapNow(facts: JobFacts | undefined, instances?: ManagedInstance[]): Promise<ReapResult> {
    const all = instances ?? (await this.fleet.managed());
    const now = new Date(this.now());
    const onGitLab = all.filter((i) => i.forge === "gitlab");
    const result = await reap(this.fleet, this.config, facts, { now, instances: all.filter((i) => i.forge !== "gitlab") });
    if (onGitLab.length > 0) {
      const gl = await reap(this.fleet, this.config, this.gitlab ? gitlabFacts(this.gitlab, onGitLab) : undefined, { now, instances: onGitLab });
      result.decisions.push(...gl.decisions);
      result.terminated.push(...gl.terminated);
      for (const d of gl.decisions) await this.deregisterGitLab(d.instance.instanceId, d.instance.runnerId);
    }
    for (const d of result.decisions) {
      this.log.info({ instance: d.instance.instanceId, reason: d.reason, job: d.instance.job, repo: d.instance.repo }, "reaper terminated a runner instance");
      this.scheduler.released(d.instance.instanceId, d.instance.repo && d.instance.job !== undefined ? keyOf(d.instance) : undefined);
    }
    const ended = new Set(result.terminated);
    // The tags are the truth for max_instances on every replica: what lives holds a slot, and a slot
    // whose instance is gone (it powered itself off, its replica died) is free again.
    const live = all.filter((i) => !ended.has(i.instanceId) && i.repo && i.job !== undefined).map((i) => ({ key: keyOf(i), profile: i.profile ?? "" }));
    await this.scheduler.capacity.reconcile(live).catch((e: unknown) => this.log.warn({ error: (e as Error).message }, "runner capacity not reconciled"));
    this.scheduler.gone(new Set(all.filter((i) => !ended.has(i.instanceId)).map((i) => i.instanceId)));
    this.scheduler.wake();
    telemetry.runnerInstances(all.map((i) => ({ profile: i.profile, state: ended.has(i.instanceId) ? "shutting-down" : i.state })));
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
      if (!this.scheduler.isNew(key)) return;
      this.jobs.set(key, { platform: githubPlatform(this.config, octokit, repo, job.run_id), repo, id: job.id, attempt: job.run_attempt, labels: job.labels, profile: match.name });
      this.scheduler.queued({ key, owner: repo, profile: match.name, runnerName: runnerName(match.name, job.id, job.run_attempt), queuedAt: this.now() });
    } else if (payload.action === "in_progress") {
      this.log.info({ repo, job: job.id, runner: job.runner_name }, "runner job started");
    } else if (payload.action === "completed") {
      const ranOn = job.runner_name?.startsWith("mlreview-") ? job.runner_name : undefined;
      const known = this.scheduler.knows(key, ranOn, repo);
      await this.scheduler.completed(key, ranOn, repo);
      if (known || (job.runner_name && !ranOn)) return;
      // After a restart the scheduler does not know the instance: the tags do.
      const tagged = await this.fleet.managed(ranOn ? { runner: ranOn } : { job: job.id });
      const ours = tagged.filter((i) => i.forge !== "gitlab" && i.repo === repo && (ranOn ? i.runner === ranOn : i.job === job.id));
      if (ours.length > 0) {
        await this.fleet.terminate(ours.map((i) => i.instanceId));
        for (const i of ours) this.scheduler.released(i.instanceId, keyOf(i));
      }
    }
  }

  /**
   * A GitLab Job Hook (X-Gitlab-Event: Job Hook), parsed JSON as GitLab sent it. `pending` with a
   * `mlreview-<profile>` tag gets a runner and an instance; `success`, `failed` and `canceled` end
   * the instance that ran the job and delete its runner. Redeliveries (GitLab retries a hook that
   * timed out; the Idempotency-Key header is not needed) change nothing: the job is the key.
   */
  async onGitLabJob(payload: unknown): Promise<void> {
    const hook = parseJobHook(payload);
    if (!hook) return this.log.warn({}, "not a GitLab Job Hook payload: ignored");
    const gitlab = this.gitlab;
    if (!gitlab) {
      if (!this.warnedNoGitLab) this.log.warn({ project: hook.project }, "GitLab runners need GITLAB_TOKEN: Job Hooks are ignored");
      this.warnedNoGitLab = true;
      return;
    }
    const key = gitlabJobKey(hook.project, hook.buildId);
    const ranOn = hook.runner?.description.startsWith("mlreview-") ? hook.runner.description : undefined;
    if (hook.status === "pending") return this.gitlabPending(gitlab, hook, key);
    if (hook.status === "running" && ranOn) return this.log.info({ project: hook.project, job: hook.buildId, runner: ranOn }, "runner job started");
    if (hook.status === "success" || hook.status === "failed" || hook.status === "canceled") return this.gitlabFinished(hook, key, ranOn);
  }

  private async gitlabPending(gitlab: GitLabClient, hook: JobHook, key: string): Promise<void> {
    if (!this.scheduler.isNew(key) || this.lookups.has(key)) return;
    // Before any call to GitLab or AWS: a project outside the allow list costs nothing.
    const refused = repoRefusal(this.config, hook.project);
    if (refused) return this.log.info({ project: hook.project, job: hook.buildId }, refused);
    this.lookups.add(key);
    try {
      // The runner is created for project_id: the allow list must have been matched against that
      // project's own path, not the one the payload claims next to it.
      const path = await gitlab.pathWithNamespace(hook.projectId);
      if (path !== hook.project) {
        return this.log.warn({ project: hook.project, projectId: hook.projectId, actual: path ?? null }, "the Job Hook's project path is not its project_id's: ignored");
      }
      // The hook lacks the job's tags: the jobs API has them, and says whether the job still waits.
      const job = await gitlab.job(hook.projectId, hook.buildId);
      if (!job || job.status !== "pending") return;
      const match = profileOf(job.tag_list, this.config);
      if (!match) return;
      if ("unknown" in match) return this.log.info({ project: hook.project, job: hook.buildId, profile: match.unknown }, "job asks for an unknown runner profile: ignored");
      this.jobs.set(key, { platform: gitlabPlatform(this.config, gitlab, { projectId: hook.projectId, ref: job.ref }), repo: hook.project, id: hook.buildId, attempt: 1, labels: job.tag_list, profile: match.name });
      this.scheduler.queued({ key, owner: hook.project, profile: match.name, runnerName: gitlabRunnerName(match.name, hook.buildId), queuedAt: this.now() });
    } finally {
      this.lookups.delete(key);
    }
  }

  private async gitlabFinished(hook: JobHook, key: string, ranOn: string | undefined): Promise<void> {
    const known = this.scheduler.knows(key, ranOn, hook.project);
    if (!known && !ranOn && repoRefusal(this.config, hook.project)) return;
    await this.scheduler.completed(key, ranOn, hook.project);
    if (known || (hook.runner && !ranOn)) return;
    // After a restart the scheduler does not know the instance: the tags do.
    const tagged = await this.fleet.managed(ranOn ? { runner: ranOn } : { job: hook.buildId });
    const ours = tagged.filter((i) => i.forge === "gitlab" && i.repo === hook.project && (ranOn ? i.runner === ranOn : i.job === hook.buildId));
    if (ours.length === 0) return;
    await this.fleet.terminate(ours.map((i) => i.instanceId));
    for (const i of ours) {
      this.scheduler.released(i.instanceId, keyOf(i));
      await this.deregisterGitLab(i.instanceId, i.runnerId);
    }
  }

  private async launch(q: QueuedJob): Promise<LaunchOutcome> {
    const meta = this.jobs.get(q.key);
    if (!meta) return { skipped: "job no longer known" };
    const profile = profileNamed(this.config, meta.profile)!;
    const refused = await meta.platform.refusal();
    if (refused) return { skipped: refused };
    const registered = await meta.platform.register({ runnerName: q.runnerName, labels: meta.labels, profile });
    if ("skipped" in registered) return registered;
    meta.runnerId = registered.runnerId;
    const onGitLab = meta.platform.name === "gitlab";
    try {
      const launched = await this.fleet.launch({
        profileName: meta.profile,
        profile,
        job: { id: meta.id, runAttempt: meta.attempt, repo: meta.repo, runnerName: q.runnerName, labels: meta.labels, ...(onGitLab ? { forge: "gitlab" as const, runnerId: registered.runnerId } : {}) },
        userData: registered.userData,
        expiresAt: new Date(this.now() + profile.max_runtime_minutes * 60_000 + EXPIRY_SLACK_MS),
      });
      // An instance this job already had (a redelivery after a restart) keeps its own runner registration.
      if (launched.reused) await meta.platform.deregister(registered.runnerId).catch(() => {});
      else if (onGitLab) this.gitlabRunners.set(launched.instanceId, registered.runnerId);
      this.log.info({ repo: meta.repo, job: meta.id, instance: launched.instanceId, type: launched.instanceType, market: launched.market, attempts: launched.attempts.length, reused: launched.reused ?? false }, "runner instance launched");
      return { instanceId: launched.instanceId };
    } catch (e) {
      // The registration would otherwise linger as an offline runner; a retry registers anew.
      await meta.platform.deregister(registered.runnerId).catch(() => {});
      if (e instanceof LaunchError && e.retryable) return { retryAfterMs: 30_000, reason: e.code };
      throw e;
    }
  }

  /** The scheduler ends an instance: terminate it, then delete its GitLab runner if it has one. */
  private async end(instanceId: string): Promise<void> {
    await this.fleet.terminate([instanceId]);
    if (this.gitlabRunners.has(instanceId)) await this.deregisterGitLab(instanceId, undefined);
  }

  /** Never throws: the instance is gone either way, and a runner left behind only shows as offline. */
  private async deregisterGitLab(instanceId: string, tagged: number | undefined): Promise<void> {
    const runnerId = this.gitlabRunners.get(instanceId) ?? tagged;
    this.gitlabRunners.delete(instanceId);
    if (runnerId === undefined) return;
    if (!this.gitlab) return this.log.warn({ instance: instanceId, runner: runnerId }, "GitLab runner not deleted: GitLab runners need GITLAB_TOKEN");
    try {
      await this.gitlab.deleteRunner(runnerId);
    } catch (e) {
      this.log.warn({ instance: instanceId, runner: runnerId, error: (e as Error).message }, "GitLab runner not deleted");
    }
  }
}

export function jobKey(repo: string, id: number, attempt: number): string {
  return `${repo}#${id}@${attempt}`;
}

/** GitLab retries a job as a new job (a new id), so the id alone names an attempt. */
export function gitlabJobKey(project: string, id: number): string {
  return `gitlab:${project}#${id}`;
}

/** `mlreview-<profile>-<job>-<attempt>`: unique per job attempt, so a duplicate delivery hits the same name. */
export function runnerName(profile: string, id: number, attempt: number): string {
  return `mlreview-${profile}-${id}-${attempt}`.slice(0, 64);
}

/** `mlreview-<profile>-gl-<job>`: the GitLab runner's description and the instance's runner tag. */
export function gitlabRunnerName(profile: string, id: number): string {
  return `mlreview-${profile}-gl-${id}`.slice(0, 64);
}

function keyOf(i: ManagedInstance): string {
  return i.forge === "gitlab" ? gitlabJobKey(i.repo!, i.job!) : jobKey(i.repo!, i.job!, attemptOf(i.runner));
}

function attemptOf(runner: string | undefined): number {
  const m = runner ? /-(\d+)$/.exec(runner) : null;
  return m ? Number(m[1]) : 1;
}
