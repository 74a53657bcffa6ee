import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseRunnersConfig, type Profile } from "../../../src/runners/config.js";
import { Ec2Fleet, LaunchError } from "../../../src/runners/ec2/fleet.js";
import { clientToken, type LaunchSpec, type RunnerJob } from "../../../src/runners/ec2/launch-plan.js";
import { renderUserData } from "../../../src/forges/github/user-data.js";
import { Ec2Mock, describeImagesXml, describeInstancesXml, ec2Error, formObject, runInstancesXml, useTestAwsEnv } from "../ec2-mock.js";

const AMI = "ami-0123456789abcdef0";
// Base64 of a JSON blob, the shape GitHub's encoded_jit_config has.
const JIT = Buffer.from(JSON.stringify({ ".runner": "eyJhZ2VudElkIjoiMTIzIn0=", ".credentials": "c2VjcmV0LXJ1bm5lci1jcmVkZW50aWFs" })).toString("base64");

function profileFrom(yaml: string): Profile {
  const cfg = parseRunnersConfig(`region: us-east-1\nallow: [acme/*]\nprofiles:\n  gpu:\n${yaml.replace(/^/gm, "    ")}\n`);
  return cfg.profiles.gpu!;
}

const spotThenOnDemand = profileFrom(`instance_types: [g5.xlarge, g4dn.xlarge]
image: ${AMI}
market: spot-then-on-demand
subnets: [subnet-a, subnet-b]
security_groups: [sg-1, sg-2]
disk_gb: 200
max_runtime_minutes: 360`);

const job: RunnerJob = { id: 987654321, runAttempt: 2, repo: "acme/models", runnerName: "mlreview-gpu-987654321-2", labels: ["self-hosted", "mlreview-gpu"] };

function spec(profile: Profile = spotThenOnDemand, j: RunnerJob = job): LaunchSpec {
  return {
    profileName: "gpu",
    profile,
    job: j,
    userData: renderUserData({ jitConfig: JIT, maxRuntimeMinutes: profile.max_runtime_minutes, idleMinutes: profile.idle_minutes }),
    expiresAt: new Date("2026-01-02T09:04:05.000Z"),
  };
}

let mock: Ec2Mock;
let restoreEnv: () => void;
let sleeps: number[];
const fleet = (o: { maxThrottleRetries?: number } = {}) => new Ec2Fleet({ region: "us-east-1", sleep: async (ms) => void sleeps.push(ms), ...o });

beforeEach(() => {
  restoreEnv = useTestAwsEnv();
  mock = new Ec2Mock();
  sleeps = [];
});

afterEach(() => {
  const { pending, unexpected } = mock.done();
  restoreEnv();
  expect(pending).toEqual([]);
  expect(unexpected).toEqual([]);
});

describe("Ec2Fleet.launch: the RunInstances request", () => {
  it("sends exactly the profile's parameters for the first spot option, with the AMI's own root device", async () => {
    const s = spec();
    mock.on("DescribeImages", describeImagesXml(AMI, "/dev/xvda"));
    mock.on("RunInstances", (p) => runInstancesXml(p, "i-0aaa0000000000001"));

    const launched = await fleet().launch(s);

    expect(launched).toEqual({ instanceId: "i-0aaa0000000000001", instanceType: "g5.xlarge", subnet: "subnet-a", market: "spot", attempts: [{ instanceType: "g5.xlarge", subnet: "subnet-a", market: "spot" }] });
    expect(formObject(mock.of("DescribeImages")[0]!)).toEqual({ Action: "DescribeImages", Version: "2016-11-15", "ImageId.1": AMI });

    const sent = formObject(mock.of("RunInstances")[0]!);
    const token = sent.ClientToken!;
    expect(token).toMatch(/^[\x21-\x7e]{1,64}$/);
    expect(token).toBe(clientToken(job, { instanceType: "g5.xlarge", subnet: "subnet-a", market: "spot" }));
    const tags = {
      "Tag.1.Key": "Name",
      "Tag.1.Value": "mlreview-gpu-987654321-2",
      "Tag.2.Key": "mlreview:managed",
      "Tag.2.Value": "true",
      "Tag.3.Key": "mlreview:job",
      "Tag.3.Value": "987654321",
      "Tag.4.Key": "mlreview:runner",
      "Tag.4.Value": "mlreview-gpu-987654321-2",
      "Tag.5.Key": "mlreview:repo",
      "Tag.5.Value": "acme/models",
      "Tag.6.Key": "mlreview:profile",
      "Tag.6.Value": "gpu",
      "Tag.7.Key": "mlreview:expires",
      "Tag.7.Value": "2026-01-02T09:04:05.000Z",
    };
    const tagSpec = (n: number, type: string) => ({
      [`TagSpecification.${n}.ResourceType`]: type,
      ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`TagSpecification.${n}.${k}`, v])),
    });
    expect(sent).toEqual(
      formObject(
        new URLSearchParams({
          Action: "RunInstances",
          Version: "2016-11-15",
          MinCount: "1",
          MaxCount: "1",
          ImageId: AMI,
          InstanceType: "g5.xlarge",
          SubnetId: "subnet-a",
          "SecurityGroupId.1": "sg-1",
          "SecurityGroupId.2": "sg-2",
          "BlockDeviceMapping.1.DeviceName": "/dev/xvda",
          "BlockDeviceMapping.1.Ebs.VolumeSize": "200",
          "BlockDeviceMapping.1.Ebs.VolumeType": "gp3",
          "BlockDeviceMapping.1.Ebs.DeleteOnTermination": "true",
          "MetadataOptions.HttpTokens": "required",
          "MetadataOptions.HttpPutResponseHopLimit": "1",
          "MetadataOptions.HttpEndpoint": "enabled",
          InstanceInitiatedShutdownBehavior: "terminate",
          "InstanceMarketOptions.MarketType": "spot",
          "InstanceMarketOptions.SpotOptions.SpotInstanceType": "one-time",
          "InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior": "terminate",
          ...tagSpec(1, "instance"),
          ...tagSpec(2, "volume"),
          ClientToken: token,
          UserData: sent.UserData!,
        }),
      ),
    );

    const userData = Buffer.from(sent.UserData!, "base64").toString("utf8");
    expect(userData).toBe(s.userData);
    expect(userData.split(JIT).length - 1).toBe(1);
    expect(userData).not.toMatch(/AKIA|ASIA|aws_secret|AWS_SECRET|AWS_ACCESS_KEY|ghp_|github_pat_/);
  });

  it("on-demand: no market options; the instance profile and key pair when the profile sets them", async () => {
    const p = profileFrom(`instance_types: [p3.2xlarge]
image: ${AMI}
market: on-demand
subnets: [subnet-z]
disk_gb: 80
iam_instance_profile: runner-role
key_name: ops`);
    mock.on("DescribeImages", describeImagesXml(AMI, "/dev/sda1"));
    mock.on("RunInstances", (q) => runInstancesXml(q, "i-0bbb0000000000001"));

    const launched = await fleet().launch(spec(p));

    expect(launched.market).toBe("on-demand");
    const sent = formObject(mock.of("RunInstances")[0]!);
    expect(Object.keys(sent).filter((k) => k.startsWith("InstanceMarketOptions"))).toEqual([]);
    expect(Object.keys(sent).filter((k) => k.startsWith("SecurityGroup"))).toEqual([]);
    expect(sent).toMatchObject({ InstanceType: "p3.2xlarge", SubnetId: "subnet-z", "IamInstanceProfile.Name": "runner-role", KeyName: "ops", "BlockDeviceMapping.1.DeviceName": "/dev/sda1", "BlockDeviceMapping.1.Ebs.VolumeSize": "80" });
  });

  it("asks for the AMI's root device once per image, not once per launch", async () => {
    const f = fleet();
    mock.on("DescribeImages", describeImagesXml(AMI, "/dev/sda1"));
    mock.on("RunInstances", (q) => runInstancesXml(q, "i-0ccc0000000000001"));
    mock.on("RunInstances", (q) => runInstancesXml(q, "i-0ccc0000000000002"));
    await f.launch(spec());
    await f.launch(spec(spotThenOnDemand, { ...job, id: 5 }));
    expect(mock.of("DescribeImages")).toHaveLength(1);
    expect(mock.of("RunInstances").map((q) => q.get("BlockDeviceMapping.1.DeviceName"))).toEqual(["/dev/sda1", "/dev/sda1"]);
  });
});

describe("Ec2Fleet.launch: capacity fallbacks", () => {
  it("tries every type × subnet as spot, then on-demand, and records each attempt", async () => {
    mock.on("DescribeImages", describeImagesXml(AMI));
    mock.on("RunInstances", ec2Error("InsufficientInstanceCapacity"));
    mock.on("RunInstances", ec2Error("SpotMaxPriceTooLow"));
    mock.on("RunInstances", ec2Error("Unsupported"));
    mock.on("RunInstances", ec2Error("InsufficientFreeAddressesInSubnet"));
    mock.on("RunInstances", ec2Error("InsufficientInstanceCapacity"));
    mock.on("RunInstances", (q) => runInstancesXml(q, "i-0ddd0000000000001"));

    const launched = await fleet().launch(spec());

    const sent = mock.of("RunInstances").map((q) => [q.get("InstanceType"), q.get("SubnetId"), q.get("InstanceMarketOptions.MarketType") ?? "on-demand"]);
    expect(sent).toEqual([
      ["g5.xlarge", "subnet-a", "spot"],
      ["g5.xlarge", "subnet-b", "spot"],
      ["g4dn.xlarge", "subnet-a", "spot"],
      ["g4dn.xlarge", "subnet-b", "spot"],
      ["g5.xlarge", "subnet-a", "on-demand"],
      ["g5.xlarge", "subnet-b", "on-demand"],
    ]);
    expect(launched).toMatchObject({ instanceId: "i-0ddd0000000000001", instanceType: "g5.xlarge", subnet: "subnet-b", market: "on-demand" });
    expect(launched.attempts).toEqual([
      { instanceType: "g5.xlarge", subnet: "subnet-a", market: "spot", error: "InsufficientInstanceCapacity" },
      { instanceType: "g5.xlarge", subnet: "subnet-b", market: "spot", error: "SpotMaxPriceTooLow" },
      { instanceType: "g4dn.xlarge", subnet: "subnet-a", market: "spot", error: "Unsupported" },
      { instanceType: "g4dn.xlarge", subnet: "subnet-b", market: "spot", error: "InsufficientFreeAddressesInSubnet" },
      { instanceType: "g5.xlarge", subnet: "subnet-a", market: "on-demand", error: "InsufficientInstanceCapacity" },
      { instanceType: "g5.xlarge", subnet: "subnet-b", market: "on-demand" },
    ]);
    // One token per option: EC2 would refuse a reused token with other parameters.
    const tokens = mock.of("RunInstances").map((q) => q.get("ClientToken"));
    expect(new Set(tokens).size).toBe(6);
    expect(sleeps).toEqual([]);
  });

  it("skips the rest of the spot options on an account-wide spot quota", async () => {
    mock.on("DescribeImages", describeImagesXml(AMI));
    mock.on("RunInstances", ec2Error("MaxSpotInstanceCountExceeded"));
    mock.on("RunInstances", (q) => runInstancesXml(q, "i-0eee0000000000001"));
    const launched = await fleet().launch(spec());
    expect(launched.attempts.map((a) => `${a.market}/${a.instanceType}/${a.subnet}/${a.error ?? "ok"}`)).toEqual(["spot/g5.xlarge/subnet-a/MaxSpotInstanceCountExceeded", "on-demand/g5.xlarge/subnet-a/ok"]);
  });

  it("when every option is out of capacity, fails as retryable with every attempt", async () => {
    mock.on("DescribeImages", describeImagesXml(AMI));
    for (let i = 0; i < 8; i++) mock.on("RunInstances", ec2Error(i === 7 ? "VcpuLimitExceeded" : "InsufficientInstanceCapacity"));
    const err = await fleet()
      .launch(spec())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    const le = err as LaunchError;
    expect(le.retryable).toBe(true);
    expect(le.code).toBe("VcpuLimitExceeded");
    expect(le.attempts).toHaveLength(8);
    expect(le.attempts.every((a) => a.error)).toBe(true);
    expect(le.message).toContain("on-demand g4dn.xlarge in subnet-b: VcpuLimitExceeded");
  });

  it("stops at once, not retryable, on an error no other option can fix; the message carries no user data", async () => {
    const s = spec();
    const b64 = Buffer.from(s.userData).toString("base64");
    mock.on("DescribeImages", describeImagesXml(AMI));
    mock.on("RunInstances", ec2Error("InvalidParameterValue", `Invalid value '${b64.slice(0, 120)}' for userData; JIT ${JIT}`));
    const err = (await fleet()
      .launch(s)
      .catch((e: unknown) => e)) as LaunchError;
    expect(err).toBeInstanceOf(LaunchError);
    expect(err.retryable).toBe(false);
    expect(err.code).toBe("InvalidParameterValue");
    expect(err.attempts).toEqual([{ instanceType: "g5.xlarge", subnet: "subnet-a", market: "spot", error: "InvalidParameterValue" }]);
    expect(err.message).toContain("InvalidParameterValue");
    expect(err.message).not.toContain(JIT);
    expect(err.message).not.toContain(b64.slice(0, 40));
    expect(JSON.stringify({ ...err, message: err.message, stack: err.stack })).not.toContain(JIT.slice(0, 40));
    expect(mock.of("RunInstances")).toHaveLength(1);
  });

  it("an unknown AMI fails before any RunInstances, not retryable", async () => {
    mock.on("DescribeImages", ec2Error("InvalidAMIID.NotFound", `The image id '[${AMI}]' does not exist`));
    const err = (await fleet()
      .launch(spec())
      .catch((e: unknown) => e)) as LaunchError;
    expect(err).toBeInstanceOf(LaunchError);
    expect({ code: err.code, retryable: err.retryable, attempts: err.attempts }).toEqual({ code: "InvalidAMIID.NotFound", retryable: false, attempts: [] });
  });

  it("refuses user data over EC2's 16 KB without calling EC2", async () => {
    const err = (await fleet()
      .launch({ ...spec(), userData: "#!/bin/bash\n" + "x".repeat(16 * 1024) })
      .catch((e: unknown) => e)) as LaunchError;
    expect(err).toBeInstanceOf(LaunchError);
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code: "UserDataTooLarge", retryable: false });
    expect(mock.calls).toEqual([]);
  });
});

describe("Ec2Fleet.launch: throttling and idempotency", () => {
  it("backs off on throttling through the injected sleep and repeats the same request, then succeeds", async () => {
    mock.on("DescribeImages", describeImagesXml(AMI));
    mock.on("RunInstances", ec2Error("RequestLimitExceeded", "Request limit exceeded."));
    mock.on("RunInstances", ec2Error("RequestLimitExceeded", "Request limit exceeded."));
    mock.on("RunInstances", (q) => runInstancesXml(q, "i-0fff0000000000001"));

    const launched = await fleet().launch(spec());

    expect(launched.instanceId).toBe("i-0fff0000000000001");
    // Throttling is not a capacity verdict on the option: the attempt list shows one success.
    expect(launched.attempts).toEqual([{ instanceType: "g5.xlarge", subnet: "subnet-a", market: "spot" }]);
    const sent = mock.of("RunInstances").map(formObject);
    expect(sent).toHaveLength(3);
    expect(sent[1]).toEqual(sent[0]);
    expect(sent[2]).toEqual(sent[0]);
    // Exponential with jitter: retry n waits within [base·2ⁿ/2, base·2ⁿ] (base 500 ms).
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(250);
    expect(sleeps[0]).toBeLessThanOrEqual(500);
    expect(sleeps[1]).toBeGreaterThanOrEqual(500);
    expect(sleeps[1]).toBeLessThanOrEqual(1000);
  });

  it("gives up as retryable after maxThrottleRetries, without moving to other options", async () => {
    mock.on("DescribeImages", describeImagesXml(AMI));
    for (let i = 0; i < 3; i++) mock.on("RunInstances", ec2Error("RequestLimitExceeded"));
    const err = (await fleet({ maxThrottleRetries: 2 })
      .launch(spec())
      .catch((e: unknown) => e)) as LaunchError;
    expect(err).toBeInstanceOf(LaunchError);
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code: "RequestLimitExceeded", retryable: true });
    expect(err.attempts).toEqual([{ instanceType: "g5.xlarge", subnet: "subnet-a", market: "spot", error: "RequestLimitExceeded" }]);
    expect(sleeps).toHaveLength(2);
    expect(new Set(mock.of("RunInstances").map((q) => q.get("SubnetId")))).toEqual(new Set(["subnet-a"]));
  });

  it("the same job launched twice (a redelivered webhook, a restarted bot) sends the same ClientToken", async () => {
    // Three fleets: three processes, each learning the AMI's root device once.
    for (let i = 0; i < 3; i++) mock.on("DescribeImages", describeImagesXml(AMI));
    mock.on("RunInstances", (q) => runInstancesXml(q, "i-0abc0000000000001"));
    mock.on("RunInstances", (q) => runInstancesXml(q, "i-0abc0000000000001"));
    mock.on("RunInstances", (q) => runInstancesXml(q, "i-0abc0000000000002"));
    await fleet().launch(spec());
    await fleet().launch(spec());
    await fleet().launch(spec(spotThenOnDemand, { ...job, runAttempt: 3 }));
    const [a, b, c] = mock.of("RunInstances").map((q) => q.get("ClientToken"));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it("IdempotentParameterMismatch: a live instance launched with this token is this job's runner", async () => {
    mock.on("DescribeImages", describeImagesXml(AMI));
    mock.on("RunInstances", ec2Error("IdempotentParameterMismatch"));
    mock.on("DescribeInstances", describeInstancesXml([{ id: "i-0old000000000001", state: "running", type: "g5.xlarge", subnet: "subnet-a", lifecycle: "spot" }]));
    const launched = await fleet().launch(spec());
    expect(launched).toMatchObject({ instanceId: "i-0old000000000001", market: "spot", reused: true });
    const q = formObject(mock.of("DescribeInstances")[0]!);
    expect(q).toMatchObject({ "Filter.1.Name": "client-token", "Filter.1.Value.1": mock.of("RunInstances")[0]!.get("ClientToken")!, "Filter.2.Name": "instance-state-name" });
  });

  it("IdempotentParameterMismatch with that instance gone: the next option, with its own token", async () => {
    mock.on("DescribeImages", describeImagesXml(AMI));
    mock.on("RunInstances", ec2Error("IdempotentParameterMismatch"));
    mock.on("DescribeInstances", describeInstancesXml([]));
    mock.on("RunInstances", (q) => runInstancesXml(q, "i-0new000000000001"));
    const launched = await fleet().launch(spec());
    expect(launched.instanceId).toBe("i-0new000000000001");
    expect(launched.reused).toBeUndefined();
    expect(launched.attempts.map((a) => a.error)).toEqual(["IdempotentParameterMismatch", undefined]);
  });
});
