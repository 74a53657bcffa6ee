import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app/index.js";
import { MemoryQueue } from "../../../src/queue/memory.js";
import { MARKER } from "../../../src/report/index.js";
import { recordUnexpectedRequests } from "../../helpers/forge.js";
import { githubOnLoopback } from "../../helpers/git-http.js";
import { tempDir } from "../../helpers/git-repo.js";
import { accPullRequest } from "./helpers.js";
import { testPrivateKey } from "../../helpers/keys.js";

const { api: API, cloneUrl } = await githubOnLoopback();
const privateKey = testPrivateKey("pkcs8");

describe("faults: GitHub 5xx and secondary rate limits", () => {
  const unexpected = recordUnexpectedRequests();

  it("a 502 on the comment and a secondary rate limit on the check run: retried, completed, one comment, nothing twice", async () => {
    const { p, base, head, repo } = accPullRequest(cloneUrl);
    const comments: { id: number; body: string }[] = [];
    const checks: string[] = [];
    const scope = nock(API)
      .post(`/app/installations/${p.installation.id}/access_tokens`)
      .reply(201, { token: "ghs_f", expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .get(`${repo}/compare/${base}...${head}`)
      .query(true)
      .times(3)
      .reply(200, { merge_base_commit: { sha: base } })
      .get(`${repo}/issues/${p.number}/comments`)
      .query(true)
      .times(3)
      .reply(200, () => comments.map((c) => ({ ...c, user: { type: "Bot" }, performed_via_github_app: { id: 1 } })))
      // Attempt 1: GitHub fails the comment; the failed attempt shows as a neutral check.
      .post(`${repo}/issues/${p.number}/comments`)
      .reply(502, { message: "Server Error" })
      // Attempt 2: the comment is created, then the check run hits a secondary rate limit (neutral check again).
      .post(`${repo}/issues/${p.number}/comments`, (b: { body: string }) => (comments.push({ id: 7, body: b.body }), true))
      .reply(201, { id: 7 })
      // Attempt 3: the comment exists and has not changed (no write); the check run goes through.
      .post(`${repo}/check-runs`, (b: { conclusion: string; output: { title: string } }) => (checks.push(`${b.conclusion}: ${b.output.title}`), true))
      .times(4)
      .reply(function () {
        return checks.length === 2 ? [403, { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }, { "retry-after": "0" }] : [201, { id: checks.length }];
      });
    const mlreview = createApp({ appId: 1, publicUrl: undefined, dataDir: tempDir(), imageKey: "k" }, { queue: new MemoryQueue(undefined, { retryDelayMs: 20 }) });
    const probot = new Probot({ baseUrl: API, appId: 1, privateKey, logLevel: "fatal", Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
    await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
    await probot.receive({ id: "f1", name: "pull_request", payload: p as never });
    await mlreview.idle();
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body.startsWith(MARKER)).toBe(true);
    // The two failed attempts each showed as neutral with their reason; the last check is the report's.
    expect(checks).toHaveLength(4);
    expect(checks[0]).toBe("neutral: mlreview could not build the report: Server Error");
    expect(checks[1]).toMatch(/^success: /);
    expect(checks[2]).toMatch(/^neutral: .*secondary rate limit/);
    expect(checks[3]).toBe(checks[1]);
  });
});
