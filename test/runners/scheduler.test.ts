import { describe, expect, it } from "vitest";
import { parseRunnersConfig } from "../../src/runners/config.js";
import { MAX_REMEMBERED_ENDED, RunnerScheduler, type LaunchOutcome, type QueuedJob } from "../../src/runners/scheduler.js";

const config = parseRunnersConfig(`
region: us-east-1
max_instances: 3
allow: [acme/*]
profiles:
  gpu: {instance_types: [g5.xlarge], image: ami-0123456789abcdef0, subnets: [subnet-a], max_instances: 2}
  cpu: {instance_types: [c7i.large], image: ami-0123456789abcdef0, subnets: [subnet-a]}
`);

const OWNER = "acme/models";

function harness(outcome: (job: QueuedJob, n: number) => LaunchOutcome = (j) => ({ instanceId: `i-${j.key}` })) {
  const launched: string[] = [];
  const terminated: string[] = [];
  let now = 1_000;
  let n = 0;
  const s = new RunnerScheduler(config, {
    launch: async (job) => {
      launched.push(job.key);
      await new Promise((r) => setTimeout(r, 1));
      return outcome(job, n++);
    },
    terminate: async (id) => void terminated.push(id),
    log: () => {},
    now: () => now,
  });
  const job = (key: string, profile = "gpu", queuedAt = 0): QueuedJob => ({ key, owner: OWNER, profile, runnerName: `r-${key}`, queuedAt });
  return { s, launched, terminated, job, advance: (ms: number) => (now += ms) };
}

describe("runner scheduling", () => {
  it("keeps to per-profile and global limits; waiting jobs start oldest first as instances end", async () => {
    const { s, launched, terminated, job } = harness();
    s.queued(job("g1", "gpu", 1));
    s.queued(job("g2", "gpu", 2));
    s.queued(job("g3", "gpu", 3));
    s.queued(job("c1", "cpu", 4));
    s.queued(job("c2", "cpu", 5));
    await s.idle();
    expect(launched).toEqual(["g1", "g2", "c1"]); // gpu capped at 2, all at 3
    expect(s.waiting()).toBe(2);
    await s.completed("g1", "r-g1", OWNER);
    await s.idle();
    expect(terminated).toEqual(["i-g1"]);
    expect(launched).toEqual(["g1", "g2", "c1", "g3"]); // g3 (queued before c2) takes the freed slot
    await s.completed("c1", "r-c1", OWNER);
    await s.idle();
    expect(launched.at(-1)).toBe("c2");
  });

  it("the same queued event ten times launches one instance", async () => {
    const { s, launched, job } = harness();
    for (let i = 0; i < 10; i++) s.queued(job("j1"));
    await s.idle();
    expect(launched).toEqual(["j1"]);
  });

  it("completed before in_progress (or while launching) still ends the instance; completed before queued never launches", async () => {
    const { s, launched, terminated, job } = harness();
    s.queued(job("j1"));
    await s.completed("j1", undefined, OWNER); // cancelled while its instance is being started
    await s.idle();
    expect(terminated).toEqual(["i-j1"]);
    await s.completed("j2", undefined, OWNER);
    s.queued(job("j2"));
    await s.idle();
    expect(launched).toEqual(["j1"]);
  });

  it("a job that ran on another job's runner ends that runner's instance, not a busy one", async () => {
    const { s, terminated, job } = harness();
    s.queued(job("a"));
    s.queued(job("b"));
    await s.idle();
    await s.completed("a", "r-b", OWNER); // a was picked up by b's runner
    await s.idle();
    expect(terminated).toEqual(["i-b"]);
  });

  it("no capacity now: retried later, then launched", async () => {
    const { s, launched, job, advance } = harness((j, n) => (n === 0 ? { retryAfterMs: 30_000, reason: "InsufficientInstanceCapacity" } : { instanceId: `i-${j.key}` }));
    s.queued(job("j1"));
    await s.idle();
    expect(launched).toEqual(["j1"]);
    expect(s.waiting()).toBe(1);
    advance(30_001);
    s.queued(job("other", "cpu")); // any event pumps the queue; the timer does too
    await s.idle();
    expect(launched.filter((k) => k === "j1")).toHaveLength(2);
    expect(s.count("gpu")).toBe(1);
    s.stop();
  });

  it("20,000 jobs queued in one burst and then completed leave nothing behind but the bounded set of ended keys", async () => {
    const launched: string[] = [];
    const terminated: string[] = [];
    const s = new RunnerScheduler(config, {
      launch: async (job) => (launched.push(job.key), { instanceId: `i-${job.key}` }),
      terminate: async (id) => void terminated.push(id),
      log: () => {},
    });
    const N = 20_000;
    const key = (i: number) => `${OWNER}#${i}@1`;
    for (let i = 0; i < N; i++) s.queued({ key: key(i), owner: OWNER, profile: i % 2 ? "gpu" : "cpu", runnerName: `mlreview-${i}`, queuedAt: i });
    await s.idle();
    expect(s.count()).toBe(3); // the limits hold over a long line
    expect(s.waiting()).toBe(N - 3);
    // Half end on their own runner (running or not yet launched), half as cancelled jobs that never ran.
    for (let i = 0; i < N; i++) await s.completed(key(i), i % 2 ? `mlreview-${i}` : undefined, OWNER);
    await s.idle();
    s.stop();
    expect(s.size()).toEqual({ entries: 0, lines: 0, delayed: 0, launching: 0, runners: 0, instances: 0, live: 0, ended: MAX_REMEMBERED_ENDED });
    expect(s.waiting()).toBe(0);
    expect(terminated).toHaveLength(launched.length);
    expect(new Set(launched).size).toBe(launched.length); // no job launched twice
  });

  it("a job whose launch is retried is forgotten when it ends meanwhile", async () => {
    const { s, job } = harness(() => ({ retryAfterMs: 30_000, reason: "InsufficientInstanceCapacity" }));
    s.queued(job("j1"));
    await s.idle();
    expect(s.size().delayed).toBe(1);
    await s.completed("j1", undefined, OWNER);
    await s.idle();
    s.stop();
    expect(s.size()).toMatchObject({ entries: 0, lines: 0, delayed: 0, launching: 0, runners: 0 });
  });
});
