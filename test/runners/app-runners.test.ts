import { writeFileSync } from "node:fs";
import { join } from "node:path";
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app/index.js";
import { example } from "../forges/github/helpers.js";
import { tempDir } from "../helpers/git-repo.js";
import { Ec2Mock, describeImagesXml, describeInstancesXml, runInstancesXml, terminateXml, useTestAwsEnv, launchEssentials } from "./ec2-mock.js";
import { testPrivateKey } from "../helpers/keys.js";

const API = "https://api.github.com";
const AMI = "ami-0123456789abcdef0";
const privateKey = testPrivateKey("pkcs8");
const JIT = Buffer.from('{"runner":"jit-config-for-test"}').toString("base64");

function runnersFile(extra = ""): string {
  const file = join(tempDir(), "runners.yml");
  writeFileSync(
    file,
    `region: us-east-1
max_instances: 8
allow: [Codertocat/*]
profiles:
  gpu:
    instance_types: [g5.xlarge, g4dn.xlarge]
    image: ${AMI}
    market: on-demand
    subnets: [subnet-a, subnet-b]
    security_groups: [sg-1]
    disk_gb: 200
    max_runtime_minutes: 360
${extra}`,
  );
  return file;
}

interface JobPayload {
  action: string;
  installation?: { id: number };
  repository: { full_name: string };
  workflow_job: { id: number; run_id: number; run_attempt: number; labels: string[]; runner_name: string | null };
}

function jobEvent(action: "queued" | "in_progress" | "completed", labels = ["self-hosted", "mlreview-gpu"], runner: string | null = null): JobPayload {
  const p = example<JobPayload>("workflow_job", "queued");
  p.action = action;
  p.workflow_job.labels = labels;
  p.workflow_job.runner_name = runner;
  p.installation ??= { id: 1 };
  return p;
}

async function load(file: string) {
  const mlreview = createApp({ appId: 123, publicUrl: undefined, dataDir: tempDir(), imageKey: "k", runnersFile: file }, { runners: { facts: { github: { status: async () => undefined, runnerBusy: async () => undefined } } } });
  const probot = new Probot({ appId: 123, privateKey, logLevel: (process.env.TEST_LOG as "error") ?? "fatal", Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
  await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
  return { probot, mlreview };
}

describe("GPU runners from workflow_job", () => {
  let restoreEnv: () => void;
  beforeEach(() => (restoreEnv = useTestAwsEnv()));
  afterEach(() => {
    mlreviewStop?.();
    restoreEnv();
    nock.cleanAll();
    nock.enableNetConnect();
  });
  let mlreviewStop: (() => void) | undefined;

  it("queued → JIT config with the job's labels → one RunInstances with the profile; completed → terminate", async () => {
    const p = jobEvent("queued");
    const repo = `/repos/${p.repository.full_name}`;
    const runnerName = `mlreview-gpu-${p.workflow_job.id}-${p.workflow_job.run_attempt}`;
    const ec2 = new Ec2Mock()
      .on("DescribeInstances", describeInstancesXml([])) // start-up: nothing of ours is running
      .on("DescribeImages", describeImagesXml(AMI, "/dev/sda1"))
      .on("RunInstances", (params) => runInstancesXml(params, "i-0aaa"))
      .on("TerminateInstances", terminateXml);
    const gh = nock(API)
      .post(`/app/installations/${p.installation!.id}/access_tokens`)
      .reply(201, { token: "ghs_t", expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .get(`${repo}/actions/runs/${p.workflow_job.run_id}`)
      .reply(200, { event: "push", head_repository: { full_name: p.repository.full_name } })
      .post(`${repo}/actions/runners/generate-jitconfig`, { name: runnerName, runner_group_id: 1, labels: ["self-hosted", "mlreview-gpu"], work_folder: "_work" })
      .reply(201, { runner: { id: 42 }, encoded_jit_config: JIT });
    const { probot, mlreview } = await load(runnersFile());
    mlreviewStop = () => mlreview.runners()?.stop();
    for (let i = 0; i < 10; i++) await probot.receive({ id: `q${i}`, name: "workflow_job", payload: p as never });
    await mlreview.idle();
    await probot.receive({ id: "done", name: "workflow_job", payload: jobEvent("completed", undefined, runnerName) as never });
    await mlreview.idle();

    const run = ec2.of("RunInstances");
    expect(run).toHaveLength(1);
    const params = Object.fromEntries(run[0]!.entries());
    expect(params).toMatchObject(launchEssentials(AMI));
    expect(params.ClientToken).toMatch(new RegExp(`^mlr-${p.workflow_job.id}-1-[0-9a-f]{16}$`));
    const tags = Object.fromEntries(
      Object.keys(params)
        .filter((k) => /^TagSpecification\.1\.Tag\.\d+\.Key$/.test(k))
        .map((k) => [params[k], params[k.replace(/Key$/, "Value")]]),
    );
    expect(tags).toMatchObject({ "mlreview:managed": "true", "mlreview:job": String(p.workflow_job.id), "mlreview:runner": runnerName, "mlreview:repo": p.repository.full_name, "mlreview:profile": "gpu" });
    expect(new Date(tags["mlreview:expires"]!).getTime()).toBeGreaterThan(Date.now() + 360 * 60_000);
    const userData = Buffer.from(params.UserData!, "base64").toString();
    expect(userData).toContain(JIT);
    expect(userData).not.toMatch(/AKIA|aws_secret|ghs_|PRIVATE KEY/);
    expect(ec2.of("TerminateInstances").map((t) => t.get("InstanceId.1"))).toEqual(["i-0aaa"]);
    expect(gh.pendingMocks()).toEqual([]);
    expect(ec2.done()).toEqual({ pending: [], unexpected: [] });
  });

  it("unknown profiles, repositories outside the allow list and fork pull requests make no AWS call", async () => {
    const ec2 = new Ec2Mock().on("DescribeInstances", describeInstancesXml([]));
    const unknown = jobEvent("queued", ["self-hosted", "mlreview-tpu"]);
    const outside = jobEvent("queued");
    outside.repository.full_name = "someone/else";
    const fork = jobEvent("queued");
    fork.workflow_job.id += 1;
    const repo = `/repos/${fork.repository.full_name}`;
    const gh = nock(API)
      .post(`/app/installations/${fork.installation!.id}/access_tokens`)
      .reply(201, { token: "ghs_t", expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .get(`${repo}/actions/runs/${fork.workflow_job.run_id}`)
      .reply(200, { event: "pull_request", head_repository: { full_name: "attacker/fork" } });
    const { probot, mlreview } = await load(runnersFile());
    mlreviewStop = () => mlreview.runners()?.stop();
    for (const [i, p] of [unknown, outside, fork].entries()) await probot.receive({ id: `x${i}`, name: "workflow_job", payload: p as never });
    await mlreview.idle();
    expect(gh.pendingMocks()).toEqual([]);
    expect(ec2.calls.map((c) => c.action)).toEqual(["DescribeInstances"]);
    expect(ec2.done()).toEqual({ pending: [], unexpected: [] });
  });

  it("a bot restarted after kill -9 mid-launch finds its instance by tag and ends it when the job completes", async () => {
    const p = jobEvent("queued");
    const runnerName = `mlreview-gpu-${p.workflow_job.id}-1`;
    const tags = {
      "mlreview:managed": "true",
      "mlreview:job": String(p.workflow_job.id),
      "mlreview:runner": runnerName,
      "mlreview:repo": p.repository.full_name,
      "mlreview:profile": "gpu",
      "mlreview:expires": new Date(Date.now() + 3600_000).toISOString(),
    };
    const orphan = { id: "i-0bbb", tags };
    const expired = { id: "i-0ccc", tags: { ...tags, "mlreview:job": "1", "mlreview:runner": "mlreview-gpu-1-1", "mlreview:expires": new Date(Date.now() - 60_000).toISOString() } };
    const ec2 = new Ec2Mock()
      .on("DescribeInstances", describeInstancesXml([orphan, expired])) // start-up: both found by tag
      .on("TerminateInstances", terminateXml) // the expired one, by the start-up reaper
      .on("TerminateInstances", terminateXml); // the orphan, when its job completes
    const { probot, mlreview } = await load(runnersFile());
    mlreviewStop = () => mlreview.runners()?.stop();
    await mlreview.idle();
    expect(ec2.of("TerminateInstances").map((t) => t.get("InstanceId.1"))).toEqual(["i-0ccc"]);
    await probot.receive({ id: "c", name: "workflow_job", payload: jobEvent("completed", undefined, runnerName) as never });
    await mlreview.idle();
    expect(ec2.of("TerminateInstances").map((t) => t.get("InstanceId.1"))).toEqual(["i-0ccc", "i-0bbb"]);
    expect(ec2.done()).toEqual({ pending: [], unexpected: [] });
  });
});
