import type { RunnersConfig } from "./config.js";

/** A job that asked for a runner, as the scheduler sees it. */
export interface QueuedJob {
  key: string; // repo#jobId@attempt
  profile: string;
  runnerName: string;
  queuedAt: number;
}

export type LaunchOutcome = { instanceId: string } | { skipped: string } | { retryAfterMs: number; reason: string };

export interface SchedulerHooks {
  /** Start an instance for the job (guards, JIT config, EC2). Never called twice for one key at once. */
  launch(job: QueuedJob): Promise<LaunchOutcome>;
  terminate(instanceId: string): Promise<void>;
  log(level: "info" | "warn" | "error", msg: string, data?: Record<string, unknown>): void;
  now?(): number;
}

type Phase = "waiting" | "launching" | "running" | "done";

interface Entry {
  job: QueuedJob;
  phase: Phase;
  instanceId?: string;
  /** `completed` came while the instance was still being launched: end it as soon as it exists. */
  cancelled?: boolean;
  notBefore?: number;
  retries: number;
}

const MAX_RETRIES = 8;

/**
 * Runner capacity: every job with a `mlreview-<profile>` label gets exactly one instance, within the
 * profile's and the global max_instances. Jobs beyond the limits wait and start, oldest first, as
 * instances end. Capacity is counted per live instance (restored from EC2 tags after a restart).
 */
export class RunnerScheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly byRunner = new Map<string, string>(); // runner name → job key
  private readonly live = new Map<string, string>(); // instance id → profile (also instances restored from tags)
  private inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: RunnersConfig,
    private readonly hooks: SchedulerHooks,
  ) {}

  /** Instances that exist already (found by tag at start-up) hold their capacity. */
  restore(instances: { instanceId: string; profile: string | undefined; runner: string | undefined; job?: string }[]): void {
    for (const i of instances) {
      if (!i.profile) continue;
      this.live.set(i.instanceId, i.profile);
      if (i.runner && i.job) {
        this.byRunner.set(i.runner, i.job);
        this.entries.set(i.job, { job: { key: i.job, profile: i.profile, runnerName: i.runner, queuedAt: 0 }, phase: "running", instanceId: i.instanceId, retries: 0 });
      }
    }
  }

  /** A queued job; a key seen before (a redelivery, a reordered event) changes nothing. */
  queued(job: QueuedJob): void {
    if (this.entries.has(job.key)) return;
    this.entries.set(job.key, { job, phase: "waiting", retries: 0 });
    this.byRunner.set(job.runnerName, job.key);
    this.pump();
  }

  /**
   * A job completed (or was cancelled). The instance that ran it ends; a job that never ran anywhere
   * ends its own instance, or never gets one.
   */
  async completed(jobKey: string, ranOn: string | undefined): Promise<void> {
    const targets = new Set<string>();
    const ranKey = ranOn ? this.byRunner.get(ranOn) : undefined;
    if (ranKey) targets.add(ranKey);
    if (!ranOn) targets.add(jobKey);
    const own = this.entries.get(jobKey);
    if (!own) this.entries.set(jobKey, { job: { key: jobKey, profile: "", runnerName: "", queuedAt: 0 }, phase: "done", retries: 0 });
    for (const key of targets) {
      const e = this.entries.get(key);
      if (!e) continue;
      if (e.phase === "waiting") e.phase = "done";
      else if (e.phase === "launching") e.cancelled = true;
      else if (e.phase === "running" && e.instanceId) await this.end(e);
    }
    this.pump();
  }

  /** An instance ended outside the scheduler (the reaper, a self-shutdown): its capacity is free. */
  released(instanceId: string): void {
    this.live.delete(instanceId);
    for (const e of this.entries.values()) if (e.instanceId === instanceId) e.phase = "done";
    this.pump();
  }

  /** Does the scheduler track the instance of this runner (or, with no runner, of this job)? */
  knows(jobKey: string, ranOn: string | undefined): boolean {
    const key = ranOn ? this.byRunner.get(ranOn) : jobKey;
    const e = key ? this.entries.get(key) : undefined;
    return e !== undefined && e.job.runnerName !== "";
  }

  count(profile?: string): number {
    let n = 0;
    for (const p of this.live.values()) if (profile === undefined || p === profile) n++;
    for (const e of this.entries.values()) if (e.phase === "launching" && (profile === undefined || e.job.profile === profile)) n++;
    return n;
  }

  waiting(): number {
    return [...this.entries.values()].filter((e) => e.phase === "waiting").length;
  }

  /** Resolves when no launch or termination is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  private pump(): void {
    const now = this.hooks.now?.() ?? Date.now();
    const waiting = [...this.entries.values()].filter((e) => e.phase === "waiting").sort((a, b) => a.job.queuedAt - b.job.queuedAt);
    let nextWake = Infinity;
    for (const e of waiting) {
      if (e.notBefore !== undefined && e.notBefore > now) {
        nextWake = Math.min(nextWake, e.notBefore);
        continue;
      }
      const limit = this.config.profiles[e.job.profile]?.max_instances ?? Infinity;
      if (this.count() >= this.config.max_instances) break;
      if (this.count(e.job.profile) >= limit) continue;
      e.phase = "launching";
      this.track(this.launch(e));
    }
    if (nextWake < Infinity) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.pump(), Math.max(0, nextWake - now));
      this.timer.unref();
    }
  }

  private async launch(e: Entry): Promise<void> {
    let outcome: LaunchOutcome;
    try {
      outcome = await this.hooks.launch(e.job);
    } catch (err) {
      this.hooks.log("error", "runner launch failed", { job: e.job.key, error: (err as Error).message });
      e.phase = "done";
      return this.pump();
    }
    if ("instanceId" in outcome) {
      e.instanceId = outcome.instanceId;
      e.phase = "running";
      this.live.set(outcome.instanceId, e.job.profile);
      if (e.cancelled) await this.end(e);
    } else if ("retryAfterMs" in outcome && !e.cancelled && e.retries < MAX_RETRIES) {
      e.retries++;
      e.phase = "waiting";
      e.notBefore = (this.hooks.now?.() ?? Date.now()) + outcome.retryAfterMs;
      this.hooks.log("warn", "no capacity for a runner now, will retry", { job: e.job.key, reason: outcome.reason, retry: e.retries });
    } else {
      e.phase = "done";
      this.hooks.log(e.cancelled ? "info" : "warn", "runner not launched", { job: e.job.key, reason: "skipped" in outcome ? outcome.skipped : "retries exhausted" });
    }
    this.pump();
  }

  private async end(e: Entry): Promise<void> {
    const id = e.instanceId!;
    e.phase = "done";
    await this.hooks.terminate(id);
    this.live.delete(id);
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}
