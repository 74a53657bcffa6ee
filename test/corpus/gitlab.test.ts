// Forged GitLab payloads and hostile GitLab-side hosts against the real server on loopback: GitLab's
// git over HTTP (git http-backend) and its API on one origin (the API mocked with strict nock), a second
// "evil" git server on another origin, and object storage on a third. Issue 10: H1, H2, M2, M5, L6.
import { existsSync, readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Writable } from "node:stream";
import nock from "nock";
import { pino } from "pino";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { afterAll, describe, expect, it } from "vitest";
import { createApp, type MlreviewApp } from "../../src/app/index.js";
import { MemoryQueue } from "../../src/queue/memory.js";
import { GitLabClient } from "../../src/forges/gitlab/client.js";
import { example } from "../forges/github/helpers.js";
import { forgeChange, recordUnexpectedRequests } from "../helpers/forge.js";
import { gitHttpServer } from "../helpers/git-http.js";
import { tempDir } from "../helpers/git-repo.js";
import { zip } from "../helpers/zip.js";
import { title } from "./cases.js";
import { testPrivateKey } from "../helpers/keys.js";

const forge = await gitHttpServer();
const evil = await gitHttpServer();
afterAll(async () => (await forge.close(), await evil.close()));
const GITLAB = `${forge.origin}/gitlab`;
const API = `${GITLAB}/api/v4`;
const SECRET = "gitlab-hook-secret";
const TOKEN = "glpat-corpus-token-0123456789";
const privateKey = testPrivateKey("pkcs8");
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/gitlab/${name}`, import.meta.url), "utf8")) as Record<string, any>;

let served = 0;
/** master with metrics.json 0.8, feature with 0.9; served by the forge (and, for the attacks, by the evil host too). */
function repo(extra: Record<string, string> = {}) {
  const files = (acc: string) => ({ "metrics.json": `{"acc": ${acc}}`, ...extra });
  const { bare, base, head } = forgeChange({ base: files("0.8"), head: files("0.9"), branch: "master", message: "better" });
  const path = `gitlab/group/repo-${++served}.git`;
  return { bare, base, head, url: forge.serve(path, bare), evilUrl: evil.serve(path, bare) };
}

/** A fresh server with a GitLab endpoint; its log lines; `deliver` posts one hook and waits for all it set off. */
async function server(o: { queue?: MemoryQueue; artifactDeadlineMs?: number } = {}) {
  const logs: string[] = [];
  const log = pino({ level: "info" }, new Writable({ write: (c, _e, cb) => (logs.push(c.toString()), cb()) }));
  const mlreview: MlreviewApp = createApp(
    { appId: 1, publicUrl: undefined, dataDir: tempDir(), imageKey: "k", gitlab: { url: GITLAB, token: TOKEN, secret: SECRET }, ...(o.artifactDeadlineMs ? { artifactDeadlineMs: o.artifactDeadlineMs } : {}) },
    o.queue ? { queue: o.queue } : {},
  );
  const probot = new Probot({ appId: 1, privateKey, secret: "unused", log });
  const middleware = await createNodeMiddleware(mlreview.app, { probot });
  const s = createHttpServer((req, res) => void middleware(req, res, () => res.writeHead(404).end()));
  await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/gitlab/webhook`;
  const deliver = async (event: string, body: unknown): Promise<number> => {
    try {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-gitlab-event": event, "x-gitlab-token": SECRET }, body: JSON.stringify(body) });
      await mlreview.idle();
      return res.status;
    } finally {
      s.close();
    }
  };
  return { deliver, logs };
}

/** The calls of one report once the clone URL is known: merge-base, the bot's user, the notes, a note and a status. */
function reportMocks(scope: nock.Scope, project: number, r: ReturnType<typeof repo>, sent: { note?: string }) {
  return scope
    .get(`/projects/${project}/repository/merge_base`)
    .query(true)
    .reply(200, { id: r.base })
    .get("/user")
    .reply(200, { id: 77 })
    .get(`/projects/${project}/merge_requests/1/notes`)
    .query(true)
    .reply(200, [])
    .post(`/projects/${project}/merge_requests/1/notes`, (b: { body: string }) => ((sent.note = b.body), true))
    .reply(201, { id: 9 })
    .post(`/projects/${project}/statuses/${r.head}`)
    .reply(201, {});
}

const gitRequests = (s: typeof forge, path: string) => s.requests.filter((q) => q.path.startsWith(`/${path}`));

describe("forged GitLab payloads", () => {
  const unexpected = recordUnexpectedRequests();

  it(title("L01"), async () => {
    const r = repo();
    const hook = fixture("merge-request-hook.json");
    hook.project.git_http_url = r.evilUrl; // the sender's choice; the API names the real one
    hook.object_attributes.last_commit.id = r.head;
    hook.object_attributes.source_branch = "feature";
    const sent: { note?: string } = {};
    const scope = reportMocks(
      nock(API, { reqheaders: { "private-token": TOKEN } })
        .get("/projects/1")
        .reply(200, { id: 1, http_url_to_repo: r.url }),
      1,
      r,
      sent,
    );
    const { deliver } = await server();
    expect(await deliver("Merge Request Hook", hook)).toBe(200);
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(evil.requests).toEqual([]);
    expect(sent.note).toContain("| metrics.json | acc | 0.8 | 0.9 |");
    // The token went to the forge's git, as a Basic header, and nowhere else.
    const auth = gitRequests(forge, new URL(r.url).pathname.slice(1)).map((q) => q.authorization);
    expect(auth.length).toBeGreaterThan(0);
    expect(new Set(auth)).toEqual(new Set([`Basic ${Buffer.from(`oauth2:${TOKEN}`).toString("base64")}`]));
  });

  it(title("L02"), async () => {
    const dir = tempDir();
    const marker = join(dir, "pwned");
    const r = repo();
    for (const [event, hook] of [
      ["Merge Request Hook", fixture("merge-request-hook.json")],
      ["Pipeline Hook", fixture("pipeline-hook.json")],
    ] as const) {
      // A local path as the clone URL is what made --upload-pack run on the bot host.
      hook.project.git_http_url = r.bare;
      if (event === "Merge Request Hook") hook.object_attributes.last_commit.id = `--upload-pack=touch ${marker};`;
      else hook.object_attributes.sha = `--upload-pack=touch ${marker};`;
      // Optional: only the old code, which took the sha as it came, went on to merge-base and then to git.
      nock(API).get("/projects/1/repository/merge_base").query(true).optionally().reply(200, { id: r.base });
      const { deliver, logs } = await server();
      expect(await deliver(event, hook)).toBe(200);
      expect(existsSync(marker)).toBe(false);
      const field = event === "Merge Request Hook" ? "object_attributes.last_commit.id" : "object_attributes.sha";
      expect(logs.join("")).toContain(`mlreview: GitLab ${event} dropped, invalid payload: ${field}: not a commit id (40 or 64 hex digits)`);
    }
    expect(unexpected).toEqual([]);
    expect(forge.requests.filter((q) => q.path.includes(new URL(r.url).pathname))).toEqual([]);
  });

  it(title("L03"), async () => {
    const r = repo();
    const variants: [string, (h: Record<string, any>) => void, string][] = [
      ["iid path", (h) => (h.object_attributes.iid = "1/../../users"), "object_attributes.iid"],
      ["iid negative", (h) => (h.object_attributes.iid = -1), "object_attributes.iid"],
      ["iid fraction", (h) => (h.object_attributes.iid = 1.5), "object_attributes.iid"],
      ["project id path", (h) => (h.project.id = "1/../../users"), "project.id"],
    ];
    for (const [, mutate, field] of variants) {
      const hook = fixture("merge-request-hook.json");
      hook.object_attributes.last_commit.id = r.head;
      mutate(hook);
      const { deliver, logs } = await server();
      expect(await deliver("Merge Request Hook", hook)).toBe(200);
      expect(logs.join("")).toContain(`mlreview: GitLab Merge Request Hook dropped, invalid payload: ${field}:`);
    }
    const pipeline = fixture("pipeline-hook.json");
    pipeline.object_attributes.sha = r.head;
    pipeline.builds[1].id = "377/../../../../user";
    const { deliver, logs } = await server();
    expect(await deliver("Pipeline Hook", pipeline)).toBe(200);
    expect(logs.join("")).toContain("mlreview: GitLab Pipeline Hook dropped, invalid payload: builds[1].id:");
    // Strict: not one request to the API, nor to git.
    expect(unexpected).toEqual([]);
    expect(gitRequests(forge, new URL(r.url).pathname.slice(1))).toEqual([]);
  });

  it(title("L04"), async () => {
    // The API itself names a clone URL on another origin (a misconfigured external URL, or worse).
    const r = repo();
    const hook = fixture("merge-request-hook.json");
    hook.object_attributes.last_commit.id = r.head;
    const errors: string[] = [];
    const queue = new MemoryQueue((_t, e) => errors.push((e as Error).message), { retryDelayMs: 10 });
    const scope = nock(API)
      .get("/projects/1")
      .times(5)
      .reply(200, { id: 1, http_url_to_repo: r.evilUrl })
      .get("/projects/1/repository/merge_base")
      .query(true)
      .times(5)
      .reply(200, { id: r.base })
      // Each failed attempt says so on the MR: the neutral check (a GitLab status that does not block).
      .post(`/projects/1/statuses/${r.head}`, (b: { description: string }) => (descriptions.push(b.description), true))
      .times(5)
      .reply(201, {});
    const descriptions: string[] = [];
    const { deliver } = await server({ queue });
    expect(await deliver("Merge Request Hook", hook)).toBe(200);
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(evil.requests).toEqual([]);
    expect(errors.at(-1)).toBe(`clone URL ${evil.origin} is not on the forge's origin ${forge.origin}: the token is not sent there`);
    expect(descriptions.at(-1)).toBe(`mlreview could not build the report: clone URL ${evil.origin} is not on the forge's origin ${forge.origin}: the token is not sent there`);
  });

  it(title("L11"), async () => {
    const r = repo();
    const hook = fixture("merge-request-hook.json");
    hook.object_attributes.last_commit.id = r.head;
    const errors: string[] = [];
    const queue = new MemoryQueue((_t, e) => errors.push((e as Error).message), { retryDelayMs: 10 });
    const scope = nock(API)
      .get("/projects/1/repository/merge_base")
      .query(true)
      .times(5)
      .reply(302, "", { location: `${evil.origin}/api/v4/projects/1/repository/merge_base` })
      .post(`/projects/1/statuses/${r.head}`, (b: { description: string }) => (descriptions.push(b.description), true))
      .times(5)
      .reply(201, {});
    const descriptions: string[] = [];
    const { deliver } = await server({ queue });
    expect(await deliver("Merge Request Hook", hook)).toBe(200);
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(evil.requests).toEqual([]);
    expect(errors.at(-1)).toBe("GitLab GET /projects/1/repository/merge_base: HTTP 302 redirect not followed");
    expect(descriptions.at(-1)).toBe("mlreview could not build the report: GitLab GET /projects/1/repository/merge_base: HTTP 302 redirect not followed");
  });

  it(title("L12"), async () => {
    // The runners' GitLab client (runner registration, jobs, projects) follows no redirect either.
    const client = new GitLabClient({ url: GITLAB, token: TOKEN });
    const scope = nock(API)
      .get("/projects/380")
      .reply(302, "", { location: `${evil.origin}/api/v4/projects/380` });
    await expect(client.pathWithNamespace(380)).rejects.toThrow("GitLab GET /projects/380: HTTP 302");
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(evil.requests).toEqual([]);
  });

  it(title("L05"), async () => {
    // GitHub too: a pull_request whose clone_url is not on the configured GitHub host is dropped.
    const r = repo();
    const p = example<Record<string, any>>("pull_request", "opened");
    p.installation ??= { id: 1 };
    p.repository.clone_url = r.evilUrl;
    Object.assign(p.pull_request.head, { sha: r.head, ref: "feature" });
    Object.assign(p.pull_request.base, { sha: r.base, ref: "master" });
    const logs: string[] = [];
    const log = pino({ level: "info" }, new Writable({ write: (c, _e, cb) => (logs.push(c.toString()), cb()) }));
    const mlreview = createApp({ appId: 1, publicUrl: undefined, dataDir: tempDir(), imageKey: "k" });
    const probot = new Probot({ baseUrl: `${forge.origin}/api/v3`, appId: 1, privateKey, log, Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
    await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
    await probot.receive({ id: "evil", name: "pull_request", payload: p as never });
    await mlreview.idle();
    expect(unexpected).toEqual([]);
    expect(evil.requests).toEqual([]);
    expect(logs.join("")).toContain(`mlreview: pull_request delivery whose clone_url is not on ${forge.origin}: ignored`);
  });
});

describe("GitLab artifacts from hostile hosts", () => {
  const unexpected = recordUnexpectedRequests();
  const STORAGE = "https://storage.example.net";

  /** A Pipeline Hook for a repository whose results are in the `mlreview` artifact of job 381. */
  function pipeline() {
    const r = repo({ ".gitlab/mlreview.yml": "metrics: [metrics.json, out/metrics.json]\nartifacts: {name: mlreview}\n" });
    const hook = fixture("pipeline-hook.json");
    hook.object_attributes.sha = r.head;
    hook.merge_request.source_branch = "feature";
    hook.builds.push({ ...hook.builds[1], id: 381, name: "train", status: "success", artifacts_file: { filename: "mlreview.zip", size: 200 } });
    const sent: { note?: string } = {};
    const scope = reportMocks(nock(API).get("/projects/1").reply(200, { id: 1, http_url_to_repo: r.url }), 1, r, sent);
    return { r, hook, sent, scope };
  }

  it(title("L06"), async () => {
    const { hook, sent, scope } = pipeline();
    scope
      .get("/projects/1/jobs/381/artifacts")
      .reply(302, "", { location: `${STORAGE}/bucket/381.zip?X-Amz-Signature=abc` })
      .get("/projects/1/pipelines")
      .query(true)
      .reply(200, []);
    const storage = nock(STORAGE, { badheaders: ["private-token", "authorization", "job-token"] })
      .get("/bucket/381.zip")
      .query({ "X-Amz-Signature": "abc" })
      .reply(200, await zip({ "out/metrics.json": '{"loss": 0.25}' }), { "content-type": "application/zip" });
    const { deliver } = await server();
    expect(await deliver("Pipeline Hook", hook)).toBe(200);
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(storage.pendingMocks()).toEqual([]);
    expect(sent.note).toContain("| out/metrics.json | loss | - | 0.25 |");
  });

  it(title("L07"), async () => {
    const { hook, sent, scope } = pipeline();
    // Every hop answers with another redirect, across origins and back.
    scope.get("/projects/1/jobs/381/artifacts").reply(302, "", { location: `${STORAGE}/loop` });
    nock(STORAGE)
      .get("/loop")
      .times(5)
      .reply(302, "", { location: `${STORAGE}/loop` });
    const { deliver } = await server();
    expect(await deliver("Pipeline Hook", hook)).toBe(200);
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(sent.note).toContain("| metrics.json | acc | 0.8 | 0.9 |");
    expect(sent.note).toMatch(/- feature: artifact 'mlreview': job 381's artifact: more than 5 redirects/);
  });

  it(
    title("L08"),
    async () => {
      const { hook, sent, scope } = pipeline();
      // Object storage that sends its headers and the start of a zip, then nothing, forever.
      const stall = createHttpServer((_req, res) => (res.writeHead(200, { "content-type": "application/zip", "content-length": "100000" }), res.write(Buffer.alloc(1000))));
      await new Promise<void>((ok) => stall.listen(0, "127.0.0.1", ok));
      scope.get("/projects/1/jobs/381/artifacts").reply(302, "", { location: `http://127.0.0.1:${(stall.address() as AddressInfo).port}/381.zip` });
      const started = Date.now();
      try {
        const { deliver } = await server({ artifactDeadlineMs: 1_000 });
        expect(await deliver("Pipeline Hook", hook)).toBe(200);
      } finally {
        stall.closeAllConnections();
        stall.close();
      }
      expect(Date.now() - started).toBeLessThan(20_000); // a guard against the hang, not a timing claim
      expect(unexpected).toEqual([]);
      expect(scope.pendingMocks()).toEqual([]);
      expect(sent.note).toContain("| metrics.json | acc | 0.8 | 0.9 |");
      expect(sent.note).toMatch(/- feature: artifact 'mlreview': job 381's artifact did not download within 1 s/);
    },
    30_000,
  );
});
