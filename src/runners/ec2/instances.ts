import type { Instance } from "@aws-sdk/client-ec2";
import type { Forge } from "./launch-plan.js";
import { TAGS } from "./tags.js";

/** A live instance tagged mlreview:managed=true, as its tags describe it (the tags are the state). */
export interface ManagedInstance {
  instanceId: string;
  state: string;
  launchTime: Date;
  job: number | undefined;
  runner: string | undefined;
  repo: string | undefined;
  profile: string | undefined;
  expires: Date | undefined;
  /** The mlreview:forge tag; absent means GitHub (instances launched before the tag existed are GitHub's). */
  forge?: Forge;
  runnerId?: number;
}

/** A forge id as tags may hold it: anything else (a hand-edited tag) is treated as no tag. */
const FORGE_ID = /^[a-z][a-z0-9-]{0,31}$/;

export function managedInstance(instance: Instance & { InstanceId: string }): ManagedInstance {
  const tags = new Map((instance.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
  const job = Number(tags.get(TAGS.job));
  const expires = tags.has(TAGS.expires) ? new Date(tags.get(TAGS.expires)!) : undefined;
  const runnerId = Number(tags.get(TAGS.runnerId));
  const forge = tags.get(TAGS.forge);
  return {
    instanceId: instance.InstanceId,
    state: instance.State?.Name ?? "unknown",
    launchTime: instance.LaunchTime ?? new Date(0),
    job: tags.has(TAGS.job) && Number.isSafeInteger(job) ? job : undefined,
    runner: tags.get(TAGS.runner),
    repo: tags.get(TAGS.repo),
    profile: tags.get(TAGS.profile),
    expires: expires && !Number.isNaN(expires.getTime()) ? expires : undefined,
    ...(forge !== undefined && FORGE_ID.test(forge) ? { forge } : {}),
    ...(tags.has(TAGS.runnerId) && Number.isSafeInteger(runnerId) && runnerId > 0 ? { runnerId } : {}),
  };
}
