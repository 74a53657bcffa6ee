import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import nock from "nock";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../../src/app/index.js";
import { NO_SOURCES, type SourcesConfig } from "../../../src/sources/config.js";
import { dvcSteps } from "../../helpers/dvc.js";
import { bareRemote, recordUnexpectedRequests } from "../../helpers/forge.js";
import { githubOnLoopback } from "../../helpers/git-http.js";
import { git, tempDir, writeFiles } from "../../helpers/git-repo.js";
import { objectServer, type ObjectServer } from "../../helpers/object-server.js";
import { example } from "./helpers.js";
import { testPrivateKey } from "../../helpers/keys.js";

const { api: API, cloneUrl } = await githubOnLoopback();
const privateKey = testPrivateKey("pkcs8");

/**
 * A project shaped like example-get-started, made by the real dvc: `eval/` (metrics and a plot) and a
 * 2 MB model are DVC outs, pushed to a folder that an HTTP remote on loopback serves; nothing of them
 * is in git. main has acc 0.6, feature 0.7.
 */
let pushed: string;
let remote: ObjectServer;
let redirector: ObjectServer;
let project: { bare: string; base: string; head: string; modelKey: string; url: string };

beforeAll(() => {
  pushed = tempDir();
  return (async () => {
    remote = await objectServer(pushed);
    redirector = await objectServer(pushed, { redirect: "http://127.0.0.1:9" });
    project = await makeProject(`${remote.origin}/dvc`);
  })();
}, 120_000);
afterAll(async () => {
  await remote.close();
  await redirector.close();
});

async function makeProject(url: string) {
  const work = tempDir();
  git(work, "init", "-q", "-b", "main");
  writeFiles(work, {
    "acc.txt": "0.6\n",
    "gen.sh": 'mkdir -p eval\nprintf \'{"acc": %s}\' "$(cat acc.txt)" > eval/metrics.json\nprintf \'[{"fpr": 0, "tpr": %s}]\' "$(cat acc.txt)" > eval/roc.json\nhead -c 2097152 /dev/urandom > model.bin\n',
    "dvc.yaml": "stages:\n  train:\n    cmd: sh gen.sh\n    deps: [acc.txt, gen.sh]\n    outs: [eval, model.bin]\nmetrics: [eval/metrics.json]\nplots:\n  - eval/roc.json: {x: fpr, y: tpr}\n",
  });
  // dvc's commands per commit (test/helpers/dvc.ts dvcSteps), `dvc init` after the files; the push
  // before `git commit`, which changes nothing dvc reads: it pushes the outs of the workspace's dvc.lock.
  await dvcSteps(work, ["init", "-q"], ["remote", "add", "-d", "storage", url], ["remote", "add", "pushed", pushed], ["repro", "-q"], ["push", "-q", "-r", "pushed"]);
  git(work, "add", "-A");
  git(work, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "base");
  const base = git(work, "rev-parse", "HEAD").trim();
  git(work, "checkout", "-q", "-b", "feature");
  writeFiles(work, { "acc.txt": "0.7\n" });
  await dvcSteps(work, ["repro", "-q"], ["push", "-q", "-r", "pushed"]);
  git(work, "add", "-A");
  git(work, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "better");
  const head = git(work, "rev-parse", "HEAD").trim();
  const lock = readFileSync(join(work, "dvc.lock"), "utf8");
  const modelMd5 = /path: model\.bin\n\s+hash: md5\n\s+md5: ([0-9a-f]{32})/.exec(lock)![1]!;
  execFileSync("rm", ["-rf", join(work, ".dvc", "cache")]);
  return { bare: bareRemote(work), base, head, modelKey: `${modelMd5.slice(0, 2)}/${modelMd5.slice(2)}`, url };
}

/** The same project with its remote URL changed on both commits (to the redirecting server). */
function withRemoteUrl(url: string) {
  const work = join(tempDir(), "w");
  execFileSync("git", ["clone", "-q", project.bare, work]);
  git(work, "checkout", "-q", "main");
  const rewrite = () => {
    writeFiles(work, { ".dvc/config": readFileSync(join(work, ".dvc/config"), "utf8").replace(project.url, url) });
    git(work, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qam", "remote");
  };
  rewrite();
  git(work, "push", "-q", "origin", "main");
  const base = git(work, "rev-parse", "HEAD").trim();
  git(work, "checkout", "-q", "feature");
  git(work, "reset", "-q", "--hard", project.head);
  rewrite();
  git(work, "push", "-q", "-f", "origin", "feature");
  return { ...project, base, head: git(work, "rev-parse", "HEAD").trim() };
}

async function report(p: typeof project, sources: SourcesConfig) {
  const payload = example<{ installation?: { id: number }; repository: { full_name: string; clone_url: string }; pull_request: { number: number; head: { sha: string; ref: string }; base: { sha: string; ref: string } } }>(
    "pull_request",
    "opened",
  );
  payload.installation ??= { id: 1 };
  payload.repository.clone_url = cloneUrl(p.bare);
  Object.assign(payload.pull_request.head, { sha: p.head, ref: "feature" });
  Object.assign(payload.pull_request.base, { sha: p.base, ref: "main" });
  const repo = `/repos/${payload.repository.full_name}`;
  const posted: { comment?: string; check?: { conclusion: string; output: { title: string } } } = {};
  const scope = nock(API)
    .post(`/app/installations/${payload.installation.id}/access_tokens`)
    .reply(201, { token: "ghs_t", expires_at: new Date(Date.now() + 3600_000).toISOString() })
    .get(`${repo}/compare/${p.base}...${p.head}`)
    .query(true)
    .reply(200, { merge_base_commit: { sha: p.base } })
    .get(`${repo}/issues/${payload.pull_request.number}/comments`)
    .query(true)
    .reply(200, [])
    .post(`${repo}/issues/${payload.pull_request.number}/comments`, (b: { body: string }) => ((posted.comment = b.body), true))
    .reply(201, { id: 1 })
    .post(`${repo}/check-runs`, (b: NonNullable<typeof posted.check>) => ((posted.check = b), true))
    .reply(201, { id: 1 });
  const logs: string[] = [];
  const log = pino({ level: "info" }, new Writable({ write: (c, _e, cb) => (logs.push(c.toString()), cb()) }));
  const mlreview = createApp({ appId: 123, publicUrl: undefined, dataDir: tempDir(), imageKey: "k", sources });
  const probot = new Probot({ baseUrl: API, appId: 123, privateKey, secret: "s", log, Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
  await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
  await probot.receive({ id: "d", name: "pull_request", payload: payload as never });
  await mlreview.idle();
  expect(scope.pendingMocks()).toEqual([]);
  // The comment as a reader sees it: Markdown escapes and the link-breaking joiners taken out.
  return { comment: (posted.comment ?? "").replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, "$1").replace(/\u200d/g, ""), check: posted.check, logs };
}

const allow = (url: string): SourcesConfig => ({ ...NO_SOURCES, dvc_remotes: [{ url }] });

describe("the bot reads DVC-tracked results from the remotes its operator allowed", () => {
  const unexpected = recordUnexpectedRequests();

  it("an allowed HTTP remote: both sides' eval/metrics.json from the remote, verified; the model is never fetched", async () => {
    remote.requests.length = 0;
    const { comment, check } = await report(project, allow(remote.origin));
    expect(unexpected).toEqual([]);
    expect(comment).toContain("| eval/metrics.json | acc | 0.6 | 0.7 |");
    expect(check?.conclusion).toBe("success");
    expect(remote.requests.length).toBeGreaterThan(0);
    expect(remote.requests.every((r) => r.startsWith("GET /dvc/files/md5/"))).toBe(true);
    expect(remote.requests.some((r) => r.endsWith(project.modelKey))).toBe(false);
    // Two .dir listings and, per side, metrics.json and roc.json: one request per object.
    expect(new Set(remote.requests).size).toBe(remote.requests.length);
    expect(remote.requests.filter((r) => r.endsWith(".dir"))).toHaveLength(2);
  });

  it("a remote the operator did not allow: no request, a line naming it and how to allow it, a neutral check", async () => {
    remote.requests.length = 0;
    const { comment, check } = await report(project, allow("https://remote.example.com/dvc"));
    expect(remote.requests).toEqual([]);
    expect(comment).toContain("Metrics unavailable for main and feature");
    expect(comment).not.toContain("No metric changed");
    expect(comment).toContain(`DVC remote 'storage' (${project.url}) is not allowed on this server: its operator can add it to dvc_remotes in MLREVIEW_SOURCES`);
    expect(comment).toContain("MLREVIEW_SOURCES");
    expect(check?.conclusion).toBe("neutral");
    expect(check?.output.title).toMatch(/^⚠️ Metrics unavailable for main and feature/);
  });

  it("a prefix is matched on a path boundary: /dvc allows /dvc/…, /dv does not", async () => {
    remote.requests.length = 0;
    const { check } = await report(project, allow(`${remote.origin}/dv`));
    expect(remote.requests).toEqual([]);
    expect(check?.conclusion).toBe("neutral");
  });

  it("an allowed remote that redirects outside what is allowed: refused at the redirect, the target never asked", async () => {
    const p = withRemoteUrl(`${redirector.origin}/dvc`);
    redirector.requests.length = 0;
    const { comment, check } = await report(p, allow(redirector.origin));
    expect(redirector.requests.length).toBeGreaterThan(0);
    expect(comment).toContain("redirected to http://127.0.0.1:9/dvc/files/md5/");
    expect(comment).toContain("which is not allowed");
    expect(check?.conclusion).toBe("neutral");
  });
});
