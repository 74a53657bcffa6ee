import type { ForgeHost, ForgeModule } from "../forges/types.js";
import { telemetry } from "../telemetry.js";
import { LAUNCH_LEASE_MS, type Capacity } from "./capacity.js";
import { profileNamed, profileOf, type RunnersConfig } from "./config.js";
import { LaunchError, type Ec2Fleet } from "./ec2/fleet.js";
import type { ManagedInstance } from "./ec2/instances.js";
import { forkRefusal, repoRefusal } from "./guards.js";
import type { ForgeRunners, RunnerEvent, RunnerPlatform } from "./platform.js";
import { reap, type JobFacts, type ReapResult } from "./reaper.js";
import { RunnerScheduler, type LaunchOutcome, type QueuedJob } from "./scheduler.js";

export interface RunnerLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** What the service needs of a forge module: its id and its runners. */
export type RunnerForge = Pick<ForgeModule, "id" | "runners">;

export interface RunnerServiceOptions {
  /** The server the forges' runners ask their credentials of (Probot, GitLab settings). */
  host: ForgeHost;
  /** Every forge whose instances the reaper may find (src/forges/registry.ts's FORGES): an instance is asked of the forge its tag names. */
  forges: readonly RunnerForge[];
  /** Where max_instances is counted: Redis for several replicas; by default this process. */
  capacity?: Capacity;
  /** The reaper's questions per forge id, instead of the forge's own (tests, the bench). */
  facts?: Readonly<Record<string, JobFacts | undefined>>;
  /** How long a launch waits after the forge failed to register its runner for a moment (5xx, 429, network). */
  registrationRetryMs?: number;
}

interface JobMeta {
  forge: string;
  platform: RunnerPlatform;
  owner: string;
  id: number;
  attempt: number;
  labels: string[];
  profile: string;
}

/** A reaper that has not heard back within this long is skipped, not stacked. */
const EXPIRY_SLACK_MS = 10 * 60_000;
/**
 * Instances without an mlreview:forge tag are this forge's: they predate the tag. Its launches keep
 * exactly the tags and client tokens they always had (no forge or runner-id tag).
 */
export const UNTAGGED_FORGE = "github";
/** A forge that failed to register a runner for a moment is asked again after this long (up to the scheduler's retries). */
const REGISTRATION_RETRY_MS = 30_000;

/**
 * GPU runners for every forge's job events: guards first (allow list, fork pull/merge requests,
 * unknown profiles, limits), then a runner registered on the forge and one EC2 instance per job; the
 * job's end ends it, and the reaper ends whatever is expired, finished or idle, from the tags alone.
 * Whatever a forge keeps for a runner (a GitLab runner) goes whenever its instance is ended.
 */
export class RunnerService {
  readonly scheduler: RunnerScheduler;
  private readonly jobs = new Map<string, JobMeta>();
  private readonly host: ForgeHost;
  private readonly forges = new Map<string, RunnerForge>();
  private readonly facts: Readonly<Record<string, JobFacts | undefined>>;
  private readonly retryMs: number;
  /** Instance id → its forge and runner id, for the instances this process launched or found at start-up. */
  private readonly registrations = new Map<string, { forge: string; runnerId: number }>();
  /** Jobs whose details are being asked of their forge: a duplicate delivery meanwhile asks nothing. */
  private readonly lookups = new Set<string>();
  /** Lines said once per process ("GitLab runners need GITLAB_TOKEN"). */
  private readonly said = new Set<string>();

  constructor(
    private readonly config: RunnersConfig,
    private readonly fleet: Ec2Fleet,
    private readonly log: RunnerLog,
    private readonly now: () => number = Date.now,
    o: RunnerServiceOptions,
  ) {
    this.host = o.host;
    for (const f of o.forges) this.forges.set(f.id, f);
    this.facts = o.facts ?? {};
    this.retryMs = o.registrationRetryMs ?? REGISTRATION_RETRY_MS;
    this.scheduler = new RunnerScheduler(
      config,
      {
        launch: (job) => this.launch(job),
        terminate: (id) => this.end(id),
        log: (level, msg, data) => this.log[level](data ?? {}, msg),
        now,
        forget: (key) => this.jobs.delete(key),
      },
      o.capacity,
    );
  }

  /** Start-up: what is already running holds capacity, and what must end ends now. */
  async start(): Promise<ReapResult> {
    const instances = await this.fleet.managed();
    this.scheduler.restore(instances.map((i) => ({ instanceId: i.instanceId, profile: i.profile, runner: i.runner, ...(i.repo && i.job !== undefined ? { job: this.keyOf(i), owner: i.repo } : {}) })));
    for (const i of instances) if (i.runnerId !== undefined) this.registrations.set(i.instanceId, { forge: forgeOf(i), runnerId: i.runnerId });
    return this.reapNow(instances);
  }

  /**
   * Every instance is asked of the forge its tag names (GitHub's the installation, GitLab's GitLab).
   * `instances`: a listing just made (start-up), so that the reaper does not list them again.
   */
  async reapNow(instances?: ManagedInstance[]): Promise<ReapResult> {
    const all = instances ?? (await this.fleet.managed());
    const now = new Date(this.now());
    const byForge = new Map<string, ManagedInstance[]>([[UNTAGGED_FORGE, []]]);
    for (const i of all) {
      const list = byForge.get(forgeOf(i));
      if (list) list.push(i);
      else byForge.set(forgeOf(i), [i]);
    }
    const result: ReapResult = { decisions: [], terminated: [] };
    for (const [id, list] of byForge) {
      if (list.length === 0) continue;
      const runners = this.forges.get(id)?.runners;
      const facts = id in this.facts ? this.facts[id] : runners?.facts(this.host, list);
      const r = await reap(this.fleet, this.config, facts, { now, instances: list });
      result.decisions.push(...r.decisions);
      result.terminated.push(...r.terminated);
      for (const d of r.decisions) await this.release(d.instance.instanceId, d.instance.runnerId, id);
    }
    for (const d of result.decisions) {
      this.log.info({ instance: d.instance.instanceId, reason: d.reason, job: d.instance.job, repo: d.instance.repo }, "reaper terminated a runner instance");
      this.scheduler.released(d.instance.instanceId, d.instance.repo && d.instance.job !== undefined ? this.keyOf(d.instance) : undefined);
    }
    const ended = new Set(result.terminated);
    // The tags are the truth for max_instances on every replica: what lives holds a slot, and a slot
    // whose instance is gone (it powered itself off, its replica died) is free again.
    const live = all.filter((i) => !ended.has(i.instanceId) && i.repo && i.job !== undefined).map((i) => ({ key: this.keyOf(i), profile: i.profile ?? "" }));
    await this.scheduler.capacity.reconcile(live).catch((e: unknown) => this.log.warn({ error: (e as Error).message }, "runner capacity not reconciled"));
    const listed = new Set(all.filter((i) => !ended.has(i.instanceId)).map((i) => i.instanceId));
    this.scheduler.gone(listed);
    // An instance neither listed nor tracked any more ended elsewhere (another replica deleted its runner).
    for (const id of [...this.registrations.keys()]) if (!listed.has(id) && !this.scheduler.tracks(id)) this.registrations.delete(id);
    this.scheduler.wake();
    telemetry.runnerInstances(all.map((i) => ({ profile: i.profile, state: ended.has(i.instanceId) ? "shutting-down" : i.state })));
    return result;
  }

  /**
   * One runner task of `forge` (its data passed forge.schemas.runner, or is raw from a test): a job
   * that waits gets a runner, a job that ended ends the instance that ran it.
   */
  async handle(forge: RunnerForge, data: unknown, signal: AbortSignal): Promise<void> {
    const runners = forge.runners;
    if (!runners) return this.log.warn({ forge: forge.id }, "this forge has no runners: runner task ignored");
    if (!this.forges.has(forge.id)) this.forges.set(forge.id, forge);
    const ev = await runners.event(data, this.host, signal);
    if (!ev) return;
    if ("ignored" in ev) {
      if (ev.once && this.said.has(ev.ignored)) return;
      if (ev.once) this.said.add(ev.ignored);
      return this.log.warn(ev.fields, ev.ignored);
    }
    if (ev.action === "queued") return this.queued(forge.id, runners, ev, signal);
    if (ev.action === "started") return this.log.info({ ...ev.fields, runner: ev.runner }, "runner job started");
    return this.completed(forge.id, ev);
  }

  /** Jobs and registrations held in memory, and the scheduler's maps (all empty once every job has ended). */
  size(): { jobs: number; lookups: number; registrations: number; scheduler: ReturnType<RunnerScheduler["size"]> } {
    return { jobs: this.jobs.size, lookups: this.lookups.size, registrations: this.registrations.size, scheduler: this.scheduler.size() };
  }

  private async queued(forge: string, runners: ForgeRunners, ev: RunnerEvent, signal: AbortSignal): Promise<void> {
    const { key, owner } = ev;
    if (ev.labels) {
      // The event names the job's labels: a job that asks for no runner of ours costs nothing, and
      // one that does but may not have one is a warning.
      const match = profileOf(ev.labels, this.config);
      if (!match) return;
      if ("unknown" in match) return this.log.info({ ...ev.fields, profile: match.unknown }, "job asks for an unknown runner profile: ignored");
      const refused = repoRefusal(this.config, owner);
      if (refused) return this.log.warn(ev.fields, refused);
      if (!this.scheduler.isNew(key) || this.lookups.has(key)) return;
    } else {
      // Every job of every project may come here (GitLab's hook): before any call to the forge or
      // AWS, a duplicate or a project outside the allow list costs nothing.
      if (!this.scheduler.isNew(key) || this.lookups.has(key)) return;
      const refused = repoRefusal(this.config, owner);
      if (refused) return this.log.info(ev.fields, refused);
    }
    this.lookups.add(key);
    try {
      const found = await ev.lookup(signal);
      if (!found) return;
      if ("ignored" in found) return this.log.warn(found.fields, found.ignored);
      const match = profileOf(found.labels, this.config);
      if (!match) return;
      if ("unknown" in match) return this.log.info({ ...ev.fields, profile: match.unknown }, "job asks for an unknown runner profile: ignored");
      if (!this.scheduler.isNew(key)) return;
      this.jobs.set(key, { forge, platform: found.platform, owner, id: ev.job, attempt: ev.attempt, labels: found.labels, profile: match.name });
      this.scheduler.queued({ key, owner, profile: match.name, runnerName: runners.runnerName(match.name, ev.job, ev.attempt), queuedAt: this.now() });
    } finally {
      this.lookups.delete(key);
    }
  }

  private async completed(forge: string, ev: RunnerEvent): Promise<void> {
    const { key, owner } = ev;
    const ranOn = ev.runner?.startsWith("mlreview-") ? ev.runner : undefined;
    const known = this.scheduler.knows(key, ranOn, owner);
    // A job that ran on no runner of ours, in a repository outside the allow list, cannot have an instance.
    if (!known && !ranOn && repoRefusal(this.config, owner)) return;
    await this.scheduler.completed(key, ranOn, owner);
    if (known || (ev.runner !== undefined && !ranOn)) return;
    // After a restart the scheduler does not know the instance: the tags do.
    const tagged = await this.fleet.managed(ranOn ? { runner: ranOn } : { job: ev.job });
    const ours = tagged.filter((i) => forgeOf(i) === forge && i.repo === owner && (ranOn ? i.runner === ranOn : i.job === ev.job));
    if (ours.length === 0) return;
    await this.fleet.terminate(ours.map((i) => i.instanceId));
    for (const i of ours) {
      this.scheduler.released(i.instanceId, this.keyOf(i));
      await this.release(i.instanceId, i.runnerId, forge);
    }
  }

  private async launch(q: QueuedJob): Promise<LaunchOutcome> {
    const meta = this.jobs.get(q.key);
    if (!meta) return { skipped: "job no longer known" };
    const profile = profileNamed(this.config, meta.profile)!;
    // The launching slot's lease: past it, the slot is another job's anyway.
    const signal = AbortSignal.timeout(LAUNCH_LEASE_MS);
    let registered;
    try {
      const refused = forkRefusal(this.config, await meta.platform.isFork(signal));
      if (refused) return { skipped: refused };
      registered = await meta.platform.register({ runnerName: q.runnerName, labels: meta.labels, profile }, signal);
    } catch (e) {
      // A forge outage for a moment (a 502 on POST /user/runners, a 5xx on the JIT config) must not
      // cost the job its runner: the scheduler tries again, and says so when it gives up.
      const status = transientStatus(e);
      if (status !== undefined) return { retryAfterMs: this.retryMs, reason: `${meta.forge} HTTP ${status}`, line: "the forge did not register the runner now, will retry" };
      throw e;
    }
    if ("skipped" in registered) return registered;
    const tagged = meta.forge !== UNTAGGED_FORGE;
    try {
      const launched = await this.fleet.launch({
        profileName: meta.profile,
        profile,
        job: { id: meta.id, runAttempt: meta.attempt, repo: meta.owner, runnerName: q.runnerName, labels: meta.labels, ...(tagged ? { forge: meta.forge, runnerId: registered.runnerId } : {}) },
        userData: registered.userData,
        expiresAt: new Date(this.now() + profile.max_runtime_minutes * 60_000 + EXPIRY_SLACK_MS),
      });
      // An instance this job already had (a redelivery after a restart) keeps its own runner registration.
      if (launched.reused) await meta.platform.deregister(registered.runnerId).catch(() => {});
      else if (tagged) this.registrations.set(launched.instanceId, { forge: meta.forge, runnerId: registered.runnerId });
      this.log.info({ repo: meta.owner, job: meta.id, instance: launched.instanceId, type: launched.instanceType, market: launched.market, attempts: launched.attempts.length, reused: launched.reused ?? false }, "runner instance launched");
      return { instanceId: launched.instanceId };
    } catch (e) {
      // The registration would otherwise linger as an offline runner; a retry registers anew.
      await meta.platform.deregister(registered.runnerId).catch(() => {});
      if (e instanceof LaunchError && e.retryable) return { retryAfterMs: 30_000, reason: e.code };
      throw e;
    }
  }

  /** The scheduler ends an instance: terminate it, then whatever its forge keeps for its runner. */
  private async end(instanceId: string): Promise<void> {
    await this.fleet.terminate([instanceId]);
    const r = this.registrations.get(instanceId);
    if (r) await this.release(instanceId, undefined, r.forge);
  }

  /** Never throws: the instance is gone either way, and a runner left behind only shows as offline. */
  private async release(instanceId: string, tagged: number | undefined, forge: string): Promise<void> {
    const runnerId = this.registrations.get(instanceId)?.runnerId ?? tagged;
    this.registrations.delete(instanceId);
    const runners = this.forges.get(forge)?.runners;
    if (!runners) return;
    const said = await runners.released(this.host, { instanceId, runnerId }).catch((e: unknown) => ({ warn: "runner registration not removed", fields: { instance: instanceId, error: (e as Error).message } }));
    if (said) this.log.warn(said.fields, said.warn);
  }

  private keyOf(i: ManagedInstance): string {
    const forge = forgeOf(i);
    const o = { repo: i.repo!, job: i.job!, runner: i.runner };
    return this.forges.get(forge)?.runners?.keyOf(o) ?? `${forge}:${o.repo}#${o.job}`;
  }
}

function forgeOf(i: ManagedInstance): string {
  return i.forge ?? UNTAGGED_FORGE;
}

/** The HTTP status of a forge error worth a retry (5xx, 429, or 0: no answer at all), else undefined. */
function transientStatus(e: unknown): number | undefined {
  const s = (e as { status?: unknown } | null)?.status;
  return typeof s === "number" && (s === 0 || s === 429 || s >= 500) ? s : undefined;
}
