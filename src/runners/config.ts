import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseYaml } from "../formats/yaml.js";
import { DEFAULT_LIMITS } from "../formats/limits.js";
import { toPlain } from "../formats/value.js";
import { describeIssues } from "../project/schema.js";

/**
 * The runners file (DESIGN §6), owned by whoever runs the bot and never read from a repository:
 * it decides who may spend money.
 */
const profile = z.strictObject({
  instance_types: z.array(z.string().regex(/^[a-z0-9]+[a-z0-9-]*\.[a-z0-9]+$/, "expected an instance type such as g5.xlarge")).min(1),
  image: z.string().regex(/^ami-[0-9a-f]{8,17}$/, "expected an AMI id such as ami-0123456789abcdef0"),
  market: z.enum(["spot", "on-demand", "spot-then-on-demand"]).default("on-demand"),
  subnets: z.array(z.string().regex(/^subnet-[0-9a-z]+$/, "expected a subnet id")).min(1),
  security_groups: z.array(z.string().regex(/^sg-[0-9a-z]+$/, "expected a security group id")).default([]),
  disk_gb: z.number().int().min(8).max(16_384).default(100),
  max_runtime_minutes: z.number().int().min(5).max(7_200).default(360),
  /** A runner that has not picked up its job after this long is terminated. */
  idle_minutes: z.number().int().min(1).max(1_440).default(15),
  max_instances: z.number().int().min(1).max(10_000).optional(),
  /** GitHub runner group for the JIT config (1 is "Default"). */
  runner_group_id: z.number().int().min(1).default(1),
  iam_instance_profile: z.string().optional(),
  key_name: z.string().optional(),
});

export const runnersSchema = z.strictObject({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "expected an AWS region such as us-east-1"),
  max_instances: z.number().int().min(1).max(10_000).default(8),
  allow: z.array(z.string().min(1)).min(1, "expected at least one repository glob (owner/name)"),
  fork_pull_requests: z.boolean().default(false),
  profiles: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "profile names are lower-case letters, digits, - and _"), profile).refine((p) => Object.keys(p).length > 0, "expected at least one profile"),
});

export type RunnersConfig = z.infer<typeof runnersSchema>;
export type Profile = z.infer<typeof profile>;
export type Market = Profile["market"];

export class RunnersConfigError extends Error {
  override readonly name = "RunnersConfigError";
}

/** Parse and validate a runners file; every problem is one line naming the file and the key. */
export function parseRunnersConfig(text: string, file = "runners.yml"): RunnersConfig {
  let raw: unknown;
  try {
    raw = toPlain(parseYaml(text, DEFAULT_LIMITS));
  } catch (e) {
    throw new RunnersConfigError(`${file}: ${(e as Error).message}`);
  }
  const r = runnersSchema.safeParse(raw ?? {});
  if (!r.success) throw new RunnersConfigError(`${file}: ${describeIssues(r.error.issues)}`);
  return r.data;
}

export function loadRunnersConfig(path: string): RunnersConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new RunnersConfigError(`${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  return parseRunnersConfig(text, path);
}

/** The label a job asks for a profile with: `runs-on: [self-hosted, mlreview-gpu]`. */
export const LABEL_PREFIX = "mlreview-";

export function profileOf(labels: readonly string[], config: RunnersConfig): { name: string; profile: Profile } | { unknown: string } | undefined {
  const label = labels.find((l) => l.startsWith(LABEL_PREFIX));
  if (!label) return undefined;
  const name = label.slice(LABEL_PREFIX.length);
  const p = profileNamed(config, name);
  return p ? { name, profile: p } : { unknown: name };
}

/**
 * The operator's profile of that name, never an inherited property: the name comes from a job's
 * label, and `mlreview-constructor` or `mlreview-__proto__` must not find Object.prototype's members.
 */
export function profileNamed(config: RunnersConfig, name: string | undefined): Profile | undefined {
  return name !== undefined && Object.hasOwn(config.profiles, name) ? config.profiles[name] : undefined;
}
