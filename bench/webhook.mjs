// The bot end to end: a signed pull_request webhook to our server → the report comment request,
// for the reference project (40 metrics, 20 params, 3 plots of 10,000 points, 1 image). GitHub's API
// is a local HTTP server on 127.0.0.1; the repository is a local bare repo fetched blob-less.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import sharp from "sharp";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";

const { createApp } = await import(new URL("../dist/app/index.js", import.meta.url).href);
const RUNS = 5;
const env = { ...process.env, GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@b", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@b" };

async function referenceRepo(root) {
  const work = join(root, "work");
  mkdirSync(join(work, "logs"), { recursive: true });
  const git = (...a) => execFileSync("git", a, { cwd: work, env, stdio: "pipe" }).toString().trim();
  git("init", "-q", "-b", "main");
  const write = async (shift) => {
    const metrics = {};
    for (let i = 0; i < 40; i++) metrics[`group${i % 4}`] = { ...(metrics[`group${i % 4}`] ?? {}), [`metric_${i}`]: Math.cos(i + shift) };
    writeFileSync(join(work, "metrics.json"), JSON.stringify(metrics));
    writeFileSync(join(work, "params.yaml"), Array.from({ length: 20 }, (_, i) => `p${i}: ${i + shift}`).join("\n") + "\n");
    for (const name of ["loss", "accuracy", "lr"]) {
      const rows = ["step,value"];
      for (let s = 0; s < 10_000; s++) rows.push(`${s},${(Math.exp(-s / 3000) + 0.05 * Math.sin(s / 50 + shift)).toFixed(5)}`);
      writeFileSync(join(work, "logs", `${name}.csv`), rows.join("\n") + "\n");
    }
    const png = await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 40 * shift, g: 100, b: 200 } } })
      .png()
      .toBuffer();
    writeFileSync(join(work, "confusion.png"), png);
    writeFileSync(
      join(work, ".mlreview.yml"),
      ["metrics: [metrics.json]", "params: [params.yaml]", "images: [confusion.png]", "plots:", ...["loss", "accuracy", "lr"].map((n) => `  - {id: ${n}, file: logs/${n}.csv, x: step, y: value}`)].join("\n") + "\n",
    );
  };
  await write(0);
  git("add", "-A");
  git("commit", "-qm", "base");
  const base = git("rev-parse", "HEAD");
  git("checkout", "-qb", "feature");
  await write(1);
  git("commit", "-qam", "head");
  const head = git("rev-parse", "HEAD");
  const bare = join(root, "remote.git");
  execFileSync("git", ["clone", "-q", "--bare", work, bare]);
  execFileSync("git", ["-C", bare, "config", "uploadpack.allowFilter", "true"]);
  execFileSync("git", ["-C", bare, "config", "uploadpack.allowAnySHA1InWant", "true"]);
  return { bare, base, head };
}

/** A stand-in for api.github.com that answers what the bot asks and records when each request came. */
function fakeGitHub(repo) {
  const calls = [];
  let onComment = () => {};
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      calls.push({ method: req.method, url: req.url, at: performance.now() });
      const json = (status, obj) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(obj));
      if (req.url.includes("/access_tokens")) return json(201, { token: "ghs_bench", expires_at: new Date(Date.now() + 3.6e6).toISOString(), permissions: {} });
      if (req.url.includes("/compare/")) return json(200, { merge_base_commit: { sha: repo.base } });
      if (req.method === "GET" && req.url.includes("/comments")) return json(200, []);
      if (req.method === "POST" && req.url.includes("/comments")) {
        onComment(body.length);
        return json(201, { id: 1 });
      }
      if (req.url.includes("/check-runs")) return json(201, { id: 1 });
      json(404, { message: "not mocked" });
    });
  });
  return { server, calls, whenComment: () => new Promise((r) => (onComment = r)) };
}

const root = mkdtempSync(join(tmpdir(), "mlreview-bench-bot-"));
try {
  const repo = await referenceRepo(root);
  const gh = fakeGitHub(repo);
  await new Promise((r) => gh.server.listen(0, "127.0.0.1", r));
  const apiUrl = `http://127.0.0.1:${gh.server.address().port}`;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const times = [];
  let apiAfterToken = 0;
  let commentChars = 0;
  for (let run = 0; run < RUNS + 1; run++) {
    // A fresh app and data directory each run: a new pull request, nothing cached from the last one.
    const mlreview = createApp({ appId: 1, publicUrl: "http://127.0.0.1:3000", dataDir: join(root, `data${run}`), imageKey: "k" });
    const probot = new Probot({ appId: 1, privateKey, secret: "s", baseUrl: apiUrl, logLevel: "warn", Octokit: ProbotOctokit.defaults((o) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
    const middleware = await createNodeMiddleware(mlreview.app, { probot });
    const bot = createServer((req, res) => void middleware(req, res));
    await new Promise((r) => bot.listen(0, "127.0.0.1", r));
    const payload = {
      action: "opened",
      number: 7,
      installation: { id: 1 },
      repository: { full_name: "acme/model", name: "model", owner: { login: "acme" }, clone_url: `file://${repo.bare}` },
      pull_request: { number: 7, head: { sha: repo.head, ref: "feature" }, base: { sha: repo.base, ref: "main" } },
    };
    const body = JSON.stringify(payload);
    gh.calls.length = 0;
    const comment = gh.whenComment();
    const t0 = performance.now();
    await fetch(`http://127.0.0.1:${bot.address().port}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": `d${run}`, "x-hub-signature-256": await sign("s", body) },
      body,
    });
    commentChars = await comment;
    const t = performance.now() - t0;
    await mlreview.idle();
    if (run > 0) times.push(t); // the first run warms the render pool, as a running bot has it
    apiAfterToken = gh.calls.filter((c) => !c.url.includes("/access_tokens")).length;
    bot.close();
  }
  const { closeRenderer } = await import(new URL("../dist/plots/index.js", import.meta.url).href);
  await closeRenderer();
  gh.server.close();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`\nbot: webhook received → comment request sent, reference project (40 metrics, 20 params, 3 plots × 10,000 points, 1 image), median of ${RUNS}:`);
  console.table([{ median_ms: Math.round(median), min_ms: Math.round(times[0]), max_ms: Math.round(times.at(-1)), api_requests_after_token: apiAfterToken, comment_chars: commentChars }]);
  console.log(`target < 2000 ms: ${median < 2000 ? "OK" : "MISSED"}; API requests after the token: ${apiAfterToken} (target ≤ 6)`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
