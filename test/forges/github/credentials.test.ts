// The installation token never leaves in an error or a log line, even when GitHub's API or its git
// server echoes it back (a proxy, a misconfigured Enterprise server): issue 12, token redaction.
import { Writable } from "node:stream";
import nock from "nock";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app/index.js";
import { MemoryQueue } from "../../../src/queue/memory.js";
import { recordUnexpectedRequests } from "../../helpers/forge.js";
import { githubOnLoopback } from "../../helpers/git-http.js";
import { tempDir } from "../../helpers/git-repo.js";
import { accPullRequest } from "./helpers.js";
import { testPrivateKey } from "../../helpers/keys.js";

const { forge, api: API, cloneUrl } = await githubOnLoopback();
const privateKey = testPrivateKey("pkcs8");
const TOKEN = "ghs_echoedInstallationToken0123456789";
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");

const pullRequest = accPullRequest;

/** The app with a queue whose failures are logged as the server logs them (pino, `err`), without the production log redactor. */
async function load() {
  const lines: string[] = [];
  const log = pino({ level: "trace" }, new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }));
  const failures: unknown[] = [];
  const queue = new MemoryQueue((task, e) => (failures.push(e), log.error({ err: e, kind: task.kind, key: task.key }, "mlreview: task failed")), { retryDelayMs: 5 });
  const mlreview = createApp({ appId: 1, publicUrl: undefined, dataDir: tempDir(), imageKey: "k" }, { queue });
  const probot = new Probot({ baseUrl: API, appId: 1, privateKey, log, Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
  await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
  return { probot, mlreview, lines, failures };
}

const text = (e: unknown) => (e instanceof Error ? `${e.message}\n${e.stack}\n${JSON.stringify({ ...e })}` : String(e));

describe("the installation token is redacted from every error and log line", () => {
  const unexpected = recordUnexpectedRequests();

  it("an API error whose message echoes the token: logged and retried without it", async () => {
    const { p, base, head, repo } = pullRequest(cloneUrl);
    const scope = nock(API)
      .post(`/app/installations/${p.installation.id}/access_tokens`)
      .reply(201, { token: TOKEN, expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .get(`${repo}/compare/${base}...${head}`)
      .query(true)
      .reply(200, { merge_base_commit: { sha: base } })
      .get(`${repo}/issues/${p.number}/comments`)
      .query(true)
      .reply(200, [])
      .post(`${repo}/issues/${p.number}/comments`)
      .reply(200, { id: 3 })
      .post(`${repo}/check-runs`)
      .reply(422, { message: `Validation Failed: credentials token ${TOKEN} are not allowed here` });
    // The queue's retries of the task meet the same failure (each lists no comment of ours and writes one again).
    nock(API)
      .persist()
      .get(`${repo}/compare/${base}...${head}`)
      .query(true)
      .reply(200, { merge_base_commit: { sha: base } })
      .get(`${repo}/issues/${p.number}/comments`)
      .query(true)
      .reply(200, [])
      .post(`${repo}/issues/${p.number}/comments`)
      .reply(200, { id: 3 })
      .post(`${repo}/check-runs`)
      .reply(422, { message: `Validation Failed: credentials token ${TOKEN} are not allowed here` });
    const { probot, mlreview, lines, failures } = await load();
    await probot.receive({ id: "c1", name: "pull_request", payload: p as never });
    await mlreview.idle();
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(failures.length).toBeGreaterThan(0);
    for (const e of failures) {
      expect(text(e)).toContain("Validation Failed: credentials token [REDACTED] are not allowed here");
      expect(text(e)).not.toContain(TOKEN);
      expect((e as { status?: number }).status).toBe(422);
    }
    expect(lines.join("")).toContain("[REDACTED]");
    expect(lines.join("")).not.toContain(TOKEN);
  });

  it("a git server that echoes the Authorization header in its error: the fetch fails without the token or its basic-auth form", async () => {
    const path = "/acme/echo.git";
    // A git "ERR" packet on the ref advertisement: git prints `fatal: remote error: <text>` and stops.
    forge.route(path, (req, res) => {
      const auth = req.headers.authorization ?? "";
      const decoded = Buffer.from(auth.replace(/^Basic /, ""), "base64").toString();
      const line = `ERR access denied for ${auth} (${decoded})\n`;
      res.writeHead(200, { "content-type": "application/x-git-upload-pack-advertisement" });
      res.end(`${(line.length + 4).toString(16).padStart(4, "0")}${line}`);
    });
    const { p, base, head, repo } = pullRequest(() => `${forge.origin}${path}`);
    const scope = nock(API)
      .post(`/app/installations/${p.installation.id}/access_tokens`)
      .reply(201, { token: TOKEN, expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .get(`${repo}/compare/${base}...${head}`)
      .query(true)
      .reply(200, { merge_base_commit: { sha: base } });
    nock(API)
      .persist()
      .get(`${repo}/compare/${base}...${head}`)
      .query(true)
      .reply(200, { merge_base_commit: { sha: base } });
    // Each failed attempt shows as a neutral check whose reason is git's line, redacted.
    const checks: string[] = [];
    nock(API)
      .post(`${repo}/check-runs`, (b: object) => (checks.push(JSON.stringify(b)), true))
      .times(5)
      .reply(201, { id: 1 });
    const { probot, mlreview, lines, failures } = await load();
    await probot.receive({ id: "c2", name: "pull_request", payload: p as never });
    await mlreview.idle();
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    // git did send the credential (so the echo held it), and the failure says what the server said, redacted.
    expect(forge.requests.filter((q) => q.path.startsWith(path)).every((q) => q.authorization === `Basic ${BASIC}`)).toBe(true);
    expect(failures.length).toBeGreaterThan(0);
    for (const e of failures) {
      expect(text(e)).toMatch(/remote error: access denied for Basic \[REDACTED\] \(x-access-token:\[REDACTED\]\)/);
      expect(text(e)).not.toContain(TOKEN);
      expect(text(e)).not.toContain(BASIC);
    }
    expect(lines.join("")).not.toContain(TOKEN);
    expect(lines.join("")).not.toContain(BASIC);
    expect(checks).toHaveLength(failures.length);
    for (const c of checks) {
      expect(JSON.parse(c)).toMatchObject({ conclusion: "neutral", output: { title: expect.stringMatching(/^mlreview could not build the report: .*remote error: access denied/) } });
      expect(c).not.toContain(TOKEN);
      expect(c).not.toContain(BASIC);
    }
  });
});
