import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand, type Filter, type Instance } from "@aws-sdk/client-ec2";
import { telemetry } from "../../telemetry.js";
import { backoffMs, classify, redact, type Ec2Failure } from "./errors.js";
import { managedInstance, type ManagedInstance } from "./instances.js";
import { MAX_USER_DATA_BYTES, planOptions, runInstancesInput, type LaunchAttempt, type LaunchSpec, type MarketType } from "./launch-plan.js";
import { TAGS } from "./tags.js";

export interface Launched {
  instanceId: string;
  instanceType: string;
  subnet: string;
  market: MarketType;
  attempts: LaunchAttempt[];
  /**
   * Set when EC2 already had a live instance for this job and option (a launch that a killed bot
   * started): that instance keeps the user data it was launched with, so the JIT config generated
   * for this call is unused and the caller may delete its runner.
   */
  reused?: true;
}

export class LaunchError extends Error {
  override readonly name = "LaunchError";
  constructor(
    message: string,
    readonly code: string,
    readonly attempts: LaunchAttempt[],
    /** True when only capacity, quotas, throttling or transient failures stopped us: the caller requeues. */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const LIVE_STATES = ["pending", "running", "stopping", "stopped"];
const TERMINATE_BATCH = 500;

export interface Ec2FleetOptions {
  region: string;
  client?: EC2Client;
  sleep?: (ms: number) => Promise<void>;
  /** Retries, across one whole call, after throttling or a transient failure. */
  maxThrottleRetries?: number;
}

/** Our own retry budget has run out on throttling or transient failures. */
class GaveUp extends Error {
  constructor(readonly failure: Ec2Failure) {
    super(failure.code);
  }
}

export class Ec2Fleet {
  private readonly client: EC2Client;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxRetries: number;
  private readonly rootDevices = new Map<string, string>();

  constructor(opts: Ec2FleetOptions) {
    // maxAttempts 1: the SDK's standard strategy retries 5xx, and EC2 sends capacity refusals as 500,
    // so it would repeat a doomed RunInstances and spend the account's request budget. Our loop is
    // the only retry policy; ClientToken makes its repeats safe. No `endpoint` here, so the SDK's
    // own AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL and default credential chain apply.
    this.client = opts.client ?? new EC2Client({ region: opts.region, maxAttempts: 1 });
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.maxRetries = opts.maxThrottleRetries ?? 5;
  }

  /** Plan: market order × instance_types × subnets, in the profile's order. */
  async launch(spec: LaunchSpec): Promise<Launched> {
    const attempts: LaunchAttempt[] = [];
    const userDataBytes = Buffer.byteLength(spec.userData, "utf8");
    if (userDataBytes > MAX_USER_DATA_BYTES) {
      throw new LaunchError(`user data is ${userDataBytes} bytes; EC2 accepts at most ${MAX_USER_DATA_BYTES}`, "UserDataTooLarge", attempts, false);
    }
    const userData = Buffer.from(spec.userData, "utf8").toString("base64");
    const secrets = [spec.userData, userData];
    const budget = { retries: 0 };

    let rootDevice: string;
    try {
      rootDevice = await this.rootDevice(spec.profile.image, budget);
    } catch (e) {
      throw this.toLaunchError(e, attempts, secrets, `image ${spec.profile.image}`);
    }

    let lastCapacity: Ec2Failure | undefined;
    const skipMarkets = new Set<MarketType>();
    for (const option of planOptions(spec.profile)) {
      if (skipMarkets.has(option.market)) continue;
      const input = runInstancesInput(spec, option, rootDevice, userData);
      let outcome: Instance | Ec2Failure;
      try {
        outcome = await this.withRetries(budget, async () => {
          const out = await this.client.send(new RunInstancesCommand(input));
          const instance = out.Instances?.[0];
          if (!instance?.InstanceId) throw Object.assign(new Error("RunInstances returned no instance"), { name: "NoInstanceReturned", $metadata: { httpStatusCode: 200 } });
          return instance;
        });
      } catch (e) {
        if (e instanceof GaveUp) {
          attempts.push({ ...option, error: e.failure.code });
          throw this.toLaunchError(e, attempts, secrets);
        }
        outcome = classify(e);
      }
      if (!("kind" in outcome)) {
        attempts.push({ ...option });
        return { instanceId: outcome.InstanceId!, instanceType: option.instanceType, subnet: option.subnet, market: option.market, attempts };
      }
      const failure = outcome;
      attempts.push({ ...option, error: failure.code });
      if (failure.kind === "mismatch") {
        // The token was used before with other parameters: a killed bot launched this option with
        // user data and tags that differ from ours. If that instance lives, it is this job's runner.
        const existing = await this.liveByToken(input.ClientToken!, budget).catch((e: unknown) => {
          throw this.toLaunchError(e, attempts, secrets);
        });
        if (existing) {
          return {
            instanceId: existing.InstanceId!,
            instanceType: existing.InstanceType ?? option.instanceType,
            subnet: existing.SubnetId ?? option.subnet,
            market: existing.InstanceLifecycle === "spot" ? "spot" : "on-demand",
            attempts,
            reused: true,
          };
        }
        // Its instance is gone: this option's token is spent, the next option has its own.
        continue;
      }
      if (failure.kind !== "capacity") throw this.toLaunchError(failure, attempts, secrets);
      lastCapacity = failure;
      if (failure.marketWide) skipMarkets.add(option.market);
    }
    const code = lastCapacity?.code ?? "IdempotentParameterMismatch";
    const tried = attempts.map((a) => `${a.market} ${a.instanceType} in ${a.subnet}: ${a.error}`).join("; ");
    throw new LaunchError(`no capacity for profile ${spec.profileName} (${tried})`, code, attempts, lastCapacity !== undefined);
  }

  async terminate(instanceIds: string[]): Promise<void> {
    const ids = [...new Set(instanceIds)];
    for (let i = 0; i < ids.length; i += TERMINATE_BATCH) {
      const batch = ids.slice(i, i + TERMINATE_BATCH);
      const budget = { retries: 0 };
      try {
        await this.withRetries(budget, () => this.client.send(new TerminateInstancesCommand({ InstanceIds: batch })));
      } catch (e) {
        const f = e instanceof GaveUp ? e.failure : classify(e);
        if (f.code !== "InvalidInstanceID.NotFound") throw new Error(`TerminateInstances failed: ${f.code}: ${redact(f.message)}`);
        // One unknown id fails the whole call; the others must still end, so go one by one.
        if (batch.length > 1) await this.terminateEach(batch);
      }
    }
  }

  /** Instances tagged mlreview:managed=true in states pending|running|stopping|stopped, paginated; optional tag filters. */
  async managed(filter: { runner?: string; job?: number } = {}): Promise<ManagedInstance[]> {
    const filters: Filter[] = [
      { Name: `tag:${TAGS.managed}`, Values: ["true"] },
      { Name: "instance-state-name", Values: LIVE_STATES },
    ];
    if (filter.runner !== undefined) filters.push({ Name: `tag:${TAGS.runner}`, Values: [filter.runner] });
    if (filter.job !== undefined) filters.push({ Name: `tag:${TAGS.job}`, Values: [String(filter.job)] });
    const out: ManagedInstance[] = [];
    for (const instance of await this.describe(filters)) if (instance.InstanceId) out.push(managedInstance({ ...instance, InstanceId: instance.InstanceId }));
    return out;
  }

  private async terminateEach(ids: string[]): Promise<void> {
    for (const id of ids) {
      try {
        await this.withRetries({ retries: 0 }, () => this.client.send(new TerminateInstancesCommand({ InstanceIds: [id] })));
      } catch (e) {
        const f = e instanceof GaveUp ? e.failure : classify(e);
        if (f.code !== "InvalidInstanceID.NotFound") throw new Error(`TerminateInstances failed for ${id}: ${f.code}: ${redact(f.message)}`);
      }
    }
  }

  private async describe(filters: Filter[]): Promise<Instance[]> {
    const out: Instance[] = [];
    const budget = { retries: 0 };
    let next: string | undefined;
    do {
      const token = next;
      const page = await this.withRetries(budget, () => this.client.send(new DescribeInstancesCommand({ Filters: filters, MaxResults: 1000, NextToken: token }))).catch((e: unknown) => {
        const f = e instanceof GaveUp ? e.failure : classify(e);
        throw new Error(`DescribeInstances failed: ${f.code}: ${redact(f.message)}`);
      });
      for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
      next = page.NextToken || undefined;
    } while (next);
    return out;
  }

  private async liveByToken(token: string, budget: { retries: number }): Promise<Instance | undefined> {
    const out = await this.withRetries(budget, () =>
      this.client.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: "client-token", Values: [token] },
            { Name: "instance-state-name", Values: ["pending", "running"] },
          ],
        }),
      ),
    );
    return out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId);
  }

  /**
   * The AMI's root device name, once per image: a fixed /dev/sda1 is right for Ubuntu-style images
   * but on /dev/xvda images (Amazon Linux) it adds an extra volume and leaves the root small.
   */
  private async rootDevice(image: string, budget: { retries: number }): Promise<string> {
    const known = this.rootDevices.get(image);
    if (known) return known;
    const out = await this.withRetries(budget, () => this.client.send(new DescribeImagesCommand({ ImageIds: [image] })));
    const found = out.Images?.find((i) => i.ImageId === image) ?? out.Images?.[0];
    if (!found) throw Object.assign(new Error(`The image id '[${image}]' does not exist`), { name: "InvalidAMIID.NotFound", $metadata: { httpStatusCode: 400 } });
    if (found.RootDeviceType && found.RootDeviceType !== "ebs") {
      throw Object.assign(new Error(`image ${image} has an ${found.RootDeviceType} root device; runners need an EBS-backed image`), { name: "UnsupportedImage", $metadata: { httpStatusCode: 400 } });
    }
    if (!found.RootDeviceName) throw Object.assign(new Error(`image ${image} has no root device name`), { name: "UnsupportedImage", $metadata: { httpStatusCode: 400 } });
    this.rootDevices.set(image, found.RootDeviceName);
    return found.RootDeviceName;
  }

  /** Repeats `call` after throttling or a transient failure, within one budget per public call. */
  private async withRetries<T>(budget: { retries: number }, call: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await call();
      } catch (e) {
        const f = classify(e);
        telemetry.ec2Error(f.code);
        if (f.kind !== "throttling" && f.kind !== "transient") throw e;
        if (budget.retries >= this.maxRetries) throw new GaveUp(f);
        await this.sleep(backoffMs(budget.retries));
        budget.retries++;
      }
    }
  }

  private toLaunchError(e: unknown, attempts: LaunchAttempt[], secrets: string[], what?: string): LaunchError {
    const f = e instanceof GaveUp ? e.failure : typeof e === "object" && e !== null && "kind" in e ? (e as Ec2Failure) : classify(e);
    const retryable = e instanceof GaveUp;
    const prefix = what ? `${what}: ` : "";
    const why = retryable ? `${f.code} after ${this.maxRetries} retries` : `${f.code}: ${redact(f.message, secrets)}`;
    return new LaunchError(`${prefix}${why}`, f.code, attempts, retryable);
  }
}
