// The GitHub edge against other tenants and forged neighbours (issue 10: H5, L3, M9, M10): a fork's run
// posing as the base branch's, another bot's comment carrying our marker, a report that would fill the
// image store, one installation's burst of pull requests. Strict nock: every unmatched request fails.
import { generateKeyPairSync } from "node:crypto";
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app/index.js";
import { MemoryQueue } from "../../src/queue/memory.js";
import type { AppSettings } from "../../src/app/settings.js";
import { MARKER } from "../../src/report/index.js";
import { example } from "../github/helpers.js";
import { bareRemote, recordUnexpectedRequests } from "../helpers/forge.js";
import { git, makeRepo, tempDir, writeFiles, type Files } from "../helpers/git-repo.js";
import { zip } from "../helpers/zip.js";
import { title } from "./cases.js";

const API = "https://api.github.com";
const BLOBS = "https://pipelines.actions.githubusercontent.example";
const APP_ID = 123;
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const token = () => ({ token: "ghs_x", expires_at: new Date(Date.now() + 3600_000).toISOString() });

/** A forge-side repository: `base` files on main, `head` files on a feature branch. */
function forgeRepo(base: Files, head: Files) {
  const work = makeRepo({ commits: [base] });
  const baseSha = git(work, "rev-parse", "HEAD").trim();
  git(work, "checkout", "-q", "-b", "feature");
  writeFiles(work, head);
  git(work, "add", "-A");
  git(work, "commit", "-qm", "change");
  return { bare: bareRemote(work), base: baseSha, head: git(work, "rev-parse", "HEAD").trim() };
}

async function load(settings: Partial<AppSettings> = {}) {
  const mlreview = createApp({ appId: APP_ID, publicUrl: undefined, dataDir: tempDir(), imageKey: "k", ...settings });
  const probot = new Probot({ appId: APP_ID, privateKey, logLevel: "fatal", Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
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
    p.repository.clone_url = `file://${r.bare}`;
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
    const blobs = nock(BLOBS).get("/head.zip").reply(200, await headZip, { "content-type": "application/zip" });
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
    p.repository.clone_url = `file://${r.bare}`;
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
      .get("/app")
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
    for (let pr = 1; pr <= 60; pr++) await q.submit({ kind: "github.pull_request", key: `big/repo#${pr}`, version: "sha", data: { installation: 1 } });
    await q.submit({ kind: "github.pull_request", key: "small/repo#1", version: "sha", data: { installation: 2 } });
    await q.idle();
    expect(started).toHaveLength(61);
    expect(most).toBe(2);
    expect(started.indexOf("small/repo#1")).toBeLessThan(4);
  });
});
