// GPU runners: (1) a signed workflow_job webhook → RunInstances sent, median latency; (2) a burst of 500
// queued jobs over 5 profiles (plus duplicate deliveries) → every job exactly one instance, within the
// limits; wall time and EC2 calls. GitHub and EC2 are HTTP servers on loopback; EC2 is idempotent per
// ClientToken, as AWS is.
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";

const root = mkdtempSync(join(tmpdir(), "mlreview-bench-runners-"));
const PROFILES = 5;
const PER_PROFILE = 20;
const GLOBAL = 60;
const listen = (server) => new Promise((r) => server.listen(0, "127.0.0.1", () => r(`http://127.0.0.1:${server.address().port}`)));
const body = (req) =>
  new Promise((r) => {
    let b = "";
    req.on("data", (d) => (b += d));
    req.on("end", () => r(b));
  });

// --- EC2 on loopback -------------------------------------------------------------------------------
const ec2 = { calls: {}, byToken: new Map(), live: new Map(), onRun: () => {}, maxByProfile: {}, maxGlobal: 0, launchesPerJob: new Map() };
const ec2Server = createServer(async (req, res) => {
  const p = new URLSearchParams(await body(req));
  const action = p.get("Action");
  ec2.calls[action] = (ec2.calls[action] ?? 0) + 1;
  const xml = (inner) => res.writeHead(200, { "content-type": "text/xml" }).end(`<?xml version="1.0"?><${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>${inner}</${action}Response>`);
  if (action === "DescribeImages") return xml(`<imagesSet><item><imageId>${p.get("ImageId.1")}</imageId><rootDeviceType>ebs</rootDeviceType><rootDeviceName>/dev/sda1</rootDeviceName></item></imagesSet>`);
  if (action === "DescribeInstances") return xml(`<reservationSet/>`);
  if (action === "TerminateInstances") {
    const ids = [...p.entries()].filter(([k]) => k.startsWith("InstanceId.")).map(([, v]) => v);
    for (const id of ids) ec2.live.delete(id);
    return xml(`<instancesSet>${ids.map((id) => `<item><instanceId>${id}</instanceId><currentState><code>32</code><name>shutting-down</name></currentState></item>`).join("")}</instancesSet>`);
  }
  if (action === "RunInstances") {
    const token = p.get("ClientToken");
    const tags = Object.fromEntries([...p.keys()].filter((k) => /^TagSpecification\.1\.Tag\.\d+\.Key$/.test(k)).map((k) => [p.get(k), p.get(k.replace(/Key$/, "Value"))]));
    let id = ec2.byToken.get(token);
    if (!id) {
      id = `i-${(ec2.byToken.size + 1).toString(16).padStart(17, "0")}`;
      ec2.byToken.set(token, id);
      ec2.live.set(id, tags["mlreview:profile"]);
      ec2.launchesPerJob.set(tags["mlreview:job"], (ec2.launchesPerJob.get(tags["mlreview:job"]) ?? 0) + 1);
      const counts = {};
      for (const prof of ec2.live.values()) counts[prof] = (counts[prof] ?? 0) + 1;
      for (const [prof, n] of Object.entries(counts)) ec2.maxByProfile[prof] = Math.max(ec2.maxByProfile[prof] ?? 0, n);
      ec2.maxGlobal = Math.max(ec2.maxGlobal, ec2.live.size);
    }
    ec2.onRun(tags, id);
    return xml(
      `<reservationId>r-1</reservationId><ownerId>1</ownerId><instancesSet><item><instanceId>${id}</instanceId><instanceType>${p.get("InstanceType")}</instanceType><subnetId>${p.get("SubnetId")}</subnetId><instanceState><code>0</code><name>pending</name></instanceState><launchTime>2026-01-01T00:00:00.000Z</launchTime></item></instancesSet>`,
    );
  }
  res.writeHead(400).end();
});

// --- GitHub on loopback ----------------------------------------------------------------------------
const gh = { calls: 0, runners: new Set() };
const ghServer = createServer(async (req, res) => {
  const b = await body(req);
  gh.calls++;
  const json = (status, obj) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(obj));
  if (req.url.includes("/access_tokens")) return json(201, { token: "ghs_bench", expires_at: new Date(Date.now() + 3.6e6).toISOString() });
  if (req.url.includes("/actions/runs/")) return json(200, { event: "push", head_repository: { full_name: "acme/model" } });
  if (req.url.endsWith("/generate-jitconfig")) {
    const { name } = JSON.parse(b);
    if (gh.runners.has(name)) return json(409, { message: "Already exists" });
    gh.runners.add(name);
    return json(201, { runner: { id: gh.runners.size }, encoded_jit_config: Buffer.from(`{"jit":"${name}"}`).toString("base64") });
  }
  if (req.method === "DELETE") return res.writeHead(204).end();
  json(404, {});
});

const ec2Url = await listen(ec2Server);
const ghUrl = await listen(ghServer);
Object.assign(process.env, { AWS_ENDPOINT_URL_EC2: ec2Url, AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench", AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: "/nonexistent", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent" });
const { createApp } = await import(new URL("../dist/app/index.js", import.meta.url).href);

const file = join(root, "runners.yml");
writeFileSync(
  file,
  [
    "region: us-east-1",
    `max_instances: ${GLOBAL}`,
    "allow: [acme/*]",
    "profiles:",
    ...Array.from({ length: PROFILES }, (_, i) => `  p${i}: {instance_types: [g5.xlarge, g4dn.xlarge], image: ami-0123456789abcdef0, market: spot-then-on-demand, subnets: [subnet-a, subnet-b], max_instances: ${PER_PROFILE}}`),
  ].join("\n") + "\n",
);
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const mlreview = createApp({ appId: 1, publicUrl: undefined, dataDir: join(root, "data"), imageKey: "k", runnersFile: file }, { runners: { facts: { github: { status: async () => undefined, runnerBusy: async () => undefined } } } });
const probot = new Probot({ appId: 1, privateKey, secret: "s", baseUrl: ghUrl, logLevel: "error", Octokit: ProbotOctokit.defaults((o) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
const middleware = await createNodeMiddleware(mlreview.app, { probot });
const botUrl = await listen(createServer((req, res) => void middleware(req, res, () => res.writeHead(404).end())));
await mlreview.idle();

let delivery = 0;
async function deliver(action, id, profile, runner = null) {
  const payload = JSON.stringify({ action, installation: { id: 1 }, repository: { full_name: "acme/model" }, workflow_job: { id, run_id: id, run_attempt: 1, labels: ["self-hosted", `mlreview-${profile}`], runner_name: runner } });
  await fetch(`${botUrl}/api/github/webhooks`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": "workflow_job", "x-github-delivery": `d${++delivery}`, "x-hub-signature-256": await sign("s", payload) },
    body: payload,
  });
}

// (1) Latency: one job at a time, each completed once launched.
const latencies = [];
for (let i = 0; i < 60; i++) {
  const id = 1_000_000 + i;
  const launched = new Promise((r) => (ec2.onRun = (tags) => tags["mlreview:job"] === String(id) && r(performance.now())));
  const t0 = performance.now();
  await deliver("queued", id, "p0");
  const t1 = await launched;
  if (i >= 10) latencies.push(t1 - t0); // the first ones warm the installation token and the AMI cache
  await mlreview.idle();
  await deliver("completed", id, "p0", `mlreview-p0-${id}-1`);
  await mlreview.idle();
}
latencies.sort((a, b) => a - b);

// (2) Burst: 500 jobs over 5 profiles, 10% delivered twice; each job "runs" 500 ms once its instance exists, so the limits fill and jobs wait.
for (const k of Object.keys(ec2.calls)) ec2.calls[k] = 0;
ec2.maxByProfile = {};
ec2.maxGlobal = 0;
ec2.launchesPerJob.clear();
const JOBS = 500;
let finished = 0;
const allDone = new Promise((resolve) => {
  ec2.onRun = (tags) => {
    setTimeout(async () => {
      await deliver("completed", Number(tags["mlreview:job"]), tags["mlreview:profile"], tags["mlreview:runner"]);
      if (++finished === JOBS) resolve();
    }, 500);
  };
});
const t0 = performance.now();
await Promise.all(
  Array.from({ length: JOBS }, async (_, i) => {
    await deliver("queued", 2_000_000 + i, `p${i % PROFILES}`);
    if (i % 10 === 0) await deliver("queued", 2_000_000 + i, `p${i % PROFILES}`);
  }),
);
await allDone;
await mlreview.idle();
const wall = performance.now() - t0;
mlreview.runners()?.stop();

const launchedJobs = [...ec2.launchesPerJob.values()];
console.log(`\nrunners: signed workflow_job webhook → RunInstances sent (loopback GitHub and EC2), ${latencies.length} jobs after warm-up:`);
console.table([{ median_ms: +latencies[Math.floor(latencies.length / 2)].toFixed(1), p90_ms: +latencies[Math.floor(latencies.length * 0.9)].toFixed(1), max_ms: +latencies.at(-1).toFixed(1) }]);
console.log(`target median < 100 ms: ${latencies[Math.floor(latencies.length / 2)] < 100 ? "OK" : "MISSED"}`);
console.log(`\nburst: ${JOBS} queued jobs over ${PROFILES} profiles (+${JOBS / 10} duplicate deliveries), limits ${PER_PROFILE} per profile / ${GLOBAL} in all:`);
console.table([
  {
    wall_ms: Math.round(wall),
    jobs_launched: launchedJobs.length,
    launched_twice: launchedJobs.filter((n) => n > 1).length,
    max_per_profile: Math.max(...Object.values(ec2.maxByProfile)),
    max_global: ec2.maxGlobal,
    RunInstances: ec2.calls.RunInstances ?? 0,
    TerminateInstances: ec2.calls.TerminateInstances ?? 0,
    DescribeInstances: ec2.calls.DescribeInstances ?? 0,
    DescribeImages: ec2.calls.DescribeImages ?? 0,
  },
]);
const ok = launchedJobs.length === JOBS && launchedJobs.every((n) => n === 1) && Math.max(...Object.values(ec2.maxByProfile)) <= PER_PROFILE && ec2.maxGlobal <= GLOBAL;
console.log(`every job exactly one instance within the limits: ${ok ? "OK" : "FAILED"}`);
ec2Server.close();
ghServer.close();
rmSync(root, { recursive: true, force: true });
process.exit(ok ? 0 : 1);
