import { Writable } from "node:stream";
import nock from "nock";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../../src/app/index.js";
import { NO_SOURCES } from "../../../src/sources/config.js";
import { bareRemote } from "../../helpers/forge.js";
import { githubOnLoopback } from "../../helpers/git-http.js";
import { git, tempDir } from "../../helpers/git-repo.js";
import { lfsBatchHandler, lfsRepo, lfsServer, sha256, type LfsBehaviour, type LfsRequest, type LfsServer } from "../../helpers/git-lfs.js";
import { example } from "../../forges/github/helpers.js";
import { testPrivateKey } from "../../helpers/keys.js";

const { forge, api: API, cloneUrl } = await githubOnLoopback();
const privateKey = testPrivateKey("pkcs8");

/**
 * metrics.json committed through the real git-lfs (main acc 0.6, feature 0.7), served by the forge on
 * loopback: its git holds only pointers, its LFS batch API is on the forge's origin, and the objects
 * are on a storage server of another origin (as GitHub's). The repository's `.lfsconfig` names a third
 * server, which must never be contacted.
 */
const M1 = '{"acc": 0.6}\n';
const M2 = '{"acc": 0.7}\n';
const TOKEN = "ghs_t";
let storage: LfsServer;
let evil: LfsServer;
let project: { bare: string; base: string; head: string };
const forgeLfs: LfsRequest[] = [];
const behaviour: LfsBehaviour = { objects: new Map(), corrupt: new Set() };

beforeAll(async () => {
  storage = await lfsServer(behaviour);
  evil = await lfsServer({ objects: new Map([M1, M2].map((b) => [sha256(b), Buffer.from(b)])) });
  const repo = lfsRepo(["*.json"], [{ "metrics.json": M1, ".lfsconfig": `[lfs]\n\turl = ${evil.origin}/steal\n[remote "origin"]\n\tlfsurl = ${evil.origin}/steal2\n` }, { "metrics.json": M2 }]);
  git(repo.dir, "branch", "-q", "feature", repo.shas[1]!);
  project = { bare: bareRemote(repo.dir), base: repo.shas[0]!, head: repo.shas[1]! };
}, 60_000);
afterAll(async () => {
  await storage.close();
  await evil.close();
});
beforeEach(() => {
  forgeLfs.length = 0;
  storage.requests.length = 0;
  evil.requests.length = 0;
  behaviour.objects = new Map([M1, M2].map((b) => [sha256(b), Buffer.from(b)]));
  behaviour.corrupt.clear();
  behaviour.downloadOrigin = storage.origin;
  behaviour.downloadHeader = { "x-signature": "signed-by-the-forge" };
});

async function report() {
  const payload = example<{ installation?: { id: number }; repository: { full_name: string; clone_url: string }; pull_request: { number: number; head: { sha: string; ref: string }; base: { sha: string; ref: string } } }>(
    "pull_request",
    "opened",
  );
  payload.installation ??= { id: 1 };
  payload.repository.clone_url = cloneUrl(project.bare);
  // The forge's LFS endpoint for that clone URL, on the forge's own origin.
  forge.route(
    `${new URL(payload.repository.clone_url).pathname}/info/lfs/`,
    lfsBatchHandler(behaviour, forgeLfs, () => forge.origin),
  );
  Object.assign(payload.pull_request.head, { sha: project.head, ref: "feature" });
  Object.assign(payload.pull_request.base, { sha: project.base, ref: "main" });
  const repo = `/repos/${payload.repository.full_name}`;
  let comment = "";
  // allowUnmocked: the LFS batch API is a real server on the API's origin, as on GitHub.
  const scope = nock(API, { allowUnmocked: true })
    .post(`/app/installations/${payload.installation.id}/access_tokens`)
    .reply(201, { token: TOKEN, expires_at: new Date(Date.now() + 3600_000).toISOString() })
    .get(`${repo}/compare/${project.base}...${project.head}`)
    .query(true)
    .reply(200, { merge_base_commit: { sha: project.base } })
    .get(`${repo}/issues/${payload.pull_request.number}/comments`)
    .query(true)
    .reply(200, [])
    .post(`${repo}/issues/${payload.pull_request.number}/comments`, (b: { body: string }) => ((comment = b.body), true))
    .reply(201, { id: 1 })
    .post(`${repo}/check-runs`)
    .reply(201, { id: 1 });
  const log = pino({ level: "info" }, new Writable({ write: (_c, _e, cb) => cb() }));
  const mlreview = createApp({ appId: 123, publicUrl: undefined, dataDir: tempDir(), imageKey: "k", sources: NO_SOURCES });
  const probot = new Probot({ baseUrl: API, appId: 123, privateKey, secret: "s", log, Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
  await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
  await probot.receive({ id: "d", name: "pull_request", payload: payload as never });
  await mlreview.idle();
  expect(scope.pendingMocks()).toEqual([]);
  nock.cleanAll();
  return comment.replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, "$1").replace(/\u200d/g, "");
}

const basic = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}`;

describe("the bot reads Git-LFS pointers through the forge's LFS endpoint", () => {
  it("the token goes to the batch API only; downloads get the batch answer's headers; .lfsconfig is ignored", async () => {
    const comment = await report();
    expect(comment).toContain("| metrics.json | acc | 0.6 | 0.7 |");
    expect(forgeLfs.length).toBeGreaterThan(0);
    for (const r of forgeLfs) {
      expect(r.method).toBe("POST");
      expect(r.path).toMatch(/^\/acme\/repo-\d+\.git\/info\/lfs\/objects\/batch$/);
      expect(r.authorization).toBe(basic);
      expect(r.accept).toBe("application/vnd.git-lfs+json");
    }
    expect(forgeLfs.flatMap((r) => r.oids).sort()).toEqual([sha256(M1), sha256(M2)].sort());
    expect(storage.requests.map((r) => r.path).sort()).toEqual([`/lfs-objects/${sha256(M1)}`, `/lfs-objects/${sha256(M2)}`].sort());
    for (const r of storage.requests) {
      expect(r.authorization).toBeUndefined();
      expect(r.headers["x-signature"]).toBe("signed-by-the-forge");
      expect(JSON.stringify(r.headers)).not.toContain(TOKEN);
    }
    expect(evil.requests).toEqual([]);
  });

  it("a corrupted object in storage: the file's line in the report, not its values", async () => {
    behaviour.corrupt.add(sha256(M2));
    const comment = await report();
    expect(comment).toContain(`Git-LFS object ${sha256(M2).slice(0, 12)}…: the content does not match its sha256`);
    expect(comment).not.toContain("| 0.7 |");
    expect(evil.requests).toEqual([]);
  });

  it("a download href that is not http(s) is refused, nothing is read from it", async () => {
    behaviour.downloadOrigin = "file://";
    const comment = await report();
    expect(comment).toContain("download scheme 'file:' refused: only http(s)");
    expect(storage.requests).toEqual([]);
  });
});
