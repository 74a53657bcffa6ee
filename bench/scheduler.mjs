// Runner scheduler: N jobs queued at once over 3 profiles (a burst far beyond max_instances), then every
// job completed in order; each launch is an instant fake. Time per N shows the growth (linear: doubling
// N doubles the time) and the scheduler's maps are empty afterwards (but for its bounded set of ended keys).
import { parseRunnersConfig } from "../dist/runners/config.js";
import { RunnerScheduler } from "../dist/runners/scheduler.js";

const config = parseRunnersConfig(`
region: us-east-1
max_instances: 50
allow: [acme/*]
profiles:
  p0: {instance_types: [g5.xlarge], image: ami-0123456789abcdef0, subnets: [subnet-a], max_instances: 20}
  p1: {instance_types: [g5.xlarge], image: ami-0123456789abcdef0, subnets: [subnet-a], max_instances: 20}
  p2: {instance_types: [c7i.large], image: ami-0123456789abcdef0, subnets: [subnet-a]}
`);

async function run(n) {
  let launches = 0;
  const s = new RunnerScheduler(config, {
    launch: async (job) => (launches++, { instanceId: `i-${job.key}` }),
    terminate: async () => {},
    log: () => {},
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) s.queued({ key: `acme/m#${i}@1`, owner: "acme/m", profile: `p${i % 3}`, runnerName: `mlreview-p${i % 3}-${i}-1`, queuedAt: i });
  await s.idle();
  for (let i = 0; i < n; i++) await s.completed(`acme/m#${i}@1`, undefined, "acme/m");
  await s.idle();
  const ms = performance.now() - t0;
  s.stop();
  const left = Object.entries(s.size()).filter(([k, v]) => k !== "ended" && v !== 0);
  if (left.length > 0) throw new Error(`scheduler kept ${JSON.stringify(left)} after ${n} jobs`);
  return { ms, launches };
}

await run(5_000); // warm-up: the JIT compiles the hot paths first
console.log("runner scheduler: N jobs queued at once, then completed (max_instances 50)");
const rows = [];
for (const n of [5_000, 10_000, 20_000]) {
  const { ms, launches } = await run(n);
  rows.push(ms);
  console.log(`  ${String(n).padStart(6)} jobs: ${ms.toFixed(0).padStart(6)} ms (${launches} launched), ${((ms * 1000) / n).toFixed(1)} µs/job`);
}
console.log(`  20,000 / 5,000 time ratio: ${(rows[2] / rows[0]).toFixed(2)} (4 is linear)`);
