import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WorkflowJobPayload } from "../../src/forges/github/runners.js";
import { parseRunnersConfig } from "../../src/runners/config.js";
import { Ec2Fleet } from "../../src/runners/ec2/fleet.js";
import { RunnerService, type RunnerLog } from "../../src/runners/service.js";
import { example } from "../forges/github/helpers.js";
import { Ec2Mock, describeImagesXml, runInstancesXml, useTestAwsEnv } from "./ec2-mock.js";
import { FORGES, GITHUB, signal, testHost } from "./host.js";
import { testPrivateKey } from "../helpers/keys.js";

const API = "https://api.github.com";
const AMI = "ami-0123456789abcdef0";
const JIT = Buffer.from('{"runner":"jit-config-for-test"}').toString("base64");
const privateKey = testPrivateKey("pkcs8");
const config = parseRunnersConfig(`
region: us-east-1
max_instances: 8
allow: [Codertocat/*]
profiles:
  gpu: {instance_types: [g5.xlarge], image: ${AMI}, market: on-demand, subnets: [subnet-a]}
`);

function queued(): { installation: number; payload: WorkflowJobPayload } {
  const p = example<WorkflowJobPayload>("workflow_job", "queued");
  p.workflow_job.labels = ["self-hosted", "mlreview-gpu"];
  p.workflow_job.runner_name = null;
  return { installation: 1, payload: p };
}

function recordingLog(): RunnerLog & { lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (obj: Record<string, unknown>, msg: string) => void lines.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  return { lines, info: rec("info"), warn: rec("warn"), error: rec("error") };
}

describe("GitHub runners through RunnerService.handle", () => {
  let ec2: Ec2Mock;
  let restoreEnv: () => void;
  let log: ReturnType<typeof recordingLog>;
  let service: RunnerService;

  beforeEach(() => {
    restoreEnv = useTestAwsEnv();
    ec2 = new Ec2Mock();
    log = recordingLog();
    // Octokit's own retries off: the retry proven here is the service's.
    const probot = new Probot({ appId: 123, privateKey, logLevel: "fatal", Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
    service = new RunnerService(config, new Ec2Fleet({ region: "us-east-1", sleep: async () => {} }), log, Date.now, { host: testHost({ probot }), forges: FORGES, registrationRetryMs: 0 });
  });
  afterEach(() => {
    service.scheduler.stop();
    const result = ec2.done();
    restoreEnv();
    expect(result).toEqual({ pending: [], unexpected: [] });
  });

  it("a 5xx on the JIT config is retried, not dropped: the job gets its runner and one instance with GitHub's tags", async () => {
    const { payload } = queued();
    const repo = `/repos/${payload.repository.full_name}`;
    const gh = nock(API)
      .post("/app/installations/1/access_tokens")
      .reply(201, { token: "ghs_t", expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .get(`${repo}/actions/runs/${payload.workflow_job.run_id}`)
      .times(2)
      .reply(200, { event: "push", head_repository: { full_name: payload.repository.full_name } })
      .post(`${repo}/actions/runners/generate-jitconfig`)
      .reply(502, { message: "Server Error" })
      .post(`${repo}/actions/runners/generate-jitconfig`)
      .reply(201, { runner: { id: 17 }, encoded_jit_config: JIT });
    ec2.on("DescribeImages", describeImagesXml(AMI, "/dev/sda1")).on("RunInstances", (p) => runInstancesXml(p, "i-0gh0000000000001"));
    await service.handle(GITHUB, queued(), signal());
    await service.scheduler.idle();
    const key = `${payload.repository.full_name}#${payload.workflow_job.id}@${payload.workflow_job.run_attempt}`;
    expect(log.lines.filter((l) => l.includes("will retry"))).toEqual([`warn the forge did not register the runner now, will retry {"job":"${key}","reason":"github HTTP 502","retry":1}`]);
    expect(gh.pendingMocks()).toEqual([]);
    const run = ec2.of("RunInstances");
    expect(run).toHaveLength(1);
    // GitHub's launches keep the tags and client tokens they always had: no forge tag, no runner id.
    const params = Object.fromEntries(run[0]!.entries());
    expect(Object.values(params)).not.toContain("mlreview:forge");
    expect(Object.values(params)).not.toContain("mlreview:runner-id");
    expect(params.ClientToken).toMatch(new RegExp(`^mlr-${payload.workflow_job.id}-${payload.workflow_job.run_attempt}-[0-9a-f]{16}$`));
  });

  it("a runner task that is not a workflow_job subset is one warning line, and asks nobody anything", async () => {
    await service.handle(GITHUB, { installation: 1, payload: { action: "queued", workflow_job: { id: "1" } } }, signal());
    await service.handle(GITHUB, null, signal());
    await service.scheduler.idle();
    expect(log.lines.filter((l) => l.startsWith("warn not a workflow_job runner task: ignored"))).toHaveLength(2);
    expect(ec2.calls).toEqual([]);
    expect(service.size()).toMatchObject({ jobs: 0, lookups: 0, scheduler: { entries: 0 } });
  });
});
