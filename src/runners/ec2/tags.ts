import type { LaunchSpec } from "./launch-plan.js";

/**
 * The tags are the state: a restarted bot (or a second replica) learns everything it launched from
 * DescribeInstances, so nothing here may live only in memory.
 */
export const TAGS = {
  managed: "mlreview:managed",
  job: "mlreview:job",
  runner: "mlreview:runner",
  repo: "mlreview:repo",
  profile: "mlreview:profile",
  expires: "mlreview:expires",
  forge: "mlreview:forge",
  runnerId: "mlreview:runner-id",
} as const;

export function tagsFor(spec: LaunchSpec): { Key: string; Value: string }[] {
  const tags = [
    { Key: "Name", Value: spec.job.runnerName },
    { Key: TAGS.managed, Value: "true" },
    { Key: TAGS.job, Value: String(spec.job.id) },
    { Key: TAGS.runner, Value: spec.job.runnerName },
    { Key: TAGS.repo, Value: spec.job.repo },
    { Key: TAGS.profile, Value: spec.profileName },
    { Key: TAGS.expires, Value: spec.expiresAt.toISOString() },
  ];
  if (spec.job.forge) tags.push({ Key: TAGS.forge, Value: spec.job.forge });
  if (spec.job.runnerId !== undefined) tags.push({ Key: TAGS.runnerId, Value: String(spec.job.runnerId) });
  return tags;
}
