import { createHash } from "node:crypto";
import type { RunInstancesCommandInput } from "@aws-sdk/client-ec2";
import type { Profile } from "../config.js";
import { tagsFor } from "./tags.js";

/**
 * Where a runner's job lives: a forge id of src/forges/registry.ts, as the `mlreview:forge` tag holds
 * it. Instances without the tag are GitHub's (they predate the tag).
 */
export type Forge = string;

/** The EC2 side of a runner: what the bot asks for and how it names it (DESIGN §6). */
export interface RunnerJob {
  id: number;
  runAttempt: number;
  /** owner/name on GitHub, the project's path_with_namespace on GitLab */
  repo: string;
  runnerName: string;
  labels: string[];
  /** Unset for GitHub, so that GitHub launches keep exactly the tags and client tokens they always had. */
  forge?: Forge | undefined;
  /** The forge's runner id, so that whoever ends the instance (a restarted bot, the reaper) can delete the runner. */
  runnerId?: number;
}

export interface LaunchSpec {
  profileName: string;
  profile: Profile;
  job: RunnerJob;
  /** Plain text; base64-encoded here. Never logged, never put in an error. */
  userData: string;
  expiresAt: Date;
}

export type MarketType = "spot" | "on-demand";

export interface LaunchAttempt {
  instanceType: string;
  subnet: string;
  market: MarketType;
  /** The EC2 error code that stopped this attempt. */
  error?: string;
}

/** EC2 refuses user data over 16 KB before base64. */
export const MAX_USER_DATA_BYTES = 16 * 1024;

/** Every (market, type, subnet) in the profile's order: markets first, then types, then subnets. */
export function planOptions(profile: Profile): LaunchAttempt[] {
  const markets: MarketType[] = profile.market === "spot-then-on-demand" ? ["spot", "on-demand"] : [profile.market];
  const out: LaunchAttempt[] = [];
  for (const market of markets) for (const instanceType of profile.instance_types) for (const subnet of profile.subnets) out.push({ instanceType, subnet, market });
  return out;
}

/**
 * Deterministic per job, run attempt and option. The option is part of it because EC2 answers a
 * reused token with different parameters with IdempotentParameterMismatch; the run attempt because a
 * re-run of the job is a new launch. At most 64 ASCII characters, as EC2 requires.
 */
export function clientToken(job: RunnerJob, attempt: LaunchAttempt): string {
  const option = createHash("sha256").update(`${attempt.market}\n${attempt.instanceType}\n${attempt.subnet}`).digest("hex").slice(0, 16);
  // GitHub and GitLab job ids are independent counters: the same number on both must not share a token.
  // "mlr-gl" is what GitLab's tokens always were; another forge's id goes in whole.
  const prefix = job.forge === undefined ? "mlr" : job.forge === "gitlab" ? "mlr-gl" : `mlr-${job.forge}`;
  const token = `${prefix}-${Math.trunc(job.id)}-${Math.trunc(job.runAttempt)}-${option}`;
  if (token.length > 64) throw new RangeError(`client token too long for job ${job.id}`);
  return token;
}

/**
 * One RunInstances request. `rootDevice` is the AMI's own root device name: a mapping under any other
 * name adds a second volume and leaves the root at the snapshot's size.
 */
export function runInstancesInput(spec: LaunchSpec, option: LaunchAttempt, rootDevice: string, userDataBase64: string): RunInstancesCommandInput {
  const p = spec.profile;
  const tags = tagsFor(spec);
  const input: RunInstancesCommandInput = {
    MinCount: 1,
    MaxCount: 1,
    ImageId: p.image,
    InstanceType: option.instanceType as RunInstancesCommandInput["InstanceType"],
    SubnetId: option.subnet,
    BlockDeviceMappings: [{ DeviceName: rootDevice, Ebs: { VolumeSize: p.disk_gb, VolumeType: "gp3", DeleteOnTermination: true } }],
    MetadataOptions: { HttpTokens: "required", HttpPutResponseHopLimit: 1, HttpEndpoint: "enabled" },
    InstanceInitiatedShutdownBehavior: "terminate",
    UserData: userDataBase64,
    TagSpecifications: [
      { ResourceType: "instance", Tags: tags },
      { ResourceType: "volume", Tags: tags },
    ],
    ClientToken: clientToken(spec.job, option),
  };
  if (p.security_groups.length > 0) input.SecurityGroupIds = [...p.security_groups];
  if (option.market === "spot") {
    // One-time and terminate: a spot runner that is interrupted must not come back as a stopped or
    // persistent request that relaunches later with a spent JIT config.
    input.InstanceMarketOptions = { MarketType: "spot", SpotOptions: { SpotInstanceType: "one-time", InstanceInterruptionBehavior: "terminate" } };
  }
  if (p.iam_instance_profile) {
    input.IamInstanceProfile = p.iam_instance_profile.startsWith("arn:") ? { Arn: p.iam_instance_profile } : { Name: p.iam_instance_profile };
  }
  if (p.key_name) input.KeyName = p.key_name;
  return input;
}
