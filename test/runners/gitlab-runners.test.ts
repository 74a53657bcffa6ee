import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import nock from "nock";
import { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { wireRunners, type RunnersWiring } from "../../src/app/runners.js";
import { parseRunnersConfig } from "../../src/runners/config.js";
import { MAX_ATTEMPTS } from "../../src/forges/gitlab/client.js";
import { Ec2Fleet } from "../../src/runners/ec2/fleet.js";
import { RunnerService, type RunnerLog } from "../../src/runners/service.js";
import { tempDir } from "../helpers/git-repo.js";
import { Ec2Mock, describeImagesXml, describeInstancesXml, ec2Error, runInstancesXml, terminateXml, useTestAwsEnv, launchEssentials } from "./ec2-mock.js";
import { FORGES, GITLAB, signal, testHost } from "./host.js";
import { testPrivateKey } from "../helpers/keys.js";

/**
 * Job Hook payloads: GitLab's documented example (doc/user/project/integrations/webhook_events.md,
 * "Job events", gitlabhq/gitlabhq), with build_status set to pending / success, `runner` null while
 * pending (no runner has the job yet) and, on success, the runner the bot created; source_pipeline
 * (downstream pipelines only) dropped. Project 380 gitlab-org/gitlab-test, job 1977, as documented.
 */
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/gitlab/${name}`, import.meta.url), "utf8")) as Record<string, unknown>;
const pendingHook = () => fixture("job-hook-pending.json");
const successHook = () => fixture("job-hook-success.json");

const ORIGIN = "https://gitlab.example.com";
/** GitLab under a relative URL root: every API call must keep the /gitlab prefix. */
const GITLAB_URL = `${ORIGIN}/gitlab`;
const API = "/gitlab/api/v4";
const PAT = "glpat-mlreview-test-do-not-log";
const RUNNER_TOKEN = "glrt-xi1NoiaAMosxBUy9xi3G";
const AMI = "ami-0123456789abcdef0";
const RUNNER_NAME = "mlreview-gpu-gl-1977";

const RUNNERS_YML = `
region: us-east-1
max_instances: 8
allow: [gitlab-org/*]
profiles:
  gpu:
    instance_types: [g5.xlarge, g4dn.xlarge]
    image: ${AMI}
    market: on-demand
    subnets: [subnet-a]
    security_groups: [sg-1]
    disk_gb: 200
    max_runtime_minutes: 360
    idle_minutes: 15
`;
const config = parseRunnersConfig(RUNNERS_YML);
/** A Job Hook task as the worker hands it over. */
const onJob = (service: RunnerService, payload: unknown) => service.handle(GITLAB, payload, signal());
/** GET /projects/380: the project's own path, which the allow list is matched against (issue 10 M13). */
const PROJECT = { id: 380, path_with_namespace: "gitlab-org/gitlab-test" };

/** GET /projects/:id/jobs/:job_id, shaped like the jobs API's documented answer. */
function jobApi(o: { id?: number; status?: string; tags?: string[]; ref?: string } = {}) {
  const ref = o.ref ?? "gitlab-script-trigger";
  return {
    id: o.id ?? 1977,
    status: o.status ?? "pending",
    stage: "test",
    name: "test",
    ref,
    tag: false,
    coverage: null,
    allow_failure: false,
    created_at: "2021-02-23T02:41:37.886Z",
    started_at: null,
    finished_at: null,
    duration: null,
    queued_duration: 1095.588715,
    user: { id: 3, name: "User", username: "user", state: "active" },
    commit: { id: "2293ada6b400935a1378653304eaf6221e0fdb8f", short_id: "2293ada6", title: "test" },
    pipeline: { id: 2366, project_id: 380, ref, sha: "2293ada6b400935a1378653304eaf6221e0fdb8f", status: "pending" },
    web_url: "https://gitlab.example.com/gitlab/gitlab-org/gitlab-test/-/jobs/1977",
    project: { ci_job_token_scope_enabled: false },
    artifacts: [],
    runner: null,
    runner_manager: null,
    tag_list: o.tags ?? ["mlreview-gpu"],
  };
}

/** The GitLab API as nock sees it, with the token checked on every call and every request body kept. */
function gitlab() {
  const bodies: unknown[] = [];
  const scope = nock(ORIGIN, { reqheaders: { "private-token": PAT } });
  return { scope, bodies, keep: (b: unknown) => (bodies.push(b), true) };
}

function recordingLog(): RunnerLog & { lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (obj: Record<string, unknown>, msg: string) => void lines.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  return { lines, info: rec("info"), warn: rec("warn"), error: rec("error") };
}

function tagsOf(params: URLSearchParams, spec = 1): Record<string, string> {
  const p = Object.fromEntries(params.entries());
  return Object.fromEntries(
    Object.keys(p)
      .filter((k) => new RegExp(`^TagSpecification\\.${spec}\\.Tag\\.\\d+\\.Key$`).test(k))
      .map((k) => [p[k], p[k.replace(/Key$/, "Value")]]),
  );
}

describe("GitLab runners from Job Hooks", () => {
  let ec2: Ec2Mock;
  let restoreEnv: () => void;
  let log: ReturnType<typeof recordingLog>;
  let service: RunnerService;

  beforeEach(() => {
    restoreEnv = useTestAwsEnv();
    ec2 = new Ec2Mock();
    log = recordingLog();
    service = new RunnerService(config, new Ec2Fleet({ region: "us-east-1", sleep: async () => {} }), log, Date.now, { host: testHost({ gitlab: { url: GITLAB_URL, token: PAT } }), forges: FORGES, registrationRetryMs: 0 });
  });

  afterEach(() => {
    service.scheduler.stop();
    const result = ec2.done();
    restoreEnv();
    expect(result).toEqual({ pending: [], unexpected: [] });
    // No credential of the bot's in any log line; the runner token only ever goes to the instance.
    expect(log.lines.join("\n")).not.toContain(PAT);
    expect(log.lines.join("\n")).not.toContain(RUNNER_TOKEN);
  });

  it("pending with tags [mlreview-gpu] → job tags from the API → POST /user/runners → one instance; success → terminate and DELETE /runners/:id", async () => {
    const gl = gitlab();
    gl.scope
      .get(`${API}/projects/380`)
      .reply(200, PROJECT)
      .get(`${API}/projects/380/jobs/1977`)
      .reply(200, jobApi())
      .post(`${API}/user/runners`, gl.keep)
      .reply(201, { id: 9307, token: RUNNER_TOKEN, token_expires_at: null })
      .delete(`${API}/runners/9307`)
      .reply(204);
    ec2
      .on("DescribeImages", describeImagesXml(AMI, "/dev/sda1"))
      .on("RunInstances", (p) => runInstancesXml(p, "i-0gl0000000000001"))
      .on("TerminateInstances", terminateXml);

    await onJob(service, pendingHook());
    await service.scheduler.idle();

    expect(gl.bodies).toEqual([{ runner_type: "project_type", project_id: 380, description: RUNNER_NAME, tag_list: ["mlreview-gpu"], run_untagged: false, locked: true, maximum_timeout: 360 * 60 }]);
    const run = ec2.of("RunInstances");
    expect(run).toHaveLength(1);
    const params = Object.fromEntries(run[0]!.entries());
    expect(params).toMatchObject(launchEssentials(AMI));
    expect(params["InstanceMarketOptions.MarketType"]).toBeUndefined();
    // Its own token space: a GitHub job 1977 must never share an idempotency token with this one.
    expect(params.ClientToken).toMatch(/^mlr-gl-1977-1-[0-9a-f]{16}$/);
    const tags = tagsOf(run[0]!);
    expect(tags).toMatchObject({
      Name: RUNNER_NAME,
      "mlreview:managed": "true",
      "mlreview:job": "1977",
      "mlreview:runner": RUNNER_NAME,
      "mlreview:repo": "gitlab-org/gitlab-test",
      "mlreview:profile": "gpu",
      "mlreview:forge": "gitlab",
      "mlreview:runner-id": "9307",
    });
    expect(new Date(tags["mlreview:expires"]!).getTime()).toBeGreaterThan(Date.now() + 359 * 60_000);
    expect(tagsOf(run[0]!, 2)).toEqual(tags);
    const userData = Buffer.from(params.UserData!, "base64").toString("utf8");
    expect(userData.split(RUNNER_TOKEN).length - 1).toBe(1);
    expect(userData).toMatch(/^GITLAB_URL='https:\/\/gitlab\.example\.com\/gitlab'$/m);
    expect(userData).not.toContain(PAT);
    // No AWS key, no personal access token, no registration token (GR1348941…) or --registration-token.
    expect(userData).not.toMatch(/AKIA|aws_secret|glpat-|GR1348941|--registration-token/i);

    await onJob(service, successHook());
    await service.scheduler.idle();
    expect(ec2.of("TerminateInstances").map((t) => t.get("InstanceId.1"))).toEqual(["i-0gl0000000000001"]);
    expect(gl.scope.pendingMocks()).toEqual([]);
    expect(service.scheduler.count()).toBe(0);
  });

  it("duplicate pending hooks (GitLab's retries, concurrent or late) give one runner and one instance", async () => {
    const gl = gitlab();
    gl.scope.get(`${API}/projects/380`).reply(200, PROJECT).get(`${API}/projects/380/jobs/1977`).reply(200, jobApi()).post(`${API}/user/runners`, gl.keep).reply(201, { id: 9307, token: RUNNER_TOKEN, token_expires_at: null });
    ec2.on("DescribeImages", describeImagesXml(AMI)).on("RunInstances", (p) => runInstancesXml(p, "i-0gl0000000000002"));

    await Promise.all(Array.from({ length: 10 }, () => onJob(service, pendingHook())));
    await service.scheduler.idle();
    for (let i = 0; i < 5; i++) await onJob(service, pendingHook());
    await service.scheduler.idle();

    expect(ec2.of("RunInstances")).toHaveLength(1);
    expect(gl.bodies).toHaveLength(1);
    expect(gl.scope.pendingMocks()).toEqual([]);
  });

  it("a project outside the allow list makes no call to GitLab or AWS", async () => {
    const hook = pendingHook();
    (hook.project as { path_with_namespace: string }).path_with_namespace = "someone/else";
    await onJob(service, hook);
    await service.scheduler.idle();
    expect(ec2.calls).toEqual([]);
    expect(log.lines.some((l) => l.includes("someone/else is not in the runners file's allow list"))).toBe(true);
  });

  it("jobs without a mlreview tag, with an unknown profile, or no longer pending get nothing", async () => {
    const gl = gitlab();
    gl.scope
      .get(`${API}/projects/380`)
      .reply(200, PROJECT)
      .get(`${API}/projects/380/jobs/1977`)
      .reply(200, jobApi({ tags: ["docker", "linux"] }))
      .get(`${API}/projects/380`)
      .reply(200, PROJECT)
      .get(`${API}/projects/380/jobs/1978`)
      .reply(200, jobApi({ id: 1978, tags: ["mlreview-tpu"] }))
      .get(`${API}/projects/380`)
      .reply(200, PROJECT)
      .get(`${API}/projects/380/jobs/1979`)
      .reply(200, jobApi({ id: 1979, status: "canceled" }));
    for (const id of [1977, 1978, 1979]) await onJob(service, { ...pendingHook(), build_id: id });
    await service.scheduler.idle();
    expect(ec2.calls).toEqual([]);
    expect(gl.scope.pendingMocks()).toEqual([]);
    expect(log.lines.some((l) => l.includes("unknown runner profile") && l.includes('"profile":"tpu"'))).toBe(true);
  });

  it("a merge request pipeline from a fork, run in the parent project, gets no runner (fork_pull_requests: false)", async () => {
    const gl = gitlab();
    gl.scope
      .get(`${API}/projects/380`)
      .reply(200, PROJECT)
      .get(`${API}/projects/380/jobs/1977`)
      .reply(200, jobApi({ ref: "refs/merge-requests/5/head" }))
      .get(`${API}/projects/380/merge_requests/5`)
      .reply(200, { id: 92, iid: 5, project_id: 380, source_project_id: 4411, target_project_id: 380, source_branch: "feature", target_branch: "master" });
    await onJob(service, pendingHook());
    await service.scheduler.idle();
    expect(ec2.calls).toEqual([]);
    expect(gl.scope.pendingMocks()).toEqual([]);
    expect(log.lines.some((l) => l.includes("forks may not start runners"))).toBe(true);
  });

  it("a merge request pipeline from the project itself gets its runner", async () => {
    const gl = gitlab();
    gl.scope
      .get(`${API}/projects/380`)
      .reply(200, PROJECT)
      .get(`${API}/projects/380/jobs/1977`)
      .reply(200, jobApi({ ref: "refs/merge-requests/6/merge" }))
      .get(`${API}/projects/380/merge_requests/6`)
      .reply(200, { id: 93, iid: 6, project_id: 380, source_project_id: 380, target_project_id: 380 })
      .post(`${API}/user/runners`, gl.keep)
      .reply(201, { id: 9308, token: RUNNER_TOKEN, token_expires_at: null });
    ec2.on("DescribeImages", describeImagesXml(AMI)).on("RunInstances", (p) => runInstancesXml(p, "i-0gl0000000000003"));
    await onJob(service, pendingHook());
    await service.scheduler.idle();
    expect(ec2.of("RunInstances")).toHaveLength(1);
    expect(gl.scope.pendingMocks()).toEqual([]);
  });

  it("a launch EC2 refuses deletes the runner it created, and GitLab errors never carry the token", async () => {
    const gl = gitlab();
    gl.scope
      .get(`${API}/projects/380`)
      .reply(200, PROJECT)
      .get(`${API}/projects/380/jobs/1977`)
      .reply(200, jobApi())
      .post(`${API}/user/runners`)
      .reply(201, { id: 9309, token: RUNNER_TOKEN, token_expires_at: null })
      .delete(`${API}/runners/9309`)
      .reply(204)
      .get(`${API}/projects/380`)
      .reply(200, PROJECT)
      .get(`${API}/projects/380/jobs/1980`)
      .reply(200, jobApi({ id: 1980 }))
      .post(`${API}/user/runners`)
      .reply(403, { message: "403 Forbidden" });
    ec2.on("DescribeImages", describeImagesXml(AMI)).on("RunInstances", ec2Error("InvalidParameterValue", "Value (gp3) for parameter volumeType is invalid"));
    await onJob(service, pendingHook());
    await service.scheduler.idle();
    await onJob(service, { ...pendingHook(), build_id: 1980 });
    await service.scheduler.idle();
    expect(gl.scope.pendingMocks()).toEqual([]);
    const failures = log.lines.filter((l) => l.startsWith("error runner launch failed"));
    expect(failures).toHaveLength(2);
    expect(failures[1]).toContain("GitLab POST /user/runners: HTTP 403");
  });

  it("a 502 on POST /user/runners, past the client's own retries, is retried, not dropped: the job still gets its runner and one instance", async () => {
    const gl = gitlab();
    gl.scope
      .get(`${API}/projects/380`)
      .reply(200, PROJECT)
      .get(`${API}/projects/380/jobs/1977`)
      .reply(200, jobApi())
      .post(`${API}/user/runners`)
      .times(MAX_ATTEMPTS)
      .reply(502, "<html>502 Bad Gateway</html>")
      .post(`${API}/user/runners`, gl.keep)
      .reply(201, { id: 9310, token: RUNNER_TOKEN, token_expires_at: null });
    ec2.on("DescribeImages", describeImagesXml(AMI)).on("RunInstances", (p) => runInstancesXml(p, "i-0gl0000000000005"));
    await onJob(service, pendingHook());
    await service.scheduler.idle();
    expect(log.lines.filter((l) => l.startsWith("warn the forge did not register the runner now, will retry"))).toEqual([
      `warn the forge did not register the runner now, will retry {"job":"gitlab:gitlab-org/gitlab-test#1977","reason":"gitlab HTTP 502","retry":1}`,
    ]);
    expect(gl.bodies).toHaveLength(1);
    expect(ec2.of("RunInstances")).toHaveLength(1);
    expect(tagsOf(ec2.of("RunInstances")[0]!)["mlreview:runner-id"]).toBe("9310");
  });

  it("GitLab down for every retry: the job is reported as not launched, and nothing is kept for it", async () => {
    const gl = gitlab();
    gl.scope.get(`${API}/projects/380`).reply(200, PROJECT).get(`${API}/projects/380/jobs/1977`).reply(200, jobApi());
    // The first try and the scheduler's 8 retries, each the client's MAX_ATTEMPTS.
    gl.scope
      .post(`${API}/user/runners`)
      .times(9 * MAX_ATTEMPTS)
      .reply(503, { message: "503 Service Unavailable" });
    await onJob(service, pendingHook());
    await service.scheduler.idle();
    expect(ec2.calls).toEqual([]);
    expect(log.lines.filter((l) => l.includes("will retry"))).toHaveLength(8);
    expect(log.lines.filter((l) => l.startsWith("warn runner not launched"))).toEqual([`warn runner not launched {"job":"gitlab:gitlab-org/gitlab-test#1977","reason":"retries exhausted"}`]);
    expect(service.size()).toMatchObject({ jobs: 0, lookups: 0, registrations: 0, scheduler: { entries: 0, lines: 0, delayed: 0, launching: 0 } });
  });

  it("a bot restarted mid-job ends the instance found by its runner tag and deletes the runner id it was tagged with", async () => {
    const tags = {
      "mlreview:managed": "true",
      "mlreview:job": "1977",
      "mlreview:runner": RUNNER_NAME,
      "mlreview:repo": "gitlab-org/gitlab-test",
      "mlreview:profile": "gpu",
      "mlreview:expires": new Date(Date.now() + 3600_000).toISOString(),
      "mlreview:forge": "gitlab",
      "mlreview:runner-id": "9307",
    };
    ec2.on("DescribeInstances", describeInstancesXml([{ id: "i-0gl0000000000004", tags }])).on("TerminateInstances", terminateXml);
    const gl = gitlab();
    gl.scope.delete(`${API}/runners/9307`).reply(204);
    await onJob(service, successHook());
    await service.scheduler.idle();
    expect(ec2.of("DescribeInstances").map((p) => p.get("Filter.3.Value.1"))).toEqual([RUNNER_NAME]);
    expect(ec2.of("TerminateInstances").map((t) => t.get("InstanceId.1"))).toEqual(["i-0gl0000000000004"]);
    expect(gl.scope.pendingMocks()).toEqual([]);
  });
});

describe("the reaper and GitLab instances", () => {
  let ec2: Ec2Mock;
  let restoreEnv: () => void;
  beforeEach(() => {
    restoreEnv = useTestAwsEnv();
    ec2 = new Ec2Mock();
  });
  afterEach(() => {
    const result = ec2.done();
    restoreEnv();
    expect(result).toEqual({ pending: [], unexpected: [] });
  });

  const gitlabTags = (job: number, runnerId: number, expires: Date) => ({
    "mlreview:managed": "true",
    "mlreview:job": String(job),
    "mlreview:runner": `mlreview-gpu-gl-${job}`,
    "mlreview:repo": "gitlab-org/gitlab-test",
    "mlreview:profile": "gpu",
    "mlreview:expires": expires.toISOString(),
    "mlreview:forge": "gitlab",
    "mlreview:runner-id": String(runnerId),
  });

  it("ends expired and finished GitLab instances, deletes their runners, asks GitLab (not GitHub) about them, and spares a running one", async () => {
    const hour = 3600_000;
    const expired = { id: "i-0expired", tags: gitlabTags(1977, 77, new Date(Date.now() - 60_000)) };
    const finished = { id: "i-0finished", tags: gitlabTags(1978, 78, new Date(Date.now() + hour)) };
    const running = { id: "i-0running", tags: gitlabTags(1979, 79, new Date(Date.now() + hour)) };
    ec2.on("DescribeInstances", describeInstancesXml([expired, finished, running])).on("TerminateInstances", terminateXml);
    const gl = nock(ORIGIN, { reqheaders: { "private-token": PAT } })
      .get(`${API}/projects/gitlab-org%2Fgitlab-test/jobs/1978`)
      .reply(200, jobApi({ id: 1978, status: "success" }))
      .get(`${API}/projects/gitlab-org%2Fgitlab-test/jobs/1979`)
      .reply(200, jobApi({ id: 1979, status: "running" }))
      .delete(`${API}/runners/77`)
      .reply(204)
      .delete(`${API}/runners/78`)
      .reply(404, { message: "404 Not found" }); // already gone: fine
    const asked: string[] = [];
    const githubFacts = { status: async (repo: string) => (asked.push(repo), undefined), runnerBusy: async () => undefined };
    const log = recordingLog();
    const service = new RunnerService(config, new Ec2Fleet({ region: "us-east-1", sleep: async () => {} }), log, Date.now, { host: testHost({ gitlab: { url: GITLAB_URL, token: PAT } }), forges: FORGES, facts: { github: githubFacts } });

    const result = await service.start();
    service.scheduler.stop();

    expect(result.decisions.map((d) => [d.instance.instanceId, d.reason])).toEqual([
      ["i-0expired", "expired"],
      ["i-0finished", "job completed"],
    ]);
    const terminated = ec2.of("TerminateInstances").map((t) => [...t.entries()].filter(([k]) => k.startsWith("InstanceId.")).map(([, v]) => v));
    expect(terminated).toEqual([["i-0expired", "i-0finished"]]);
    expect(asked).toEqual([]);
    expect(gl.pendingMocks()).toEqual([]);
    expect(service.scheduler.count()).toBe(1); // the running one still holds its capacity
    expect(log.lines.join("\n")).not.toContain(PAT);
  });

  it("an instance tagged for a forge this server has no module for is ended at expiry only, and nobody is asked about it", async () => {
    const tags = (job: number, expires: Date) => ({ ...gitlabTags(job, 5, expires), "mlreview:forge": "bitbucket" });
    ec2
      .on(
        "DescribeInstances",
        describeInstancesXml([
          { id: "i-0bbexpired", tags: tags(1, new Date(Date.now() - 60_000)) },
          { id: "i-0bblive", tags: tags(2, new Date(Date.now() + 3600_000)) },
        ]),
      )
      .on("TerminateInstances", terminateXml);
    const log = recordingLog();
    const service = new RunnerService(config, new Ec2Fleet({ region: "us-east-1", sleep: async () => {} }), log, Date.now, { host: testHost({ gitlab: { url: GITLAB_URL, token: PAT } }), forges: FORGES });
    const result = await service.start();
    service.scheduler.stop();
    expect(result.decisions.map((d) => [d.instance.instanceId, d.reason])).toEqual([["i-0bbexpired", "expired"]]);
    expect(service.scheduler.count()).toBe(1);
  });

  it("without GitLab credentials a GitLab instance is still ended at expiry", async () => {
    ec2.on("DescribeInstances", describeInstancesXml([{ id: "i-0expired", tags: gitlabTags(1977, 77, new Date(Date.now() - 60_000)) }])).on("TerminateInstances", terminateXml);
    const log = recordingLog();
    const service = new RunnerService(config, new Ec2Fleet({ region: "us-east-1", sleep: async () => {} }), log, Date.now, { host: testHost(), forges: FORGES });
    const result = await service.reapNow();
    expect(result.terminated).toEqual(["i-0expired"]);
    expect(log.lines.some((l) => l.includes("GitLab runner not deleted"))).toBe(true);
  });
});

describe("wireRunners(…).service.handle: what the worker calls for a Job Hook task", () => {
  it("answers before the launch, launches in the background, and idle() waits for it; start-up lists the fleet first", async () => {
    const restoreEnv = useTestAwsEnv();
    const ec2 = new Ec2Mock()
      .on("DescribeInstances", describeInstancesXml([]))
      .on("DescribeImages", describeImagesXml(AMI))
      .on("RunInstances", (p) => runInstancesXml(p, "i-0gl0000000000009"))
      .on("TerminateInstances", terminateXml);
    const gl = nock(ORIGIN, { reqheaders: { "private-token": PAT } })
      .get(`${API}/projects/380`)
      .reply(200, PROJECT)
      .get(`${API}/projects/380/jobs/1977`)
      .reply(200, jobApi())
      .post(`${API}/user/runners`)
      .reply(201, { id: 9307, token: RUNNER_TOKEN, token_expires_at: null })
      .delete(`${API}/runners/9307`)
      .reply(204);
    const file = join(tempDir(), "runners.yml");
    writeFileSync(file, RUNNERS_YML);
    const privateKey = testPrivateKey("pkcs8");
    const probot = new Probot({ appId: 123, privateKey, logLevel: "fatal" });
    // As the app does it: wired while Probot loads the app function.
    let wiring!: RunnersWiring;
    await probot.load(
      (app) => {
        wiring = wireRunners(testHost({ gitlab: { url: GITLAB_URL, token: PAT }, probot: app as Probot }), file, { forges: FORGES, facts: { github: { status: async () => undefined, runnerBusy: async () => undefined } } });
      },
      { cwd: process.cwd(), addHandler: () => {} },
    );
    try {
      await wiring.service.handle(GITLAB, pendingHook(), signal());
      // The task is done once the job is queued: its runner's registration and RunInstances come after.
      expect(ec2.of("RunInstances")).toHaveLength(0);
      await wiring.idle();
      expect(ec2.of("RunInstances")).toHaveLength(1);
      await wiring.service.handle(GITLAB, successHook(), signal());
      await wiring.idle();
      expect(ec2.calls.map((c) => c.action)).toEqual(["DescribeInstances", "DescribeImages", "RunInstances", "TerminateInstances"]);
      expect(gl.pendingMocks()).toEqual([]);
    } finally {
      wiring.stop();
      const result = ec2.done();
      restoreEnv();
      expect(result).toEqual({ pending: [], unexpected: [] });
    }
  });
});
