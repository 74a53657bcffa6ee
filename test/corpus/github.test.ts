// The GitHub edge against other tenants and forged neighbours (issue 10: H5, L3, M9, M10): a fork's run
// posing as the base branch's, another bot's comment carrying our marker, a report that would fill the
// image store, one installation's burst of pull requests. Strict nock: every unmatched request fails.
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import nock from "nock";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app/index.js";
import { metricsRoute } from "../../src/server/metrics.js";
import { ASSETS_BRANCH, BranchImages } from "../../src/forges/github/branch-images.js";
import { MemoryQueue } from "../../src/queue/memory.js";
import { RedisQueue } from "../../src/queue/redis.js";
import { startRedis } from "../helpers/redis.js";
import type { AppSettings } from "../../src/app/settings.js";
import { MARKER, PublishRefused } from "../../src/report/index.js";
import { example, testOctokit } from "../forges/github/helpers.js";
import { forgeChange, recordUnexpectedRequests } from "../helpers/forge.js";
import { githubOnLoopback } from "../helpers/git-http.js";
import { tempDir, type Files } from "../helpers/git-repo.js";
import { zip } from "../helpers/zip.js";
import { title } from "./cases.js";
import { testPrivateKey } from "../helpers/keys.js";

const { api: API, cloneUrl } = await githubOnLoopback();
const BLOBS = "https://pipelines.actions.githubusercontent.example";
const APP_ID = 123;
const privateKey = testPrivateKey("pkcs8");
const token = () => ({ token: "ghs_x", expires_at: new Date(Date.now() + 3600_000).toISOString() });

/** A forge-side repository: `base` files on main, `head` files on a feature branch. */
function forgeRepo(base: Files, head: Files) {
  return forgeChange({ base, head: { ...base, ...head }, message: "change" });
}

async function load(settings: Partial<AppSettings> = {}) {
  const mlreview = createApp({ appId: APP_ID, publicUrl: undefined, dataDir: tempDir(), imageKey: "k", ...settings });
  const probot = new Probot({ baseUrl: API, appId: APP_ID, privateKey, logLevel: "fatal", Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
  await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
  return { probot, mlreview };
}

interface Repository {
  id: number;
  full_name: string;
  clone_url: string;
}

describe("H5: the base side's artifact comes from this repository's push run of the merge-base", () => {
  const unexpected = recordUnexpectedRequests();
  const cfg = "metrics: [results/metrics.json]\nartifacts: {name: mlreview, workflow: train.yml}\nthresholds: [{metric: acc, max_drop: 0.01}]\n";

  function setup() {
    const r = forgeRepo({ ".mlreview.yml": cfg, "train.py": "print(1)\n" }, { "train.py": "print(2)\n" });
    const p = example<{ installation?: { id: number }; repository: Repository; workflow_run: Record<string, unknown> }>("workflow_run", "completed");
    p.installation ??= { id: 1 };
    p.repository.clone_url = cloneUrl(r.bare);
    Object.assign(p.workflow_run, { id: 900, workflow_id: 77, path: ".github/workflows/train.yml", conclusion: "success", pull_requests: [{ number: 5, head: { sha: r.head, ref: "feature" }, base: { sha: r.base, ref: "main" } }] });
    const repo = `/repos/${p.repository.full_name}`;
    // A fork's pull request from its own branch called main: GitHub lists its run "on main", successful.
    const forkRun = { id: 801, event: "pull_request", head_sha: r.base, head_branch: "main", conclusion: "success", head_repository: { id: 666, full_name: "mallory/fork" } };
    const pushRun = { id: 800, event: "push", head_sha: r.base, head_branch: "main", conclusion: "success", head_repository: { id: p.repository.id, full_name: p.repository.full_name } };
    const asked: Record<string, string>[] = [];
    const posted: { comment?: string; check?: { conclusion: string } } = {};
    const headZip = zip({ "results/metrics.json": '{"acc": 0.8}' });
    const api = (runs: object[]) =>
      nock(API)
        .post(`/app/installations/1/access_tokens`)
        .reply(201, token())
        .get(`${repo}/compare/${r.base}...${r.head}`)
        .query(true)
        .reply(200, { merge_base_commit: { sha: r.base } })
        .get(`${repo}/actions/runs/900/artifacts`)
        .query({ name: "mlreview", per_page: 1 })
        .reply(200, { total_count: 1, artifacts: [{ id: 11, name: "mlreview", size_in_bytes: 200, expired: false }] })
        .get(`${repo}/actions/artifacts/11/zip`)
        .reply(302, "", { location: `${BLOBS}/head.zip` })
        .get(`${repo}/actions/workflows/77/runs`)
        .query((q) => (asked.push(q as Record<string, string>), true))
        .reply(200, { total_count: runs.length, workflow_runs: runs })
        .get(`${repo}/issues/5/comments`)
        .query(true)
        .reply(200, [])
        .post(`${repo}/issues/5/comments`, (b: { body: string }) => ((posted.comment = b.body), true))
        .reply(201, { id: 1 })
        .post(`${repo}/check-runs`, (b: { conclusion: string }) => ((posted.check = b), true))
        .reply(201, { id: 1 });
    return { r, p, repo, forkRun, pushRun, asked, posted, api, headZip };
  }

  it(title("Q01"), async () => {
    const { r, p, repo, forkRun, pushRun, asked, posted, api, headZip } = setup();
    const scope = api([forkRun, pushRun])
      .get(`${repo}/actions/runs/800/artifacts`)
      .query({ name: "mlreview", per_page: 1 })
      .reply(200, { total_count: 1, artifacts: [{ id: 12, name: "mlreview", size_in_bytes: 200, expired: false }] })
      .get(`${repo}/actions/artifacts/12/zip`)
      .reply(302, "", { location: `${BLOBS}/base.zip` });
    // The fork's artifact (acc 0.7) would make the head's drop from 0.9 to 0.8 look like a gain.
    const blobs = nock(BLOBS)
      .get("/head.zip")
      .reply(200, await headZip, { "content-type": "application/zip" })
      .get("/base.zip")
      .reply(200, await zip({ "results/metrics.json": '{"acc": 0.9}' }), { "content-type": "application/zip" });
    const { probot, mlreview } = await load();
    await probot.receive({ id: "q01", name: "workflow_run", payload: p as never });
    await mlreview.idle();
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(blobs.pendingMocks()).toEqual([]);
    expect(asked).toEqual([{ event: "push", status: "success", branch: "main", head_sha: r.base, per_page: "20" }]);
    expect(posted.comment).toContain("| results/metrics.json | acc | 0.9 | 0.8 | ▼ -0.1 |");
    expect(posted.check?.conclusion).toBe("failure");
  });

  it(title("Q02"), async () => {
    const { p, forkRun, posted, api, headZip } = setup();
    const scope = api([forkRun]);
    const blobs = nock(BLOBS)
      .get("/head.zip")
      .reply(200, await headZip, { "content-type": "application/zip" });
    const { probot, mlreview } = await load();
    await probot.receive({ id: "q02", name: "workflow_run", payload: p as never });
    await mlreview.idle();
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(blobs.pendingMocks()).toEqual([]);
    expect(posted.comment).toMatch(/- main: artifact 'mlreview': no base artifact: no successful push run of train\.yml at the merge-base [0-9a-f]{12} in this repository/);
    expect(posted.comment).not.toContain("0.7");
  });
});

describe("L3: only this app's own comment is the report", () => {
  const unexpected = recordUnexpectedRequests();

  it(title("Q03"), async () => {
    const r = forgeRepo({ "metrics.json": '{"acc": 0.8}' }, { "metrics.json": '{"acc": 0.85}' });
    const p = example<{ installation?: { id: number }; repository: Repository; pull_request: Record<string, any> }>("pull_request", "opened");
    p.installation ??= { id: 1 };
    p.repository.clone_url = cloneUrl(r.bare);
    Object.assign(p.pull_request.head, { sha: r.head, ref: "feature" });
    Object.assign(p.pull_request.base, { sha: r.base, ref: "main" });
    const repo = `/repos/${p.repository.full_name}`;
    const n = p.pull_request.number as number;
    const others = [
      // Another app's bot quoting our report: GitHub names its app, and it is not ours.
      { id: 31, body: `${MARKER}\nquoted by another bot`, user: { login: "other-ci[bot]", type: "Bot" }, performed_via_github_app: { id: 999, slug: "other-ci" } },
      // A bot comment without the app field: only our own bot user's login would make it ours.
      { id: 32, body: `${MARKER}\nanother bot's text`, user: { login: "helper[bot]", type: "Bot" }, performed_via_github_app: null },
    ];
    let created = "";
    const scope = nock(API)
      .post(`/app/installations/1/access_tokens`)
      .reply(201, token())
      .get(`${repo}/compare/${r.base}...${r.head}`)
      .query(true)
      .reply(200, { merge_base_commit: { sha: r.base } })
      .get(`${repo}/issues/${n}/comments`)
      .query({ per_page: 100 })
      .reply(200, others)
      // The app's own identity needs the app's JWT, not the installation token.
      .get("/app")
      .matchHeader("authorization", /^bearer [\w-]+\.[\w-]+\.[\w-]+$/)
      .reply(200, { id: APP_ID, slug: "mlreview" })
      .post(`${repo}/issues/${n}/comments`, (b: { body: string }) => ((created = b.body), true))
      .reply(201, { id: 40 })
      .post(`${repo}/check-runs`)
      .reply(201, { id: 1 });
    const { probot, mlreview } = await load();
    await probot.receive({ id: "q03", name: "pull_request", payload: p as never });
    await mlreview.idle();
    // No PATCH or DELETE of comment 31 or 32: either would be an unexpected request.
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(created.startsWith(MARKER)).toBe(true);
  });
});

describe("M10: a global limit on tasks at once, shared round robin between installations", () => {
  it(title("Q04"), async () => {
    const q = new MemoryQueue(undefined, { concurrency: 2 });
    const started: string[] = [];
    let running = 0;
    let most = 0;
    q.work(async (task) => {
      started.push(task.key);
      most = Math.max(most, ++running);
      // A few turns of the event loop stand for the git fetch: order matters here, not time.
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      running--;
    });
    for (let pr = 1; pr <= 60; pr++) await q.submit({ kind: "review", forge: "github", key: `big/repo#${pr}`, version: "sha", data: { installation: 1 } });
    await q.submit({ kind: "review", forge: "github", key: "small/repo#1", version: "sha", data: { installation: 2 } });
    await q.idle();
    expect(started).toHaveLength(61);
    expect(most).toBe(2);
    expect(started.indexOf("small/repo#1")).toBeLessThan(4);
  });

  it(title("Q08"), async () => {
    const redis = await startRedis();
    const q = new RedisQueue(redis.url, { prefix: "q08", concurrency: 2 });
    try {
      // All waiting before the worker starts: the order is the queue's, not the submitters'.
      for (let pr = 1; pr <= 20; pr++) await q.submit({ kind: "review", forge: "github", key: `big/repo#${pr}`, version: "sha", data: { installation: 1 } });
      await q.submit({ kind: "review", forge: "github", key: "small/repo#1", version: "sha", data: { installation: 2 } });
      const started: string[] = [];
      let running = 0;
      let most = 0;
      q.work(async (task) => {
        started.push(task.key);
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
      });
      await q.idle();
      expect(started).toHaveLength(21);
      expect(most).toBeLessThanOrEqual(2);
      expect(started.indexOf("small/repo#1")).toBeLessThan(3);
    } finally {
      await q.close();
      await redis.stop();
    }
  });
});

describe("M9: the image store keeps to its caps", () => {
  const unexpected = recordUnexpectedRequests();
  const KB = 1024;
  const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  /** A distinct PNG-signed file of about `kb` KB (the store checks types, the browser decodes). */
  const png = (kb: number) => Buffer.concat([PNG, randomBytes(kb * KB - PNG.length)]);
  const PUBLIC = "https://bot.example.com";

  /** A pull request whose head adds these images (none on the base: one published side each). */
  function imagesPullRequest(number: number, images: Record<string, Buffer>, o: { tokenCached?: boolean } = {}) {
    const names = Object.keys(images);
    const r = forgeRepo({ ".mlreview.yml": `images: [${names.join(", ")}]\n`, "metrics.json": "{}" }, images);
    const p = example<{ installation?: { id: number }; repository: Repository; pull_request: Record<string, any>; number: number }>("pull_request", "opened");
    p.installation ??= { id: 1 };
    p.repository.clone_url = cloneUrl(r.bare);
    p.number = number;
    p.pull_request.number = number;
    Object.assign(p.pull_request.head, { sha: r.head, ref: `feature-${number}` });
    Object.assign(p.pull_request.base, { sha: r.base, ref: "main" });
    const repo = `/repos/${p.repository.full_name}`;
    const posted: { comment?: string } = {};
    const api = nock(API);
    // Probot keeps an installation's token: a second report of the same installation mints none.
    if (!o.tokenCached) api.post(`/app/installations/1/access_tokens`).reply(201, token());
    const scope = api
      .get(`${repo}/compare/${r.base}...${r.head}`)
      .query(true)
      .reply(200, { merge_base_commit: { sha: r.base } })
      .get(`${repo}/issues/${number}/comments`)
      .query({ per_page: 100 })
      .reply(200, [])
      .post(`${repo}/issues/${number}/comments`, (b: { body: string }) => ((posted.comment = b.body), true))
      .reply(201, { id: 40 + number })
      .post(`${repo}/check-runs`)
      .reply(201, { id: 1 });
    return { p, scope, posted };
  }

  const stored = (dataDir: string) => {
    const dir = join(dataDir, "images");
    const files = readdirSync(dir).filter((f) => /^[0-9a-f]{64}\.png$/.test(f));
    return { files, bytes: files.reduce((n, f) => n + statSync(join(dir, f)).size, 0) };
  };
  const links = (comment: string) => [...comment.matchAll(/\(https:\/\/bot\.example\.com\/images\/([0-9a-f]{64}\.png)\)/g)].map((m) => m[1]!);

  it(title("Q05"), async () => {
    const dataDir = tempDir();
    const images = { "img/a.png": png(100), "img/b.png": png(100), "img/c.png": png(100), "img/d.png": png(1), "img/e.png": png(1), "img/f.png": png(1), "img/g.png": png(1), "img/h.png": png(1) };
    const { p, scope, posted } = imagesPullRequest(7, images);
    const { probot, mlreview } = await load({ publicUrl: PUBLIC, dataDir, imageLimits: { reportFiles: 4, reportBytes: 250 * KB } });
    await probot.receive({ id: "q05", name: "pull_request", payload: p as never });
    await mlreview.idle();
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    const comment = posted.comment!;
    // a and b fit the bytes, c does not; d and e fill the count; f, g and h are past it.
    expect(links(comment)).toHaveLength(4);
    const row = (name: string) => comment.split("\n").find((l) => l.startsWith(`| img/${name}.png |`)) ?? "";
    for (const name of ["a", "b", "d", "e"]) expect(row(name)).toMatch(/!\[feature-7\]\(https:/);
    expect(row("c")).toContain("not published: a report publishes at most 250 KB of images");
    for (const name of ["f", "g", "h"]) expect(row(name)).toContain("not published: a report publishes at most 4 images");
    const s = stored(dataDir);
    expect(s.files.sort()).toEqual(links(comment).sort());
    expect(s.bytes).toBeLessThanOrEqual(250 * KB);
  });

  it(title("Q06"), async () => {
    const dataDir = tempDir();
    // An image last used 100 days ago, from before this start: past the 30 days it is kept.
    mkdirSync(join(dataDir, "images"), { recursive: true });
    const old = join(dataDir, "images", `${"e".repeat(64)}.png`);
    writeFileSync(old, png(10));
    utimesSync(old, new Date(Date.now() - 100 * 86_400_000), new Date(Date.now() - 100 * 86_400_000));
    const first = imagesPullRequest(1, { "img/a.png": png(100), "img/b.png": png(100) });
    const second = imagesPullRequest(2, { "img/c.png": png(100), "img/d.png": png(100) }, { tokenCached: true });
    const mlreview = createApp({ appId: APP_ID, publicUrl: PUBLIC, dataDir, imageKey: "k", imageLimits: { totalBytes: 250 * KB, maxAgeMs: 30 * 86_400_000 } });
    const probot = new Probot({ baseUrl: API, appId: APP_ID, privateKey, logLevel: "fatal", Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
    const middleware = await createNodeMiddleware(mlreview.app, { probot });
    const metricsHandler = metricsRoute();
    const server = createServer((req, res) => void metricsHandler(req, res).then((done) => done || middleware(req, res, () => res.writeHead(404).end())));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await probot.receive({ id: "q06a", name: "pull_request", payload: first.p as never });
      await mlreview.idle();
      await probot.receive({ id: "q06b", name: "pull_request", payload: second.p as never });
      await mlreview.idle();
      expect(unexpected).toEqual([]);
      expect(first.scope.pendingMocks()).toEqual([]);
      expect(second.scope.pendingMocks()).toEqual([]);
      const [a, b] = links(first.posted.comment!);
      const [c, d] = links(second.posted.comment!);
      // The newest report's images are kept and served; the oldest went to make room, the expired one by age.
      const s = stored(dataDir);
      expect(s.bytes).toBeLessThanOrEqual(250 * KB);
      expect(s.files.sort()).toEqual([c, d].sort());
      expect(readdirSync(join(dataDir, "images")).filter((f) => !s.files.includes(f))).toEqual([]); // no temp file left behind
      for (const kept of [c, d]) expect((await fetch(`${url}/images/${kept}`)).status).toBe(200);
      for (const gone of [a, b, `${"e".repeat(64)}.png`]) expect((await fetch(`${url}/images/${gone}`)).status).toBe(404);
      const text = await (await fetch(`${url}/metrics`)).text();
      expect(text).toContain(`mlreview_image_store_bytes ${s.bytes}`);
      expect(text).toContain("mlreview_image_store_files 2");
    } finally {
      server.close();
    }
  });
});

describe("M9: images committed to a branch keep to the same per-report caps", () => {
  const unexpected = recordUnexpectedRequests();

  it(title("Q07"), async () => {
    const R = "/repos/acme/model";
    const images = new BranchImages(testOctokit(), "acme", "model", "https://github.com/acme/model", { reportFiles: 2 });
    const png = (n: number) => Buffer.from([0x89, 0x50, 0x4e, 0x47, n]);
    await images.publish("a.png", png(1), "image/png");
    await images.publish("a-again.png", png(1), "image/png");
    await images.publish("b.png", png(2), "image/png");
    await expect(images.publish("c.png", png(3), "image/png")).rejects.toThrow(new PublishRefused("not published: a report publishes at most 2 images"));
    const blobs: string[] = [];
    const scope = nock("https://api.github.com")
      .get(`${R}/git/ref/heads%2F${ASSETS_BRANCH}`)
      .reply(404, { message: "Not Found" })
      .post(`${R}/git/blobs`, (b: { content: string }) => (blobs.push(b.content), true))
      .times(2)
      .reply(201, () => ({ sha: `blob${blobs.length}` }))
      .post(`${R}/git/trees`)
      .reply(201, { sha: "tree1" })
      .post(`${R}/git/commits`, { message: "mlreview: 2 report image(s)", tree: "tree1", parents: [] })
      .reply(201, { sha: "commit1" })
      .post(`${R}/git/refs`)
      .reply(201, {});
    await images.flush();
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(blobs.sort()).toEqual([png(1), png(2)].map((b) => b.toString("base64")).sort());
  });
});
