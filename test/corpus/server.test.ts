// Forged, malformed and oversized webhook deliveries against the real server on a loopback port (GitHub
// and GitLab endpoints of one app): each is a 4xx or is answered and handled without harm; afterwards
// the server still serves /healthz and still posts the report of a good signed delivery.
import { createHmac } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sign } from "@octokit/webhooks-methods";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type MlreviewApp } from "../../src/app/index.js";
import { MARKER } from "../../src/report/index.js";
import { example, mockGitHubReport } from "../forges/github/helpers.js";
import { forgeChange, recordUnexpectedRequests } from "../helpers/forge.js";
import { gitHttpServer } from "../helpers/git-http.js";
import { tempDir } from "../helpers/git-repo.js";
import { title } from "./cases.js";
import { testPrivateKey } from "../helpers/keys.js";

// GitHub's API (mocked with nock) and its git over HTTP (git http-backend) on one loopback origin, as
// the bot only sends its token to the configured GitHub host (Probot's baseUrl, GHE_HOST).
const forge = await gitHttpServer();
afterAll(() => forge.close());
let served = 0;
const cloneUrl = (bare: string) => forge.serve(`acme/repo-${++served}.git`, bare);
const API = `${forge.origin}/api/v3`;

const SECRET = "github-webhook-secret";
const GL_SECRET = "gitlab-hook-secret";
const privateKey = testPrivateKey("pkcs8");

let server: Server;
let base: string;
let mlreview: MlreviewApp;

interface Sent {
  status: number;
  ms: number;
}

/** One raw request: full control of headers and of how the body is sent (length or chunked). */
function send(path: string, headers: Record<string, string>, body: Buffer | string, opts: { chunked?: boolean } = {}): Promise<Sent> {
  const t = performance.now();
  const data = Buffer.from(body);
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: "POST", headers: opts.chunked ? headers : { ...headers, "content-length": String(data.length) } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t }));
    });
    // The server may answer and close before an oversized body is sent: that answer is what counts; a
    // connection reset with no answer at all is status 0.
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE" || e.code === "ECONNRESET") setTimeout(() => resolve({ status: 0, ms: performance.now() - t }), 500);
      else reject(e);
    });
    if (opts.chunked) for (let o = 0; o < data.length; o += 64 * 1024) req.write(data.subarray(o, o + 64 * 1024));
    else req.write(data);
    req.end();
  });
}

const pr = () => {
  const p = example<Record<string, any>>("pull_request", "opened");
  p.installation ??= { id: 1 };
  return p;
};
const gh = (event: string | undefined, signature: Record<string, string>, extra: Record<string, string> = {}) => ({
  "content-type": "application/json",
  "x-github-delivery": `d-${Math.random()}`,
  ...(event ? { "x-github-event": event } : {}),
  ...signature,
  ...extra,
});
const sha256 = async (body: string | Buffer) => ({ "x-hub-signature-256": await sign(SECRET, body.toString()) });
const gl = (token: string | undefined, event = "Merge Request Hook") => ({ "content-type": "application/json", "x-gitlab-event": event, ...(token === undefined ? {} : { "x-gitlab-token": token }) });

describe("hostile webhook deliveries: a 4xx or a harmless answer, and the server keeps serving", () => {
  const unexpected = recordUnexpectedRequests();

  beforeAll(async () => {
    mlreview = createApp({ appId: 123, publicUrl: undefined, dataDir: tempDir(), imageKey: "k", gitlab: { url: "https://gitlab.example.com", token: "glpat-x", secret: GL_SECRET } });
    const probot = new Probot({ baseUrl: API, appId: 123, privateKey, secret: SECRET, logLevel: "fatal", Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
    const middleware = await createNodeMiddleware(mlreview.app, { probot });
    server = createServer((req, res) => void middleware(req, res, () => res.writeHead(404).end()));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  const GH = "/api/github/webhooks";
  const GL = "/gitlab/webhook";
  const body = JSON.stringify(pr());
  const cases: { id: string; run: () => Promise<Sent>; status: number | [number, number] }[] = [
    { id: "W01", run: async () => send(GH, gh("pull_request", { "x-hub-signature-256": await sign("wrong", body) }), body), status: 400 },
    { id: "W02", run: async () => send(GH, gh("pull_request", { "x-hub-signature": `sha1=${createHmac("sha1", SECRET).update(body).digest("hex")}` }), body), status: 400 },
    { id: "W03", run: async () => send(GH, gh("pull_request", { "x-hub-signature-256": "" }), body), status: 400 },
    { id: "W04", run: async () => send(GH, gh("pull_request", { "x-hub-signature-256": (await sign(SECRET, body)).slice(0, 30) }), body), status: 400 },
    { id: "W05", run: async () => send(GH, gh("pull_request", {}), body), status: 400 },
    { id: "W06", run: async () => send(GH, gh("pull_request", await sha256(`${body} `)), body), status: 400 },
    { id: "W07", run: async () => send(GH, gh("pull_request", { "x-hub-signature-256": "sha256=00" }), Buffer.alloc(30 * 1024 * 1024, 0x20)), status: [400, 499] },
    { id: "W08", run: async () => send(GH, gh("pull_request", await sha256("{not json")), "{not json"), status: 400 },
    { id: "W09", run: async () => send(GH, gh("pull_request", await sha256(body), { "content-type": "text/plain" }), body), status: [400, 499] },
    { id: "W10", run: async () => send(GH, gh(undefined, await sha256(body)), body), status: 400 },
    { id: "W11", run: async () => send(GH, gh("pull_request", await sha256('{"action": "opened"}')), '{"action": "opened"}'), status: [200, 499] },
    { id: "W12", run: () => send(GL, gl("wrong"), "{}"), status: 401 },
    { id: "W13", run: () => send(GL, gl(undefined), "{}"), status: 401 },
    { id: "W14", run: () => send(GL, gl("t".repeat(10 * 1024)), "{}"), status: 401 },
    { id: "W15", run: () => send(GL, gl(GL_SECRET), Buffer.alloc(6 * 1024 * 1024, 0x20)), status: 413 },
    { id: "W16", run: () => send(GL, gl(GL_SECRET), Buffer.alloc(6 * 1024 * 1024, 0x20), { chunked: true }), status: 413 },
    { id: "W17", run: () => send(GL, gl(GL_SECRET), "{not json"), status: 400 },
    { id: "W18", run: async () => ((a, b) => (a.status === b.status ? a : { status: -1, ms: 0 }))(await send(GL, gl(GL_SECRET), "[1, 2]"), await send(GL, gl(GL_SECRET), "null")), status: 400 },
    { id: "W19", run: () => send(GL, gl(GL_SECRET), JSON.stringify({ object_kind: "merge_request", object_attributes: { action: "open" } })), status: 200 },
  ];

  // Known bugs in src/app (reported to the lead, who owns it): these cases run and are expected to fail
  // until fixed; `it.fails` turns red then, and the id comes off this list.
  //  W11: a signed pull_request without `pull_request` makes the handler throw, and Probot answers 500.
  //  W16: a chunked body over 5 MB gets its connection reset (req.destroy()) instead of the 413.
  const KNOWN_APP_BUGS = new Set<string>();

  for (const c of cases) {
    (KNOWN_APP_BUGS.has(c.id) ? it.fails : it)(title(c.id), async () => {
      const r = await c.run();
      if (typeof c.status === "number") expect(r.status).toBe(c.status);
      else {
        expect(r.status).toBeGreaterThanOrEqual(c.status[0]);
        expect(r.status).toBeLessThanOrEqual(c.status[1]);
      }
      expect(r.ms).toBeLessThan(10_000);
      await mlreview.idle();
      expect(unexpected).toEqual([]);
    });
  }

  it(title("W20"), async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // A good signed delivery is still processed end to end.
    const { bare, base: baseSha, head: headSha } = forgeChange({ base: { "metrics.json": '{"acc": 0.8}' }, head: { "metrics.json": '{"acc": 0.9}' }, message: "better" });
    const p = pr();
    p.repository.clone_url = cloneUrl(bare);
    Object.assign(p.pull_request.head, { sha: headSha, ref: "feature" });
    Object.assign(p.pull_request.base, { sha: baseSha, ref: "main" });
    const { scope, comment: posted } = mockGitHubReport(API, p, baseSha, headSha);
    const good = JSON.stringify(p);
    expect((await send(GH, gh("pull_request", await sha256(good)), good)).status).toBe(200);
    await mlreview.idle();
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(posted().startsWith(MARKER)).toBe(true);
    expect(posted()).toContain("| metrics.json | acc | 0.8 | 0.9 | ▲ +0.1 | +12.5% |");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
