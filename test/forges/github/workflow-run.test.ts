import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { zip } from "../../helpers/zip.js";
import { createApp } from "../../../src/app/index.js";
import { forgeChange, recordUnexpectedRequests } from "../../helpers/forge.js";
import { githubOnLoopback } from "../../helpers/git-http.js";
import { tempDir } from "../../helpers/git-repo.js";
import { example } from "./helpers.js";
import { testPrivateKey } from "../../helpers/keys.js";

const { forge, api: API, cloneUrl } = await githubOnLoopback();
const BLOBS = "https://pipelines.actions.githubusercontent.example";
const privateKey = testPrivateKey("pkcs8");
const CONFIG = ".mlreview.yml";
const cfg = "metrics: [results/metrics.json]\nartifacts: {name: mlreview, workflow: train.yml}\n";

/** Results are produced by CI, not committed: the repository only holds the config and the code. */
function forgeRepo() {
  return forgeChange({ base: { [CONFIG]: cfg, "train.py": "print(1)\n" }, head: { [CONFIG]: cfg, "train.py": "print(2)\n" }, message: "new model" });
}

interface RunPayload {
  installation?: { id: number };
  repository: { id: number; full_name: string; clone_url: string };
  workflow_run: { id: number; workflow_id: number; path?: string; conclusion: string; pull_requests: unknown[] };
}

function runPayload(r: ReturnType<typeof forgeRepo>, path = ".github/workflows/train.yml"): RunPayload {
  const p = example<RunPayload>("workflow_run", "completed");
  p.installation ??= { id: 1 };
  p.repository.clone_url = cloneUrl(r.bare);
  Object.assign(p.workflow_run, { id: 900, workflow_id: 77, path, conclusion: "success", pull_requests: [{ number: 5, head: { sha: r.head, ref: "feature" }, base: { sha: r.base, ref: "main" } }] });
  return p;
}

async function load(artifactDeadlineMs?: number) {
  const mlreview = createApp({ appId: 123, publicUrl: undefined, dataDir: tempDir(), imageKey: "k", ...(artifactDeadlineMs ? { artifactDeadlineMs } : {}) });
  const probot = new Probot({ baseUrl: API, appId: 123, privateKey, logLevel: "fatal", Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
  await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
  return { probot, mlreview };
}

describe("workflow_run completed: results from CI artifacts", () => {
  const unexpected = recordUnexpectedRequests();

  /** `reachesBase: false`: the head's artifact fails, so the base run is never looked for (strict mocks: every one is used). */
  function mocks(p: RunPayload, r: ReturnType<typeof forgeRepo>, headZip: Buffer, baseZip: Buffer, headLocation = `${BLOBS}/head.zip`, reachesBase = true) {
    const repo = `/repos/${p.repository.full_name}`;
    const posted: string[] = [];
    let api = nock(API)
      .post(`/app/installations/${p.installation!.id}/access_tokens`)
      .reply(201, { token: "ghs_x", expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .get(`${repo}/compare/${r.base}...${r.head}`)
      .query(true)
      .reply(200, { merge_base_commit: { sha: r.base } })
      .get(`${repo}/actions/runs/900/artifacts`)
      .query({ name: "mlreview", per_page: 1 })
      .reply(200, { total_count: 1, artifacts: [{ id: 11, name: "mlreview", size_in_bytes: headZip.length, expired: false }] })
      .get(`${repo}/actions/artifacts/11/zip`)
      .reply(302, "", { location: headLocation });
    if (reachesBase) {
      api = api
        .get(`${repo}/actions/workflows/77/runs`)
        .query({ event: "push", status: "success", branch: "main", head_sha: r.base, per_page: 20 })
        .reply(200, { total_count: 1, workflow_runs: [{ id: 800, event: "push", head_sha: r.base, head_branch: "main", conclusion: "success", head_repository: { id: p.repository.id, full_name: p.repository.full_name } }] })
        .get(`${repo}/actions/runs/800/artifacts`)
        .query({ name: "mlreview", per_page: 1 })
        .reply(200, { total_count: 1, artifacts: [{ id: 12, name: "mlreview", size_in_bytes: baseZip.length, expired: false }] })
        .get(`${repo}/actions/artifacts/12/zip`)
        .reply(302, "", { location: `${BLOBS}/base.zip` });
    }
    api = api
      .get(`${repo}/issues/5/comments`)
      .query(true)
      .reply(200, [])
      .post(`${repo}/issues/5/comments`, (b: { body: string }) => (posted.push(b.body), true))
      .reply(201, { id: 1 })
      .post(`${repo}/check-runs`)
      .reply(201, { id: 1 });
    const zipType = { "content-type": "application/zip" };
    const blobs = nock(BLOBS);
    if (reachesBase) blobs.get("/base.zip").reply(200, baseZip, zipType);
    if (headLocation.startsWith(BLOBS)) blobs.get("/head.zip").reply(200, headZip, zipType);
    return { api, blobs, posted };
  }

  it("reports the run's artifact against the push run of the merge-base on the base branch", async () => {
    const r = forgeRepo();
    const p = runPayload(r);
    const { api, blobs, posted } = mocks(p, r, await zip({ "results/metrics.json": '{"acc": 0.75}' }), await zip({ "results/metrics.json": '{"acc": 0.7}' }));
    const { probot, mlreview } = await load();
    await probot.receive({ id: "w1", name: "workflow_run", payload: p as never });
    await mlreview.idle();
    expect(unexpected).toEqual([]);
    expect(api.pendingMocks()).toEqual([]);
    expect(blobs.pendingMocks()).toEqual([]);
    expect(posted[0]).toContain("| results/metrics.json | acc | 0.7 | 0.75 | ▲ +0.05 | +7.14% |");
  });

  it("a failed run costs no API call; another workflow's run stops once the head's config is read", async () => {
    const r = forgeRepo();
    const other = runPayload(r, ".github/workflows/lint.yml");
    const failed = runPayload(r);
    failed.workflow_run.conclusion = "failure";
    const repo = `/repos/${other.repository.full_name}`;
    // The other workflow is only recognised after reading the head's config: token and compare, then nothing.
    const api = nock(API)
      .post(`/app/installations/1/access_tokens`)
      .reply(201, { token: "ghs_x", expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .get(`${repo}/compare/${r.base}...${r.head}`)
      .query(true)
      .reply(200, { merge_base_commit: { sha: r.base } });
    const { probot, mlreview } = await load();
    await probot.receive({ id: "w2", name: "workflow_run", payload: other as never });
    await probot.receive({ id: "w3", name: "workflow_run", payload: failed as never });
    await mlreview.idle();
    expect(unexpected).toEqual([]);
    expect(api.pendingMocks()).toEqual([]);
  });

  it("a hostile artifact is refused and said in the report; nothing from it is read", async () => {
    const r = forgeRepo();
    const p = runPayload(r);
    const evil = Buffer.from((await zip({ "aa/metrics.json": '{"acc": 1}' })).toString("latin1").split("aa/metrics.json").join("../metrics.json"), "latin1");
    const { posted } = mocks(p, r, evil, await zip({ "results/metrics.json": '{"acc": 0.7}' }), undefined, false);
    const { probot, mlreview } = await load();
    await probot.receive({ id: "w4", name: "workflow_run", payload: p as never });
    await mlreview.idle();
    expect(posted[0]).toMatch(/feature: artifact 'mlreview': .*\.\.\/metrics\.json/);
    expect(posted[0]).not.toContain("| 1 |");
  });

  it("an artifact download that stalls is one line in the report, within the deadline, and the report is still posted", async () => {
    const r = forgeRepo();
    const p = runPayload(r);
    // Object storage that sends its headers and the first bytes, then nothing.
    const stalled = createServer((_req, res) => res.writeHead(200, { "content-type": "application/zip" }).write("PK"));
    await new Promise<void>((ok) => stalled.listen(0, "127.0.0.1", ok));
    const { posted } = mocks(p, r, Buffer.alloc(0), await zip({ "results/metrics.json": '{"acc": 0.7}' }), `http://127.0.0.1:${(stalled.address() as AddressInfo).port}/head.zip`, false);
    const { probot, mlreview } = await load(300);
    await probot.receive({ id: "w5", name: "workflow_run", payload: p as never });
    await mlreview.idle();
    stalled.closeAllConnections();
    stalled.close();
    expect(posted[0]).toMatch(/feature: artifact 'mlreview': .*did not download within/);
  });

  it("a run whose pull request shas are not object ids is dropped before any API call or git", async () => {
    const r = forgeRepo();
    const p = runPayload(r);
    (p.workflow_run.pull_requests[0] as { head: { sha: string } }).head.sha = "--upload-pack=touch /tmp/mlreview-pwned;";
    const { probot, mlreview } = await load();
    await probot.receive({ id: "w6", name: "workflow_run", payload: p as never });
    await mlreview.idle();
    expect(unexpected).toEqual([]);
    expect(forge.requests.filter((q) => q.path.startsWith(new URL(p.repository.clone_url).pathname))).toEqual([]);
  });
});
