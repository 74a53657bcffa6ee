import { MemoryCapacity, RECONCILE_GRACE_MS, type Capacity } from "./capacity.js";
import { profileNamed, type RunnersConfig } from "./config.js";

/** A job that asked for a runner, as the scheduler sees it. */
export interface QueuedJob {
  key: string; // repo#jobId@attempt
  /** The repository (GitLab: project) the job belongs to: a runner is only ever matched within it. */
  owner: string;
  profile: string;
  runnerName: string;
  queuedAt: number;
}

/** `retryAfterMs`: try again later; `line` replaces the log line said then (by default, no EC2 capacity). */
export type LaunchOutcome = { instanceId: string } | { skipped: string } | { retryAfterMs: number; reason: string; line?: string };

export interface SchedulerHooks {
  /** Start an instance for the job (guards, JIT config, EC2). Never called twice for one key at once. */
  launch(job: QueuedJob): Promise<LaunchOutcome>;
  terminate(instanceId: string): Promise<void>;
  log(level: "info" | "warn" | "error", msg: string, data?: Record<string, unknown>): void;
  now?(): number;
  /** The scheduler has forgotten the job (it ended): whatever the caller keeps for it can go. */
  forget?(key: string): void;
}

type Phase = "waiting" | "acquiring" | "launching" | "running";

interface Entry {
  job: QueuedJob;
  phase: Phase;
  instanceId?: string;
  launchedAt?: number;
  /** `completed` came while the instance was still being launched: end it as soon as it exists. */
  cancelled?: boolean;
  notBefore?: number;
  retries: number;
}

const MAX_RETRIES = 8;
/**
 * Ended jobs remembered so that a late or repeated `queued` (GitHub redelivers, and does not order
 * deliveries) launches nothing. Bounded: a stream of jobs must not grow the bot's memory forever. A
 * duplicate older than this many jobs gets at worst an idle runner, which its idle timer and the
 * reaper (the job is "completed") end.
 */
export const MAX_REMEMBERED_ENDED = 10_000;
/** Redis unreachable: waiting jobs try again after this long. */
const CAPACITY_RETRY_MS = 5_000;

/** Insertion-ordered set that forgets its oldest members beyond a bound. */
class BoundedSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  add(k: string): void {
    this.items.delete(k);
    this.items.add(k);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value as string);
  }
  has(k: string): boolean {
    return this.items.has(k);
  }
  get size(): number {
    return this.items.size;
  }
}

const runnerKey = (owner: string, runner: string) => `${owner}\0${runner}`;

/**
 * Runner capacity: every job with a `mlreview-<profile>` label gets exactly one instance, within the
 * profile's and the global max_instances, counted across replicas by the Capacity (Redis or this
 * process). Jobs beyond the limits wait and start, oldest first, as slots free up on any replica.
 * Only jobs that are waiting, launching or running are kept; an ended job is forgotten but for its key.
 */
export class RunnerScheduler {
  private readonly entries = new Map<string, Entry>();
  /**
   * Waiting jobs per profile in the order they were queued (a retry goes to the back): a pass reads
   * only the heads of the lines, so a long line costs nothing per event.
   */
  private readonly lines = new Map<string, Map<string, Entry>>();
  /** Jobs whose launch is to be retried, until their `notBefore`. */
  private readonly delayed = new Map<string, Entry>();
  /** Jobs whose instance is being launched (they count against the limits). */
  private readonly launching = new Map<string, Entry>();
  private readonly byRunner = new Map<string, string>(); // owner \0 runner name → job key
  private readonly byInstance = new Map<string, string>(); // instance id → job key
  private readonly live = new Map<string, string>(); // instance id → profile (this replica's instances)
  private readonly ended = new BoundedSet(MAX_REMEMBERED_ENDED);
  private inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  /** The next pass asks for every line's whole head (see pass). */
  private renew = false;
  private again = false;
  readonly capacity: Capacity;

  constructor(
    private readonly config: RunnersConfig,
    private readonly hooks: SchedulerHooks,
    capacity?: Capacity,
  ) {
    this.capacity = capacity ?? new MemoryCapacity(config, () => this.now());
    this.capacity.onFreed((key) => {
      // Another replica ended this job's instance (the `completed` event went there): it is over here too.
      const e = key ? this.entries.get(key) : undefined;
      if (e && e.phase === "running") {
        if (e.instanceId) this.live.delete(e.instanceId);
        this.forget(e);
      }
      this.pump();
    });
  }

  /** Instances that exist already (found by tag at start-up) hold their capacity. */
  restore(instances: { instanceId: string; profile: string | undefined; runner: string | undefined; job?: string; owner?: string }[]): void {
    for (const i of instances) {
      if (!i.profile) continue;
      this.live.set(i.instanceId, i.profile);
      if (i.runner && i.job && i.owner && !this.entries.has(i.job)) {
        this.byRunner.set(runnerKey(i.owner, i.runner), i.job);
        this.byInstance.set(i.instanceId, i.job);
        this.entries.set(i.job, { job: { key: i.job, owner: i.owner, profile: i.profile, runnerName: i.runner, queuedAt: 0 }, phase: "running", instanceId: i.instanceId, retries: 0 });
      }
    }
  }

  /** Is this job new here (neither tracked nor recently ended)? */
  isNew(key: string): boolean {
    return !this.entries.has(key) && !this.ended.has(key);
  }

  /** A queued job; a key seen before (a redelivery, a reordered event) changes nothing. */
  queued(job: QueuedJob): void {
    if (this.entries.has(job.key) || this.ended.has(job.key)) return;
    const e: Entry = { job, phase: "waiting", retries: 0 };
    this.entries.set(job.key, e);
    this.enqueue(e);
    this.byRunner.set(runnerKey(job.owner, job.runnerName), job.key);
    this.pump();
  }

  /**
   * A job of `owner` completed (or was cancelled). The instance that ran it ends; a job that never ran
   * anywhere ends its own instance, or never gets one. `ranOn` is looked up among `owner`'s runners
   * only: another repository naming our runner ends nothing.
   */
  async completed(jobKey: string, ranOn: string | undefined, owner: string): Promise<void> {
    const targets = new Set<string>();
    const ranKey = ranOn ? this.byRunner.get(runnerKey(owner, ranOn)) : undefined;
    if (ranKey) targets.add(ranKey);
    if (!ranOn) targets.add(jobKey);
    if (!this.entries.has(jobKey)) this.ended.add(jobKey);
    for (const key of targets) {
      const e = this.entries.get(key);
      if (!e || e.job.owner !== owner) continue;
      if (e.phase === "waiting") {
        this.forget(e);
        await this.capacity.release(key).catch((err: unknown) => this.capacityFailed(err));
      } else if (e.phase === "launching" || e.phase === "acquiring") e.cancelled = true;
      else if (e.phase === "running" && e.instanceId) await this.end(e);
    }
    this.pump();
  }

  /** An instance ended outside the scheduler (the reaper, a self-shutdown, another replica's job): its slot is free. */
  released(instanceId: string, jobKey?: string): void {
    this.live.delete(instanceId);
    const key = this.byInstance.get(instanceId) ?? jobKey;
    const e = key ? this.entries.get(key) : undefined;
    if (e && e.instanceId === instanceId) this.forget(e);
    if (key) this.track(this.capacity.release(key).catch((err: unknown) => this.capacityFailed(err)));
    this.pump();
  }

  /**
   * The reaper listed every live managed instance: an instance of ours missing from the list ended
   * without telling us (it powered itself off, another replica ended it), so its job is over here.
   * One launched within the grace period may just not be listed yet.
   */
  gone(listed: ReadonlySet<string>): void {
    const now = this.now();
    for (const id of [...this.live.keys()]) {
      if (listed.has(id)) continue;
      const key = this.byInstance.get(id);
      const e = key ? this.entries.get(key) : undefined;
      if (e?.launchedAt !== undefined && e.launchedAt + RECONCILE_GRACE_MS > now) continue;
      this.live.delete(id);
      if (e) this.forget(e);
    }
  }

  /** Is this instance one of this replica's live instances? */
  tracks(instanceId: string): boolean {
    return this.live.has(instanceId);
  }

  /** Does the scheduler track the instance of `owner`'s runner (or, with no runner, of this job)? */
  knows(jobKey: string, ranOn: string | undefined, owner: string): boolean {
    const key = ranOn ? this.byRunner.get(runnerKey(owner, ranOn)) : jobKey;
    const e = key ? this.entries.get(key) : undefined;
    return e !== undefined && e.job.owner === owner;
  }

  count(profile?: string): number {
    let n = 0;
    for (const p of this.live.values()) if (profile === undefined || p === profile) n++;
    for (const e of this.launching.values()) if (profile === undefined || e.job.profile === profile) n++;
    return n;
  }

  waiting(): number {
    let n = this.delayed.size;
    for (const line of this.lines.values()) n += line.size;
    return n;
  }

  /** Jobs held in memory: those waiting, launching or running, and the bounded set of ended keys. */
  remembered(): { active: number; ended: number } {
    return { active: this.entries.size, ended: this.ended.size };
  }

  /**
   * Every map this scheduler keeps, by size: all but `ended` (at most MAX_REMEMBERED_ENDED keys) are
   * empty once every job it heard of has ended.
   */
  size(): { entries: number; lines: number; delayed: number; launching: number; runners: number; instances: number; live: number; ended: number } {
    return { entries: this.entries.size, lines: this.lines.size, delayed: this.delayed.size, launching: this.launching.size, runners: this.byRunner.size, instances: this.byInstance.size, live: this.live.size, ended: this.ended.size };
  }

  /** Try the waiting jobs again: slots may have been freed elsewhere (the reaper's tick calls this). */
  wake(): void {
    this.renew = true;
    this.pump();
  }

  /** Resolves when no launch, termination or capacity call is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  private now(): number {
    return this.hooks.now?.() ?? Date.now();
  }

  /** One pass at a time; a call during a pass makes another pass after it. */
  private pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    this.track(
      (async () => {
        try {
          do {
            this.again = false;
            await this.pass();
          } while (this.again);
        } finally {
          this.pumping = false;
        }
      })(),
    );
  }

  /**
   * Ask the capacity for the jobs that could get a slot now: per profile at most as many of the oldest
   * as the limits could ever grant at once, so that a long line costs one short request.
   */
  private async pass(): Promise<void> {
    const now = this.now();
    let nextWake = Infinity;
    for (const e of [...this.delayed.values()]) {
      if (e.notBefore! > now) nextWake = Math.min(nextWake, e.notBefore!);
      else {
        this.delayed.delete(e.job.key);
        this.enqueue(e);
      }
    }
    if (nextWake < Infinity) this.wakeAt(nextWake, now);
    // What this replica runs or launches holds slots whatever the others do: only the rest of each
    // limit can be granted now, so only that many of each line's head are asked for. The reaper's
    // tick asks for the whole head, so that the jobs waiting here keep their place in the line
    // across replicas (a place lapses after WAIT_LEASE_MS unrenewed).
    const renew = this.renew;
    this.renew = false;
    const mine = new Map<string, number>();
    let total = 0;
    const hold = (profile: string) => (mine.set(profile, (mine.get(profile) ?? 0) + 1), total++);
    if (!renew) for (const p of this.live.values()) hold(p);
    if (!renew) for (const e of this.launching.values()) hold(e.job.profile);
    if (total >= this.config.max_instances) return;
    const batch: Entry[] = [];
    for (const [profile, line] of this.lines) {
      // Those refused stay where they are, at the head.
      const quota = Math.min(profileNamed(this.config, profile)?.max_instances ?? Infinity, this.config.max_instances) - (mine.get(profile) ?? 0);
      if (quota <= 0) continue;
      let n = 0;
      for (const e of line.values()) {
        if (n++ >= quota) break;
        batch.push(e);
      }
    }
    if (batch.length === 0) return;
    batch.sort((a, b) => a.job.queuedAt - b.job.queuedAt);
    for (const e of batch) e.phase = "acquiring";
    let grant;
    try {
      const asked = this.capacity.acquire(batch.map((e) => ({ key: e.job.key, profile: e.job.profile, queuedAt: e.job.queuedAt })));
      grant = asked instanceof Promise ? await asked : asked;
    } catch (err) {
      this.capacityFailed(err);
      for (const e of batch) this.backToLine(e);
      this.wakeAt(now + CAPACITY_RETRY_MS, now);
      return;
    }
    for (const e of batch) {
      const key = e.job.key;
      if (grant.taken.has(key)) {
        this.hooks.log("info", "another replica is launching this job's runner", { job: key });
        this.forget(e);
      } else if (!grant.granted.has(key)) {
        if (e.cancelled) {
          this.forget(e);
          await this.capacity.release(key).catch((err: unknown) => this.capacityFailed(err));
        } else this.backToLine(e);
      } else if (e.cancelled) {
        this.forget(e);
        await this.capacity.release(key).catch((err: unknown) => this.capacityFailed(err));
      } else {
        e.phase = "launching";
        this.lines.get(e.job.profile)?.delete(key);
        this.dropEmptyLine(e.job.profile);
        this.launching.set(key, e);
        this.track(this.launch(e));
      }
    }
  }

  /** Not granted now: the job keeps its place at the head of its line. */
  private backToLine(e: Entry): void {
    if (e.cancelled) return this.forget(e);
    e.phase = "waiting";
  }

  private enqueue(e: Entry): void {
    let line = this.lines.get(e.job.profile);
    if (!line) this.lines.set(e.job.profile, (line = new Map()));
    line.set(e.job.key, e);
  }

  private dropEmptyLine(profile: string): void {
    if (this.lines.get(profile)?.size === 0) this.lines.delete(profile);
  }

  private wakeAt(when: number, now: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), Math.max(0, when - now));
    this.timer.unref();
  }

  private async launch(e: Entry): Promise<void> {
    const key = e.job.key;
    let outcome: LaunchOutcome;
    try {
      outcome = await this.hooks.launch(e.job);
      this.launching.delete(key);
    } catch (err) {
      this.launching.delete(key);
      this.hooks.log("error", "runner launch failed", { job: key, error: (err as Error).message });
      this.forget(e);
      await this.capacity.release(key).catch((x: unknown) => this.capacityFailed(x));
      return this.pump();
    }
    if ("instanceId" in outcome) {
      e.instanceId = outcome.instanceId;
      e.launchedAt = this.now();
      e.phase = "running";
      this.live.set(outcome.instanceId, e.job.profile);
      this.byInstance.set(outcome.instanceId, key);
      await this.capacity.confirm({ key, profile: e.job.profile }).catch((x: unknown) => this.capacityFailed(x));
      if (e.cancelled) await this.end(e);
    } else if ("retryAfterMs" in outcome && !e.cancelled && e.retries < MAX_RETRIES) {
      e.retries++;
      e.notBefore = this.now() + outcome.retryAfterMs;
      this.hooks.log("warn", outcome.line ?? "no capacity for a runner now, will retry", { job: key, reason: outcome.reason, retry: e.retries });
      // The slot goes back meanwhile: EC2 said no, another job (another profile) may fit.
      await this.capacity.release(key).catch((x: unknown) => this.capacityFailed(x));
      if (e.cancelled) this.forget(e);
      else {
        e.phase = "waiting";
        this.delayed.set(key, e);
      }
    } else {
      this.hooks.log(e.cancelled ? "info" : "warn", "runner not launched", { job: key, reason: "skipped" in outcome ? outcome.skipped : "retries exhausted" });
      this.forget(e);
      await this.capacity.release(key).catch((x: unknown) => this.capacityFailed(x));
    }
    this.pump();
  }

  private async end(e: Entry): Promise<void> {
    const id = e.instanceId!;
    this.forget(e);
    await this.hooks.terminate(id);
    this.live.delete(id);
    await this.capacity.release(e.job.key).catch((x: unknown) => this.capacityFailed(x));
  }

  /** The job is over here: only its key stays, in the bounded set of ended jobs. */
  private forget(e: Entry): void {
    const key = e.job.key;
    if (this.entries.get(key) !== e) return;
    this.entries.delete(key);
    if (this.lines.get(e.job.profile)?.delete(key)) this.dropEmptyLine(e.job.profile);
    this.delayed.delete(key);
    this.launching.delete(key);
    const rk = runnerKey(e.job.owner, e.job.runnerName);
    if (this.byRunner.get(rk) === key) this.byRunner.delete(rk);
    if (e.instanceId && this.byInstance.get(e.instanceId) === key) this.byInstance.delete(e.instanceId);
    this.ended.add(key);
    this.hooks.forget?.(key);
  }

  private capacityFailed(err: unknown): void {
    this.hooks.log("warn", "runner capacity unavailable", { error: (err as Error).message });
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}
