import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { sign } from "@octokit/webhooks-methods";
import nock from "nock";
import { pino } from "pino";
import { createNodeMiddleware, createProbot, Probot, ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app/index.js";
import { MARKER } from "../../../src/report/index.js";
import { forgeChange, recordUnexpectedRequests } from "../../helpers/forge.js";
import { gitHttpServer, githubOnLoopback } from "../../helpers/git-http.js";
import { gitScript, tempDir } from "../../helpers/git-repo.js";
import { example } from "./helpers.js";
import { testPrivateKey } from "../../helpers/keys.js";

const { api: API, cloneUrl } = await githubOnLoopback();
const SECRET = "webhook-secret";
const TOKEN = "ghs_installationtoken123";
const privateKey = testPrivateKey("pkcs8");

/** A forge-side bare repository with main and a feature branch that changes metrics and params. */
function forgeRepo() {
  return forgeChange({
    base: { "metrics.json": '{"eval": {"accuracy": 0.8, "loss": 0.5}}', "params.yaml": "lr: 0.01\n" },
    head: { "metrics.json": '{"eval": {"accuracy": 0.85, "loss": 0.4}}', "params.yaml": "lr: 0.02\n" },
    message: "tune",
  });
}

interface Payload {
  installation?: { id: number };
  repository: { full_name: string; clone_url: string; owner: { login: string }; name: string };
  pull_request: { number: number; head: { sha: string; ref: string }; base: { sha: string; ref: string } };
}

function payloadFor(r: ReturnType<typeof forgeRepo>): Payload {
  const p = example<Payload>("pull_request", "opened");
  p.installation ??= { id: 1 };
  p.repository.clone_url = cloneUrl(r.bare);
  p.pull_request.head.sha = r.head;
  p.pull_request.head.ref = "feature";
  p.pull_request.base.sha = r.base;
  p.pull_request.base.ref = "main";
  return p;
}

function setup() {
  const logs: string[] = [];
  const log = pino({ level: "trace" }, new Writable({ write: (c, _e, cb) => (logs.push(c.toString()), cb()) }));
  const dataDir = tempDir();
  const mlreview = createApp({ appId: 123, publicUrl: undefined, dataDir, imageKey: "k" });
  const probot = new Probot({
    baseUrl: API,
    appId: 123,
    privateKey,
    secret: SECRET,
    log,
    Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
  });
  return { probot, mlreview, logs };
}

function apiMocks(p: Payload, r: ReturnType<typeof forgeRepo>) {
  const repo = `/repos/${p.repository.full_name}`;
  const posted: string[] = [];
  const scope = nock(API)
    .post(`/app/installations/${p.installation!.id}/access_tokens`)
    .reply(201, { token: TOKEN, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {} })
    .get(`${repo}/compare/${r.base}...${r.head}`)
    .query({ per_page: 1 })
    .reply(200, { merge_base_commit: { sha: r.base } })
    .get(`${repo}/issues/${p.pull_request.number}/comments`)
    .query({ per_page: 100 })
    .reply(200, [])
    .post(`${repo}/issues/${p.pull_request.number}/comments`, (b: { body: string }) => (posted.push(b.body), true))
    .reply(201, { id: 9 })
    .post(`${repo}/check-runs`, (b: { name: string; head_sha: string; conclusion: string; output: { title: string } }) => {
      posted.push(JSON.stringify(b));
      return b.name === "mlreview" && b.head_sha === r.head && b.conclusion === "success";
    })
    .reply(201, { id: 1 });
  return { scope, posted };
}

describe("the GitHub app on pull_request", () => {
  const unexpected = recordUnexpectedRequests();

  it("posts one report comment and a check run, with exactly these API calls; a redelivery does nothing", async () => {
    const r = forgeRepo();
    const p = payloadFor(r);
    const { probot, mlreview, logs } = setup();
    await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
    const { scope, posted } = apiMocks(p, r);
    await probot.receive({ id: "d1", name: "pull_request", payload: p as never });
    await probot.receive({ id: "d1", name: "pull_request", payload: p as never });
    await mlreview.idle();
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    const [comment, check] = posted;
    expect(comment!.startsWith(MARKER)).toBe(true);
    expect(comment).toContain("### ML results: feature vs main");
    expect(comment).toContain("| metrics.json | eval.accuracy | 0.8 | 0.85 | ▲ +0.05 | +6.25% |");
    expect(comment).toContain("| params.yaml | lr | 0.01 | 0.02 |");
    expect(JSON.parse(check!).output.title).toBe("Metrics: 2 improved ▲ (▲ eval.loss -20.0%, ▲ eval.accuracy +6.25%); 1 param changed.");
    expect(logs.join("")).not.toContain(TOKEN);
  });

  it("from a signed HTTP delivery on a real port to the comment; a bad signature is refused", async () => {
    const r = forgeRepo();
    const p = payloadFor(r);
    const { probot, mlreview } = setup();
    const middleware = await createNodeMiddleware(mlreview.app, { probot });
    const server: Server = createServer((req, res) => void middleware(req, res));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { scope, posted } = apiMocks(p, r);
      const body = JSON.stringify(p);
      const post = (signature: string) =>
        fetch(`${url}/api/github/webhooks`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": "d2", "x-hub-signature-256": signature },
          body,
        });
      expect((await post(await sign("wrong", body))).status).toBe(400);
      expect((await post(await sign(SECRET, body))).status).toBe(200);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      await mlreview.idle();
      expect(unexpected).toEqual([]);
      expect(scope.pendingMocks()).toEqual([]);
      expect(posted[0]).toContain("eval.accuracy");
    } finally {
      server.close();
    }
  });
});

describe("the GitHub app: newest head only, and GitHub Enterprise Server", () => {
  const unexpected = recordUnexpectedRequests();

  it("two pushes a second apart: the older report is dropped, only the newest head is posted and checked", async () => {
    const r = forgeRepo();
    // A second push on top of the first.
    const push = 'git clone -q -b feature "$1" w\ncd w\ncat > metrics.json\ngit commit -qam "second push"\ngit push -q origin feature\ngit rev-parse HEAD';
    const newer = gitScript(tempDir(), push, [r.bare], '{"eval": {"accuracy": 0.9, "loss": 0.3}}').trim();
    const first = payloadFor(r);
    const second = payloadFor({ ...r, head: newer });
    (second as unknown as { action: string }).action = "synchronize";
    const repo = `/repos/${first.repository.full_name}`;
    const posted: string[] = [];
    const scope = nock(API)
      .post(`/app/installations/${first.installation!.id}/access_tokens`)
      .reply(201, { token: TOKEN, expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .get(`${repo}/compare/${r.base}...${r.head}`)
      .query(true)
      .delay(300) // the first report is still being built when the second push arrives
      .reply(200, { merge_base_commit: { sha: r.base } })
      .get(`${repo}/compare/${r.base}...${newer}`)
      .query(true)
      .reply(200, { merge_base_commit: { sha: r.base } })
      .get(`${repo}/issues/${first.pull_request.number}/comments`)
      .query(true)
      .reply(200, [])
      .post(`${repo}/issues/${first.pull_request.number}/comments`, (b: { body: string }) => (posted.push(b.body), true))
      .reply(201, { id: 1 })
      .post(`${repo}/check-runs`, (b: { head_sha: string }) => b.head_sha === newer)
      .reply(201, { id: 1 });
    const { probot, mlreview } = setup();
    await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
    await probot.receive({ id: "a", name: "pull_request", payload: first as never });
    await new Promise((ok) => setTimeout(ok, 50));
    await probot.receive({ id: "b", name: "pull_request", payload: second as never });
    await mlreview.idle();
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(posted).toHaveLength(1);
    expect(posted[0]).toContain("| metrics.json | eval.accuracy | 0.8 | 0.9 |");
  });

  it("GHE_HOST and GHE_PROTOCOL: every API call goes to the Enterprise server", async () => {
    const r = forgeRepo();
    const p = payloadFor(r);
    // A second origin, as an Enterprise server: its API and its git, and nothing on the public API's origin.
    const enterprise = await gitHttpServer();
    p.repository.clone_url = enterprise.serve("acme/repo.git", r.bare);
    const ghe = `${enterprise.origin}/api/v3`;
    const repo = `/repos/${p.repository.full_name}`;
    const scope = nock(ghe)
      .post(`/app/installations/${p.installation!.id}/access_tokens`)
      .reply(201, { token: TOKEN, expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .get(`${repo}/compare/${r.base}...${r.head}`)
      .query(true)
      .reply(200, { merge_base_commit: { sha: r.base } })
      .get(`${repo}/issues/${p.pull_request.number}/comments`)
      .query(true)
      .reply(200, [])
      .post(`${repo}/issues/${p.pull_request.number}/comments`)
      .reply(201, { id: 1 })
      .post(`${repo}/check-runs`)
      .reply(201, { id: 1 });
    const probot = createProbot({
      env: { APP_ID: "123", PRIVATE_KEY: privateKey, WEBHOOK_SECRET: SECRET, GHE_HOST: new URL(enterprise.origin).host, GHE_PROTOCOL: "http", LOG_LEVEL: "fatal" },
      overrides: { Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) },
    });
    const mlreview = createApp({ appId: 123, publicUrl: undefined, dataDir: tempDir(), imageKey: "k" });
    await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
    await probot.receive({ id: "g", name: "pull_request", payload: p as never });
    await mlreview.idle();
    await enterprise.close();
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(enterprise.requests.filter((q) => q.path.startsWith("/acme/repo.git/")).length).toBeGreaterThan(0);
  });
});

describe("the GitHub app: images and size", () => {
  const unexpected = recordUnexpectedRequests();

  it("plots are served by the bot under MLREVIEW_PUBLIC_URL at unguessable content-addressed paths", async () => {
    const dvcYaml = "plots:\n  - loss.csv:\n      y: loss\n      title: Loss\n";
    const r = forgeChange({ base: { "dvc.yaml": dvcYaml, "loss.csv": "step,loss\n0,1\n1,0.5\n" }, head: { "dvc.yaml": dvcYaml, "loss.csv": "step,loss\n0,0.9\n1,0.3\n" }, message: "better" });
    const p = payloadFor(r);
    const mlreview = createApp({ appId: 123, publicUrl: "https://bot.example.com/mlreview", dataDir: tempDir(), imageKey: "secret-key" });
    const probot = new Probot({ baseUrl: API, appId: 123, privateKey, secret: SECRET, logLevel: "fatal", Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
    const middleware = await createNodeMiddleware(mlreview.app, { probot });
    // As `probot run` does: what no handler takes is a 404.
    const server = createServer((req, res) => void middleware(req, res, () => res.writeHead(404).end()));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { posted } = apiMocks(p, r);
      await probot.receive({ id: "i", name: "pull_request", payload: p as never });
      await mlreview.idle();
      expect(unexpected).toEqual([]);
      const link = /!\[Loss\]\(https:\/\/bot\.example\.com\/mlreview\/images\/([0-9a-f]{64})\.png\)/.exec(posted[0]!);
      expect(link).not.toBeNull();
      const img = await fetch(`${url}/images/${link![1]}.png`);
      expect([img.status, img.headers.get("content-type")]).toEqual([200, "image/png"]);
      expect(
        Buffer.from(await img.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe("PNG");
      for (const bad of [`${"0".repeat(64)}.png`, "..%2F..%2Fetc%2Fpasswd", `${link![1]}.svg`, `../${link![1]}.png`]) {
        expect((await fetch(`${url}/images/${bad}`)).status).toBe(404);
      }
    } finally {
      server.close();
    }
  });

  it("posts a report for 20,000 changed metrics within GitHub's 65,536 characters", async () => {
    const many = (shift: number) => JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`m${i}`, i + shift])));
    const r = forgeChange({ base: { "metrics.json": many(0) }, head: { "metrics.json": many(1) }, message: "more" });
    const p = payloadFor(r);
    const { probot, mlreview } = setup();
    await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
    const { scope, posted } = apiMocks(p, r);
    await probot.receive({ id: "big", name: "pull_request", payload: p as never });
    await mlreview.idle();
    expect(scope.pendingMocks()).toEqual([]);
    expect(unexpected).toEqual([]);
    expect(posted[0]!.length).toBeLessThanOrEqual(65_536);
    expect(posted[0]).toMatch(/_\d+ more changed metrics not shown: a comment is limited to 65,536 characters/);
    expect(posted[0]!.trimEnd().endsWith("</sub>")).toBe(true);
  });
});
