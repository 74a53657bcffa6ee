import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../../src/app/index.js";
import { RedisQueue } from "../../../src/queue/redis.js";
import { MARKER } from "../../../src/report/index.js";
import { bareRemote, recordUnexpectedRequests } from "../../helpers/forge.js";
import { githubOnLoopback } from "../../helpers/git-http.js";
import { git, makeRepo, tempDir, writeFiles } from "../../helpers/git-repo.js";
import { startRedis, type RedisServer } from "../../helpers/redis.js";
import { example } from "./helpers.js";
import { testPrivateKey } from "../../helpers/keys.js";

const { api: API, cloneUrl } = await githubOnLoopback();
const privateKey = testPrivateKey("pkcs8");

describe("two replicas on one Redis (REDIS_URL)", () => {
  const unexpected = recordUnexpectedRequests();
  let redis: RedisServer;
  beforeAll(async () => (redis = await startRedis()));
  afterAll(async () => redis.stop());

  async function replica(prefix: string) {
    const queue = new RedisQueue(redis.url, { prefix, lockDurationMs: 5_000 });
    const mlreview = createApp({ appId: 1, publicUrl: undefined, dataDir: tempDir(), imageKey: "k" }, { queue });
    const probot = new Probot({ baseUrl: API, appId: 1, privateKey, logLevel: "fatal", Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
    await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
    return { probot, mlreview, queue };
  }

  it("a delivery to one replica and its redelivery to the other make one report; the newest push wins", async () => {
    const work = makeRepo({ commits: [{ "metrics.json": '{"acc": 0.5}' }] });
    const base = git(work, "rev-parse", "HEAD").trim();
    git(work, "checkout", "-q", "-b", "feature");
    writeFiles(work, { "metrics.json": '{"acc": 0.6}' });
    git(work, "commit", "-qam", "1");
    const head1 = git(work, "rev-parse", "HEAD").trim();
    writeFiles(work, { "metrics.json": '{"acc": 0.7}' });
    git(work, "commit", "-qam", "2");
    const head2 = git(work, "rev-parse", "HEAD").trim();
    const bare = bareRemote(work);
    const payload = (head: string) => {
      const p = example<Record<string, any>>("pull_request", "synchronize");
      p.installation ??= { id: 1 };
      p.repository.clone_url = cloneUrl(bare);
      Object.assign(p.pull_request.head, { sha: head, ref: "feature" });
      Object.assign(p.pull_request.base, { sha: base, ref: "main" });
      return p;
    };
    const p1 = payload(head1);
    const repo = `/repos/${p1.repository.full_name}`;
    const posted: string[] = [];
    nock(API)
      .persist()
      .post(/\/app\/installations\/\d+\/access_tokens/)
      .reply(201, { token: "ghs_r", expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .get(new RegExp(`${repo}/compare/`))
      .query(true)
      .reply(200, { merge_base_commit: { sha: base } })
      .get(`${repo}/issues/${p1.number}/comments`)
      .query(true)
      .reply(200, () => posted.map((body, i) => ({ id: i + 1, body, user: { type: "Bot" }, performed_via_github_app: { id: 1 } })))
      .post(`${repo}/issues/${p1.number}/comments`, (b: { body: string }) => (posted.push(b.body), true))
      .reply(201, { id: 1 })
      // Only when the first head's report was posted before the second's (the first may be dropped as stale).
      .patch(/\/issues\/comments\/\d+/, (b: { body: string }) => (posted.push(b.body), true))
      .optionally()
      .reply(200, {})
      .post(`${repo}/check-runs`)
      .reply(201, {});
    const a = await replica("rep1");
    const b = await replica("rep1");
    try {
      await a.probot.receive({ id: "d1", name: "pull_request", payload: p1 as never });
      await b.probot.receive({ id: "d1", name: "pull_request", payload: p1 as never }); // GitHub redelivers to the other replica
      await b.probot.receive({ id: "d2", name: "pull_request", payload: payload(head2) as never });
      await a.mlreview.idle();
      await b.mlreview.idle();
    } finally {
      await a.queue.close();
      await b.queue.close();
    }
    expect(unexpected).toEqual([]);
    // The first head reached both replicas (a delivery and its redelivery): posted at most once, whichever replica took it.
    expect(posted.filter((p) => p.includes("| 0.5 | 0.6 |")).length).toBeLessThanOrEqual(1);
    expect(posted.every((p) => p.startsWith(MARKER))).toBe(true);
    expect(posted.at(-1)).toContain("| metrics.json | acc | 0.5 | 0.7 |"); // the newest head's report is what remains
    expect(posted.filter((p) => p.includes("| 0.5 | 0.7 |"))).toHaveLength(1); // and it was posted once
  }, 60_000);
});
