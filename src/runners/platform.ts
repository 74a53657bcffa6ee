import type { ForgeHost } from "../forges/types.js";
import type { Profile } from "./config.js";
import type { ManagedInstance } from "./ec2/instances.js";
import type { JobFacts } from "./reaper.js";

/** A runner registered for one job: its forge-side id (to delete it later) and the instance's user data. */
export type Registration = { runnerId: number; userData: string } | { skipped: string };

/**
 * One job's forge, bound to that job's repository or project and credentials: everything the runner
 * service asks the forge to launch one runner. The scheduler, the EC2 layer, the tags and the reaper
 * are shared.
 */
export interface RunnerPlatform {
  /** Does the job run code from a fork (or from an unknown head)? The service refuses those unless fork_pull_requests. */
  isFork(signal: AbortSignal): Promise<boolean>;
  /** Create the job's runner on the forge. `skipped` when another delivery or replica already did. */
  register(o: { runnerName: string; labels: string[]; profile: Profile }, signal: AbortSignal): Promise<Registration>;
  /** Remove a runner registration (404 is fine). */
  deregister(runnerId: number): Promise<void>;
}

/** What a forge's job looks like once the forge was asked (its labels and where to register its runner). */
export type JobLookup =
  | { labels: string[]; platform: RunnerPlatform }
  /** The job may not have a runner for a reason the operator should see (one warning line). */
  | { ignored: string; fields: Record<string, unknown> }
  /** Nothing to do (the job no longer waits). */
  | undefined;

/** A forge's job event in the service's words, whatever the forge (workflow_job, Job Hook, …). */
export interface RunnerEvent {
  action: "queued" | "started" | "completed";
  /** Names one attempt of one job on this forge: the scheduler's key (see ForgeRunners.keyOf). */
  key: string;
  /** The repository (GitLab: project path) the job belongs to: what the allow list matches and the instances are tagged with. */
  owner: string;
  job: number;
  attempt: number;
  /** The runner that took the job (its name), when one did. */
  runner: string | undefined;
  /** Log fields naming the job as this forge's users know it ({repo, job} or {project, job}). */
  fields: Record<string, unknown>;
  /**
   * The job's labels when the event carries them: the profile is matched before anything else, so
   * that a job without a `mlreview-` label costs nothing. Unset: `lookup` asks the forge for them,
   * after the allow list and the duplicate check.
   */
  labels?: string[];
  /** queued: the job as the forge has it now, and the platform its runner is registered on. */
  lookup(signal: AbortSignal): Promise<JobLookup>;
}

/** An event the forge's runners will not act on, with the line that says why (at most once when `once`). */
export interface RunnerIgnored {
  ignored: string;
  fields: Record<string, unknown>;
  once?: boolean;
}

/**
 * The runner side of a forge module (src/forges/<id>/runners.ts): how its job events read, how its
 * runners and jobs are named, what its reaper asks, and what ends with an instance. The service
 * (src/runners/service.ts) is the same for every forge and reaches a forge only through this.
 */
export interface ForgeRunners<J = unknown> {
  /** A task's data (already valid against the forge's runner schema, or raw from a test) as an event; undefined: not a job event to act on. */
  event(data: J | unknown, host: ForgeHost, signal: AbortSignal): Promise<RunnerEvent | RunnerIgnored | undefined>;
  /** The runner's name for a job attempt: unique per attempt, so that a duplicate delivery hits the same name. At most 64 characters. */
  runnerName(profile: string, job: number, attempt: number): string;
  /** The scheduler's key of the job an instance of this forge was launched for (read from its tags). */
  keyOf(instance: { repo: string; job: number; runner: string | undefined }): string;
  /** What the reaper asks this forge about these instances' jobs and runners; undefined: only expiry ends them. */
  facts(host: ForgeHost, instances: readonly ManagedInstance[]): JobFacts | undefined;
  /**
   * An instance of this forge ended: whatever the forge keeps for its runner goes. Never throws: the
   * instance is gone either way; a runner left behind is one warning line (returned, the service logs it).
   */
  released(host: ForgeHost, instance: { instanceId: string; runnerId: number | undefined }): Promise<{ warn: string; fields: Record<string, unknown> } | undefined>;
}
