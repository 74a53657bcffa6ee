// C1 on the server: a pull request whose .mlreview.yml holds a backtracking pattern and whose metrics
// have a 40-`a` key. The report is built in the server's own event loop: /healthz must keep answering,
// and the comment says which pattern was refused.
import { createServer, type Server } from "node:http";
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

const SECRET = "github-webhook-secret";
const privateKey = testPrivateKey("pkcs8");
const A40 = "a".repeat(40);
// GitHub's API (nock) and its git over HTTP on one loopback origin: the token goes only to the configured host.
const forge = await gitHttpServer();
afterAll(() => forge.close());
const API = `${forge.origin}/api/v3`;

describe("C1 on the server", () => {
  const unexpected = recordUnexpectedRequests();
  let server: Server;
  let base: string;
  let mlreview: MlreviewApp;

  beforeAll(async () => {
    mlreview = createApp({ appId: 123, publicUrl: undefined, dataDir: tempDir(), imageKey: "k" });
    const probot = new Probot({ baseUrl: API, appId: 123, privateKey, secret: SECRET, logLevel: "fatal", Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
    const middleware = await createNodeMiddleware(mlreview.app, { probot });
    server = createServer((req, res) => void middleware(req, res, () => res.writeHead(404).end()));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it(
    title("R10"),
    async () => {
      const {
        bare,
        base: baseSha,
        head: headSha,
      } = forgeChange({
        base: { "metrics.json": JSON.stringify({ [A40]: 1, acc: 0.8 }) },
        head: { ".mlreview.yml": 'direction: {"(a+)+b": higher}\n', "metrics.json": JSON.stringify({ [A40]: 2, acc: 0.9 }) },
        message: "attack",
      });
      const p = example<Record<string, any>>("pull_request", "opened");
      p.installation ??= { id: 1 };
      p.repository.clone_url = forge.serve("acme/r10.git", bare);
      Object.assign(p.pull_request.head, { sha: headSha, ref: "feature" });
      Object.assign(p.pull_request.base, { sha: baseSha, ref: "main" });
      const { scope, comment: posted } = mockGitHubReport(API, p, baseSha, headSha);
      const body = JSON.stringify(p);
      const delivered = await fetch(`${base}/api/github/webhooks`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": "d-1", "x-hub-signature-256": await sign(SECRET, body) },
        body,
      });
      expect(delivered.status).toBe(200);
      // While the report is built: each probe must be answered (on today's code the loop is stuck in a RegExp).
      const probes: number[] = [];
      const idle = mlreview.idle();
      let done = false;
      void idle.then(() => (done = true));
      while (!done) {
        const t = performance.now();
        expect((await fetch(`${base}/healthz`)).status).toBe(200);
        probes.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 20));
      }
      await idle;
      expect(Math.max(...probes)).toBeLessThan(2_000);
      expect(unexpected).toEqual([]);
      expect(scope.pendingMocks()).toEqual([]);
      expect(posted().startsWith(MARKER)).toBe(true);
      expect(posted()).toContain("direction.(a+)+b: '(a+)+b': '(' is not glob syntax");
    },
    60_000,
  );
});
