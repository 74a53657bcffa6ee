// Octokit's own retry and throttling plugins, kept on as in production (Probot's ProbotOctokit), with
// small base delays so that a retry-after of 1 is milliseconds here; and the per-attempt timeout and
// the task deadline of src/forges/github/request-deadline.ts.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Bottleneck from "bottleneck";
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../../src/app/index.js";
import { withDeadline } from "../../../src/forges/github/request-deadline.js";
import { MemoryQueue } from "../../../src/queue/memory.js";
import { MARKER } from "../../../src/report/index.js";
import { recordUnexpectedRequests } from "../../helpers/forge.js";
import { githubOnLoopback } from "../../helpers/git-http.js";
import { tempDir } from "../../helpers/git-repo.js";
import { accPullRequest } from "./helpers.js";
import { testPrivateKey } from "../../helpers/keys.js";

const { api: API, cloneUrl } = await githubOnLoopback();
const privateKey = testPrivateKey("pkcs8");
/**
 * Retries on; one "second" of retry-after or backoff is 5 ms, and so are the seconds plugin-throttling
 * spaces requests by: its write group (1 s between writes) and its notifications group (3 s between writes
 * that notify, a comment among them), here the same groups, one request at a time, at 5 and 15 ms.
 */
const write = new Bottleneck.Group({ id: "octokit-write", maxConcurrent: 1, minTime: 5 });
const notifications = new Bottleneck.Group({ id: "octokit-notifications", maxConcurrent: 1, minTime: 15 });
const RetryingOctokit = ProbotOctokit.defaults((o: object) => ({ ...o, retry: { retryAfterBaseValue: 5 }, throttle: { retryAfterBaseValue: 5, write, notifications } }));

describe("GitHub retries inside one task (plugin-retry, plugin-throttling)", () => {
  const unexpected = recordUnexpectedRequests();

  it("a 502 on the comment and a secondary rate limit (403, retry-after) on the check run: each retried by Octokit, the task never fails", async () => {
    const { p, base, head, repo } = accPullRequest(cloneUrl);
    const comments: string[] = [];
    let checks = 0;
    // Strictly once each, in order: a second compare or comment list would mean the task was retried.
    const scope = nock(API)
      .post(`/app/installations/${p.installation.id}/access_tokens`)
      .reply(201, { token: "ghs_retriesTokenAbcdef123456", expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .get(`${repo}/compare/${base}...${head}`)
      .query(true)
      .reply(200, { merge_base_commit: { sha: base } })
      .get(`${repo}/issues/${p.number}/comments`)
      .query(true)
      .reply(200, [])
      .post(`${repo}/issues/${p.number}/comments`)
      .reply(502, { message: "Server Error" })
      .post(`${repo}/issues/${p.number}/comments`, (b: { body: string }) => (comments.push(b.body), true))
      .reply(201, { id: 7 })
      .post(`${repo}/check-runs`)
      .reply(403, { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }, { "retry-after": "1" })
      .post(`${repo}/check-runs`, () => (checks++, true))
      .reply(201, { id: 1 });
    const failures: unknown[] = [];
    const mlreview = createApp({ appId: 1, publicUrl: undefined, dataDir: tempDir(), imageKey: "k" }, { queue: new MemoryQueue((_t, e) => failures.push(e), { retryDelayMs: 20 }) });
    const probot = new Probot({ baseUrl: API, appId: 1, privateKey, logLevel: "fatal", Octokit: RetryingOctokit });
    await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
    await probot.receive({ id: "r1", name: "pull_request", payload: p as never });
    await mlreview.idle();
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(failures).toEqual([]);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.startsWith(MARKER)).toBe(true);
    expect(checks).toBe(1);
  });
});

/** A loopback API whose first `stall` requests are accepted and never answered; the rest answer 200. */
async function stallingApi(stall: number) {
  const seen: IncomingMessage[] = [];
  const held: ServerResponse[] = [];
  let arrived: () => void = () => {};
  const first = new Promise<void>((ok) => (arrived = ok));
  const server = createServer((req, res) => {
    seen.push(req);
    arrived();
    if (seen.length <= stall) return void held.push(res);
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok": true}');
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    first,
    close: () => new Promise<void>((ok) => (server.closeAllConnections(), server.close(() => ok()))),
  };
}

describe("GitHub request deadline: a timeout per attempt, none after the task's deadline", () => {
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it("an attempt that stalls is abandoned and retried: the call succeeds on the next attempt", async () => {
    const api = await stallingApi(1);
    servers.push(api);
    const octokit = withDeadline(new ProbotOctokit({ auth: { token: "ghs_attemptTokenAbcdef12345" }, baseUrl: api.url, retry: { retryAfterBaseValue: 1 } }), new AbortController().signal, { attemptMs: 200 });
    const { data } = await octokit.request("GET /repos/acme/model");
    expect(data).toEqual({ ok: true });
    expect(api.seen.map((r) => r.url)).toEqual(["/repos/acme/model", "/repos/acme/model"]);
  });

  it("once the task's deadline fires during an attempt, the call fails and no attempt follows", async () => {
    const api = await stallingApi(Infinity);
    servers.push(api);
    const attempts: string[] = [];
    const counting: typeof fetch = (input, init) => (attempts.push(String(input)), fetch(input, init));
    const deadline = new AbortController();
    const octokit = withDeadline(new ProbotOctokit({ auth: { token: "ghs_deadlineTokenAbcdef1234" }, baseUrl: api.url, retry: { retryAfterBaseValue: 1 }, request: { fetch: counting } }), deadline.signal);
    const call = octokit.request("GET /repos/acme/model");
    await api.first;
    deadline.abort();
    await expect(call).rejects.toThrow();
    expect(attempts).toHaveLength(1);
    expect(api.seen).toHaveLength(1);
  });
});
