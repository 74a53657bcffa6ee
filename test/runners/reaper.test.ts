import { describe, expect, it } from "vitest";
import { parseRunnersConfig } from "../../src/runners/config.js";
import type { ManagedInstance } from "../../src/runners/ec2/instances.js";
import { decide, type JobFacts } from "../../src/runners/reaper.js";

const config = parseRunnersConfig(`
region: us-east-1
allow: [acme/*]
profiles:
  gpu: {instance_types: [g5.xlarge], image: ami-0123456789abcdef0, subnets: [subnet-a], idle_minutes: 10}
`);
const now = new Date("2026-11-22T12:00:00Z");
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

function instance(id: string, o: Partial<ManagedInstance> = {}): ManagedInstance {
  return { instanceId: id, state: "running", launchTime: minutesAgo(30), job: Number(id.replace(/\D/g, "")) || 1, runner: `mlreview-gpu-${id}-1`, repo: "acme/model", profile: "gpu", expires: new Date(now.getTime() + 3600_000), ...o };
}

function facts(status: Record<number, string>, busy: Record<string, boolean> = {}): JobFacts & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    status: async (_repo, job) => (asked.push(`status ${job}`), status[job]),
    runnerBusy: async (_repo, runner) => (asked.push(`busy ${runner}`), busy[runner]),
  };
}

describe("the reaper decides from tags and GitHub's answers", () => {
  it("ends what is expired, untagged, finished, gone or idle — and nothing busy or young", async () => {
    const list = [
      instance("i-1", { expires: minutesAgo(1) }),
      instance("i-2", { job: undefined }),
      instance("i-3"),
      instance("i-4"),
      instance("i-5"), // queued for 30 min, runner idle → never picked up its job
      instance("i-6"), // queued, but its runner is busy with another job (GitHub does not bind runners to jobs)
      instance("i-7", { launchTime: minutesAgo(5) }), // queued, but within the idle window
      instance("i-8"), // in progress
      instance("i-9", { state: "terminated" }),
    ];
    const f = facts({ 3: "completed", 4: "gone", 5: "queued", 6: "queued", 7: "queued", 8: "in_progress" }, { "mlreview-gpu-i-5-1": false, "mlreview-gpu-i-6-1": true });
    const decisions = await decide(list, config, f, now);
    expect(decisions.map((d) => [d.instance.instanceId, d.reason])).toEqual([
      ["i-1", "expired"],
      ["i-2", "untagged"],
      ["i-3", "job completed"],
      ["i-4", "job gone"],
      ["i-5", "idle"],
    ]);
    expect(f.asked).not.toContain("busy mlreview-gpu-i-7-1"); // young: GitHub is not even asked
  });

  it("without GitHub (the operator's CLI), only expiry and missing tags count", async () => {
    const decisions = await decide([instance("i-1", { expires: minutesAgo(1) }), instance("i-3")], config, undefined, now);
    expect(decisions.map((d) => d.reason)).toEqual(["expired"]);
  });

  it("a GitHub error for one instance does not stop the others", async () => {
    const f: JobFacts = { status: async (_r, job) => (job === 3 ? Promise.reject(new Error("502")) : "completed"), runnerBusy: async () => false };
    const decisions = await decide([instance("i-3"), instance("i-4")], config, f, now);
    expect(decisions.map((d) => d.instance.instanceId)).toEqual(["i-4"]);
  });
});
