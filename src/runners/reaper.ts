import { profileNamed, type RunnersConfig } from "./config.js";
import type { Ec2Fleet } from "./ec2/fleet.js";
import type { ManagedInstance } from "./ec2/instances.js";

export type ReapReason = "expired" | "untagged" | "job completed" | "job gone" | "idle";

export interface ReapDecision {
  instance: ManagedInstance;
  reason: ReapReason;
}

/** What GitHub says about an instance's job and runner; undefined when GitHub cannot be asked. */
export interface JobFacts {
  status(repo: string, job: number): Promise<string | undefined>;
  /** Is the runner running a job right now (possibly another job's: GitHub does not bind runners to jobs)? */
  runnerBusy(repo: string, runnerName: string): Promise<boolean | undefined>;
}

/**
 * Which managed instances must end. Tags are the state, so this needs nothing the bot remembers: it is
 * as right after a `kill -9` as in steady state.
 */
export async function decide(instances: ManagedInstance[], config: RunnersConfig, facts: JobFacts | undefined, now: Date): Promise<ReapDecision[]> {
  const out: ReapDecision[] = [];
  for (const instance of instances) {
    if (instance.state !== "pending" && instance.state !== "running" && instance.state !== "stopped" && instance.state !== "stopping") continue;
    if (!instance.expires || !instance.repo || instance.job === undefined) {
      out.push({ instance, reason: "untagged" });
      continue;
    }
    if (instance.expires.getTime() <= now.getTime()) {
      out.push({ instance, reason: "expired" });
      continue;
    }
    if (!facts) continue;
    const status = await facts.status(instance.repo, instance.job).catch(() => undefined);
    if (status === "completed") out.push({ instance, reason: "job completed" });
    else if (status === "gone") out.push({ instance, reason: "job gone" });
    else if (status === "queued" || status === "waiting" || status === "pending") {
      const idleMinutes = profileNamed(config, instance.profile)?.idle_minutes ?? 15;
      const idleSince = now.getTime() - instance.launchTime.getTime();
      if (idleSince > idleMinutes * 60_000 && instance.runner && (await facts.runnerBusy(instance.repo, instance.runner).catch(() => undefined)) === false) {
        out.push({ instance, reason: "idle" });
      }
    }
  }
  return out;
}

export interface ReapResult {
  decisions: ReapDecision[];
  terminated: string[];
}

/** Find and (unless dryRun) terminate what must end. */
export async function reap(fleet: Ec2Fleet, config: RunnersConfig, facts: JobFacts | undefined, o: { dryRun?: boolean; now?: Date; instances?: ManagedInstance[] } = {}): Promise<ReapResult> {
  const decisions = await decide(o.instances ?? (await fleet.managed()), config, facts, o.now ?? new Date());
  const ids = decisions.map((d) => d.instance.instanceId);
  if (!o.dryRun && ids.length > 0) await fleet.terminate(ids);
  return { decisions, terminated: o.dryRun ? [] : ids };
}
