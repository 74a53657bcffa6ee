// Issue 10's runner findings (H8, M3, M4, M13, L4, L5, L8) as corpus cases: the bot as it runs (the
// Probot app, the queue's tasks, the reaper's pass), EC2 and the forges as strict HTTP fakes, and the
// rendered bootstrap run as a script.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import nock from "nock";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app/index.js";
import { MemoryQueue } from "../../src/queue/memory.js";
import type { Capacity } from "../../src/runners/capacity.js";
import { RedisCapacity } from "../../src/runners/capacity-redis.js";
import { parseRunnersConfig } from "../../src/runners/config.js";
import { githubRunners, type WorkflowJobPayload } from "../../src/forges/github/runners.js";
import { renderUserData } from "../../src/forges/github/user-data.js";
import { renderGitLabUserData } from "../../src/forges/gitlab/user-data.js";
import { Ec2Fleet } from "../../src/runners/ec2/fleet.js";
import { RunnerScheduler, MAX_REMEMBERED_ENDED } from "../../src/runners/scheduler.js";
import { RunnerService, type RunnerLog } from "../../src/runners/service.js";
import { example } from "../forges/github/helpers.js";
import { tempDir } from "../helpers/git-repo.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";
import { bootstrapSandbox, type BootstrapSandbox } from "../runners/bootstrap-sandbox.js";
import { Ec2Mock, Ec2World, describeImagesXml, describeInstancesXml, runInstancesXml, useTestAwsEnv } from "../runners/ec2-mock.js";
import { FORGES, GITLAB, signal, testHost } from "../runners/host.js";
import { title } from "./cases.js";
import { testPrivateKey } from "../helpers/keys.js";

const API = "https://api.github.com";
const AMI = "ami-0123456789abcdef0";
const JIT = Buffer.from('{"runner":"jit-config-for-test"}').toString("base64");
const privateKey = testPrivateKey("pkcs8");
const REPO = example<WorkflowJobPayload>("workflow_job", "queued").repository.full_name;

function runnersYaml(maxInstances: number): string {
  return `region: us-east-1
max_instances: ${maxInstances}
allow: [${REPO.split("/")[0]}/*]
profiles:
  gpu:
    instance_types: [g5.xlarge]
    image: ${AMI}
    market: on-demand
    subnets: [subnet-a]
    security_groups: [sg-1]
    disk_gb: 200
    max_runtime_minutes: 360
`;
}

function runnersFile(maxInstances = 8): string {
  const file = join(tempDir(), "runners.yml");
  writeFileSync(file, runnersYaml(maxInstances));
  return file;
}

type JobEvent = WorkflowJobPayload & { installation: { id: number } };

function jobEvent(action: "queued" | "completed", o: { id?: number; labels?: string[]; runner?: string | null; repo?: string } = {}): JobEvent {
  const p = example<JobEvent>("workflow_job", "queued");
  p.action = action;
  p.installation ??= { id: 1 };
  if (o.id !== undefined) p.workflow_job.id = o.id;
  p.workflow_job.labels = o.labels ?? ["self-hosted", "mlreview-gpu"];
  p.workflow_job.runner_name = o.runner ?? null;
  if (o.repo) p.repository.full_name = o.repo;
  return p;
}

/** GitHub is not asked about jobs by the reaper here. */
const NO_FACTS = { status: async () => undefined, runnerBusy: async () => undefined };

const runnerOf = (p: JobEvent) => `mlreview-gpu-${p.workflow_job.id}-${p.workflow_job.run_attempt}`;

/** One bot as `npm start` runs it, its deliveries handled in process unless REDIS_URL is given. */
async function bot(file: string, o: { redisUrl?: string; capacity?: Capacity } = {}) {
  const logs: string[] = [];
  const log = pino({ level: "info" }, new Writable({ write: (c, _e, cb) => (logs.push(c.toString()), cb()) }));
  const mlreview = createApp(
    { appId: 123, publicUrl: undefined, dataDir: tempDir(), imageKey: "k", runnersFile: file, ...(o.redisUrl ? { redisUrl: o.redisUrl } : {}) },
    // Each replica takes the deliveries it receives (no shared queue), so the split between them is the test's.
    { queue: new MemoryQueue(), runners: { facts: { github: NO_FACTS }, ...(o.capacity ? { capacity: o.capacity } : {}) } },
  );
  const probot = new Probot({ appId: 123, privateKey, log, Octokit: ProbotOctokit.defaults((x: object) => ({ ...x, retry: { enabled: false }, throttle: { enabled: false } })) });
  await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
  let n = 0;
  return {
    logs,
    mlreview,
    deliver: (payload: JobEvent) => probot.receive({ id: `d${n++}-${Math.random()}`, name: "workflow_job", payload: payload as never }),
    stop: () => mlreview.runners()?.stop(),
  };
}

/** GitHub for the runners: installation tokens, the run (from this repository unless told), a JIT config per runner. */
function github(o: { run?: Record<string, unknown> } = {}) {
  const jits: string[] = [];
  let id = 100;
  const scope = nock(API)
    .persist()
    .post(/^\/app\/installations\/\d+\/access_tokens$/)
    .reply(201, { token: "ghs_t", expires_at: new Date(Date.now() + 3600_000).toISOString() })
    .get(/^\/repos\/[^/]+\/[^/]+\/actions\/runs\/\d+$/)
    .reply(200, o.run ?? { event: "push", head_repository: { full_name: REPO } })
    .post(/^\/repos\/[^/]+\/[^/]+\/actions\/runners\/generate-jitconfig$/)
    .reply(201, (_uri, body) => {
      jits.push((body as { name: string }).name);
      return { runner: { id: ++id }, encoded_jit_config: JIT };
    });
  return { scope, jits };
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("runner corpus (issue 10)", () => {
  let restoreEnv: () => void;
  beforeEach(() => (restoreEnv = useTestAwsEnv()));
  afterEach(() => {
    restoreEnv();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  describe("concurrency: max_instances holds across replicas and frees with the instances", () => {
    let redis: RedisServer | undefined;
    afterEach(async () => {
      await redis?.stop();
      redis = undefined;
    });

    it(
      title("U01"),
      async () => {
        redis = await startRedis();
        const world = new Ec2World(AMI);
        const gh = github();
        const file = runnersFile(4);
        const a = await bot(file, { redisUrl: redis.url });
        const b = await bot(file, { redisUrl: redis.url });
        const replicas = [a, b];
        try {
          const jobs = Array.from({ length: 8 }, (_, i) => jobEvent("queued", { id: 7000 + i }));
          // Half the deliveries to each replica: without a shared count each would start 4.
          for (const [i, p] of jobs.entries()) {
            await replicas[i % 2]!.deliver(p);
            for (const r of replicas) await r.mlreview.idle();
          }
          // A fifth instance coming late (a slot notification after idle()) shows in maxLive, asserted after every step below.
          expect(world.runs).toHaveLength(4);
          expect(world.live()).toBe(4);

          // Each job completes on the replica that did not queue it, one at a time: the replica holding
          // the oldest waiting job must notice the free slot, and only the oldest job may take it.
          const order: number[] = [];
          for (let done = 0; done < 8; done++) {
            const i = world.instances.find((x) => x.state !== "terminated")!;
            const n = Number(i.tags["mlreview:job"]) - 7000;
            const runs = world.runs.length;
            await replicas[(n + 1) % 2]!.deliver(jobEvent("completed", { id: 7000 + n, runner: i.tags["mlreview:runner"]! }));
            if (runs < 8) await until(`a launch after ${done + 1} completions`, () => world.runs.length === runs + 1);
            for (const r of replicas) await r.mlreview.idle();
            order.push(...world.runs.slice(order.length + 4).map((p) => Number(tagValue(p, "mlreview:job"))));
            expect(world.maxLive).toBe(4);
          }
          await until("every instance ended", () => world.live() === 0);

          expect(world.maxLive).toBe(4);
          // Every job exactly one instance; those that waited started oldest first.
          const launchedJobs = world.runs.map((p) => Number(tagValue(p, "mlreview:job")));
          expect(launchedJobs).toEqual(jobs.map((j) => j.workflow_job.id));
          expect(order).toEqual([7004, 7005, 7006, 7007]);
          expect([...gh.jits].sort()).toEqual(jobs.map(runnerOf).sort());
        } finally {
          for (const r of replicas) r.stop();
        }
        expect(world.done()).toEqual({ unexpected: [] });
      },
      60_000,
    );

    it(
      title("U13"),
      async () => {
        redis = await startRedis();
        const world = new Ec2World(AMI);
        github();
        const file = runnersFile(4);
        const config = parseRunnersConfig(runnersYaml(4));
        // A short grace (how long a just-launched instance may be missing from DescribeInstances).
        const capacity = () => new RedisCapacity(redis!.url, config, { leases: { graceMs: 200 } });
        const a = await bot(file, { capacity: capacity() });
        const b = await bot(file, { capacity: capacity() });
        try {
          for (let i = 0; i < 4; i++) await a.deliver(jobEvent("queued", { id: 7100 + i }));
          await a.mlreview.idle();
          expect(world.live()).toBe(4);
          a.stop(); // replica A dies; its four runners go on
          for (let i = 4; i < 6; i++) await b.deliver(jobEvent("queued", { id: 7100 + i }));
          await b.mlreview.idle();
          expect(world.runs).toHaveLength(4); // A's slots hold while its instances live
          // Two of A's runners power themselves off; nobody hears of it but EC2.
          for (const i of world.instances.slice(0, 2)) i.state = "terminated";
          await new Promise((r) => setTimeout(r, 250));
          await b.mlreview.runners()!.service.reapNow();
          await until("B's two launches", () => world.runs.length === 6);
          await b.mlreview.idle();
          expect(world.live()).toBe(4);
          expect(world.maxLive).toBe(4);
        } finally {
          a.stop();
          b.stop();
        }
        expect(world.done()).toEqual({ unexpected: [] });
      },
      60_000,
    );

    it(title("U02"), async () => {
      const world = new Ec2World(AMI);
      github();
      let now = Date.parse("2026-01-02T03:00:00Z");
      // The installation's token is minted from the app's key, as in the bot.
      const probot = new Probot({ appId: 123, privateKey, logLevel: "fatal", Octokit: ProbotOctokit.defaults((x: object) => ({ ...x, retry: { enabled: false }, throttle: { enabled: false } })) });
      const forge = { id: "github", runners: githubRunners() };
      // No facts: GitHub is not asked about jobs by the reaper here.
      const service = new RunnerService(parseRunnersConfig(runnersYaml(1)), new Ec2Fleet({ region: "us-east-1", sleep: async () => {} }), silentLog(), () => now, {
        host: testHost({ probot }),
        forges: [forge],
        facts: { github: undefined },
      });
      try {
        await service.start();
        await service.handle(forge, { installation: 1, payload: jobEvent("queued", { id: 8001 }) }, signal());
        await service.handle(forge, { installation: 1, payload: jobEvent("queued", { id: 8002 }) }, signal());
        await service.scheduler.idle();
        expect(world.runs).toHaveLength(1);
        // The first runner powers itself off (max runtime, idle, the job's end) and its `completed`
        // delivery is lost: only EC2 knows. The reaper's next pass must give its slot to the next job.
        world.instances[0]!.state = "terminated";
        now += 3 * 60_000;
        await service.reapNow();
        await service.scheduler.idle();
        expect(world.runs.map((p) => tagValue(p, "mlreview:job"))).toEqual(["8001", "8002"]);
        expect(service.scheduler.remembered().active).toBe(1);
      } finally {
        service.scheduler.stop();
      }
      expect(world.done()).toEqual({ unexpected: [] });
    });
  });

  describe("other tenants and forged payloads: who may start or end a runner", () => {
    let stop: (() => void) | undefined;
    afterEach(() => stop?.());

    it(title("U03"), async () => {
      const a = jobEvent("queued", { id: 9001 });
      const runner = runnerOf(a);
      const tags = { "mlreview:managed": "true", "mlreview:job": "9001", "mlreview:runner": runner, "mlreview:repo": REPO, "mlreview:profile": "gpu", "mlreview:expires": new Date(Date.now() + 3600_000).toISOString() };
      const ec2 = new Ec2Mock()
        .on("DescribeInstances", describeInstancesXml([])) // start-up
        .on("DescribeImages", describeImagesXml(AMI, "/dev/sda1"))
        .on("RunInstances", (p) => runInstancesXml(p, "i-0aaa"))
        // B's event: the tags say the runner is A's, so nothing is terminated.
        .on("DescribeInstances", describeInstancesXml([{ id: "i-0aaa", tags }]));
      nock(API)
        .post(`/app/installations/${a.installation.id}/access_tokens`)
        .reply(201, { token: "ghs_t", expires_at: new Date(Date.now() + 3600_000).toISOString() })
        .get(`/repos/${REPO}/actions/runs/${a.workflow_job.run_id}`)
        .reply(200, { event: "push", head_repository: { full_name: REPO } })
        .post(`/repos/${REPO}/actions/runners/generate-jitconfig`)
        .reply(201, { runner: { id: 1 }, encoded_jit_config: JIT });
      const b = await bot(runnersFile());
      stop = b.stop;
      await b.deliver(a);
      await b.mlreview.idle();
      await b.deliver(jobEvent("completed", { id: 42, repo: `${REPO.split("/")[0]}/other-repo`, runner }));
      await b.mlreview.idle();
      expect(ec2.of("RunInstances")).toHaveLength(1);
      expect(ec2.done()).toEqual({ pending: [], unexpected: [] }); // no TerminateInstances
    });

    for (const { id, run } of [
      { id: "U04", run: { event: "pull_request_review", head_repository: { full_name: "attacker/fork" } } },
      { id: "U05", run: { event: "pull_request_review_comment", head_repository: { full_name: "attacker/fork" } } },
      { id: "U06", run: { event: "pull_request", head_repository: null } },
      { id: "U07", run: { event: "workflow_run", head_repository: { full_name: "attacker/fork" } } },
    ])
      it(title(id), async () => {
        const ec2 = new Ec2Mock().on("DescribeInstances", describeInstancesXml([]));
        const p = jobEvent("queued", { id: 9100 });
        const repo = `/repos/${REPO}`;
        // Strict: the token and the run, nothing else (no JIT config).
        const gh = nock(API)
          .post(`/app/installations/${p.installation.id}/access_tokens`)
          .reply(201, { token: "ghs_t", expires_at: new Date(Date.now() + 3600_000).toISOString() })
          .get(`${repo}/actions/runs/${p.workflow_job.run_id}`)
          .reply(200, run);
        const b = await bot(runnersFile());
        stop = b.stop;
        await b.deliver(p);
        await b.mlreview.idle();
        expect(gh.pendingMocks()).toEqual([]);
        expect(ec2.calls.map((c) => c.action)).toEqual(["DescribeInstances"]);
        expect(b.logs.join("")).toContain("forks may not start runners");
        expect(ec2.done()).toEqual({ pending: [], unexpected: [] });
      });

    it(title("U08"), async () => {
      const ec2 = new Ec2Mock().on("DescribeInstances", describeInstancesXml([]));
      const b = await bot(runnersFile());
      stop = b.stop;
      for (const [i, name] of ["constructor", "__proto__", "toString"].entries()) await b.deliver(jobEvent("queued", { id: 9200 + i, labels: ["self-hosted", `mlreview-${name}`] }));
      await b.mlreview.idle();
      const unknown = b.logs.filter((l) => l.includes("unknown runner profile")).map((l) => (JSON.parse(l) as { profile: string }).profile);
      expect(unknown).toEqual(["constructor", "__proto__", "toString"]);
      expect(ec2.calls.map((c) => c.action)).toEqual(["DescribeInstances"]);
      expect(ec2.done()).toEqual({ pending: [], unexpected: [] }); // and no GitHub call at all
    });

    it(title("U12"), async () => {
      const ORIGIN = "https://gitlab.example.com";
      const ec2 = new Ec2Mock();
      const hook = JSON.parse(readFileSync(new URL("../fixtures/gitlab/job-hook-pending.json", import.meta.url), "utf8")) as { project_id: number; project: { path_with_namespace: string } };
      // The hook claims an allowed path; its project_id is another group's project.
      const config = parseRunnersConfig(runnersYaml(8).replace(/^allow: .*$/m, "allow: [gitlab-org/*]"));
      expect(hook.project.path_with_namespace).toBe("gitlab-org/gitlab-test");
      const gl = nock(ORIGIN).get(`/api/v4/projects/${hook.project_id}`).reply(200, { id: hook.project_id, path_with_namespace: "secret-group/payroll" });
      const log = silentLog();
      const service = new RunnerService(config, new Ec2Fleet({ region: "us-east-1" }), log, Date.now, { host: testHost({ gitlab: { url: ORIGIN, token: "glpat-test" } }), forges: FORGES });
      await service.handle(GITLAB, hook, signal());
      await service.scheduler.idle();
      service.scheduler.stop();
      expect(gl.pendingMocks()).toEqual([]);
      expect(log.lines.join("\n")).toContain("not its project_id's");
      expect(ec2.done()).toEqual({ pending: [], unexpected: [] }); // no jobs API, no POST /user/runners, no EC2
    });
  });

  describe("memory: the scheduler keeps what is live, and a bounded memory of what ended", () => {
    it(
      title("U09"),
      async () => {
        const config = parseRunnersConfig(runnersYaml(8));
        let launched = 0;
        const s = new RunnerScheduler(config, { launch: async (j) => (launched++, { instanceId: `i-${j.key}` }), terminate: async () => {}, log: () => {} });
        const job = (n: number) => ({ key: `${REPO}#${n}@1`, owner: REPO, profile: "gpu", runnerName: `mlreview-gpu-${n}-1`, queuedAt: n });
        for (let n = 1; n <= 20_000; n++) {
          s.queued(job(n));
          if (n % 100 === 0) await s.idle();
          await s.completed(job(n).key, undefined, REPO);
        }
        await s.idle();
        expect(s.remembered()).toEqual({ active: 0, ended: MAX_REMEMBERED_ENDED });
        const before = launched;
        s.queued(job(20_000)); // GitHub redelivers a `queued` of a job that has completed
        await s.idle();
        expect(launched).toBe(before);
        s.stop();
      },
      60_000,
    );
  });

  describe("secrets: the runner's credentials on the instance", () => {
    let box: BootstrapSandbox | undefined;
    afterEach(() => box?.cleanup());

    const check = async (script: string, forge: "github" | "gitlab", user: string, secret: string) => {
      box = bootstrapSandbox(script, { forge, user });
      execFileSync("bash", ["-n", join(box.dir, "user-data.sh")]);
      expect(await box.run()).toBe(0);
      const argv = box.argv();
      // The job's user (uid 1000 here) cannot reach the metadata service, which serves the user data.
      const block = argv.indexOf("iptables -w -I OUTPUT -d 169.254.169.254/32 -m owner --uid-owner 1000 -j REJECT");
      expect(block).toBeGreaterThanOrEqual(0);
      expect(block).toBeLessThan(argv.indexOf("runuser -u"));
      // In no process's argument list, the runner's included; the runner got it in its environment.
      expect(argv).not.toContain(secret);
      expect(box.runnerArgs()).not.toContain(secret);
      expect(box.runnerEnv()).toContain(secret);
      box.cleanup();
      // No block, no runner.
      box = bootstrapSandbox(script, { forge, user, iptablesFails: true });
      expect(await box.run()).toBe(1);
      expect(box.runnerArgs()).toBe("");
      expect(box.argv()).toContain("shutdown -h now mlreview: bootstrap ended (status 1)");
    };

    it(title("U10"), async () => {
      await check(renderUserData({ jitConfig: JIT, maxRuntimeMinutes: 360, idleMinutes: 15 }), "github", "runner", JIT);
    });

    it(title("U11"), async () => {
      const token = "glrt-xi1NoiaAMosxBUy9xi3G";
      await check(renderGitLabUserData({ gitlabUrl: "https://git.example.com", runnerToken: token, maxRuntimeMinutes: 360, idleMinutes: 15 }), "gitlab", "gitlab-runner", token);
    });
  });
});

function tagValue(params: URLSearchParams, key: string): string | undefined {
  for (const [k, v] of params) {
    const m = /^TagSpecification\.1\.Tag\.(\d+)\.Key$/.exec(k);
    if (m && v === key) return params.get(`TagSpecification.1.Tag.${m[1]}.Value`) ?? undefined;
  }
  return undefined;
}

function silentLog(): RunnerLog & { lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (obj: Record<string, unknown>, msg: string) => void lines.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  return { lines, info: rec("info"), warn: rec("warn"), error: rec("error") };
}
