import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import nock from "nock";
import { ProbotOctokit } from "probot";
import { forgeChange } from "../../helpers/forge.js";

/** A real webhook payload from @octokit/webhooks-examples (GitHub's own documentation examples). */
export function example<T = Record<string, unknown>>(event: string, action?: string): T {
  const e = (examples as { name: string; examples: Record<string, unknown>[] }[]).find((x) => x.name === event);
  const found = e?.examples.find((p) => action === undefined || p.action === action);
  if (!found) throw new Error(`no example for ${event}.${action}`);
  return structuredClone(found) as T;
}

/** An installation Octokit as Probot builds it, without retries or throttling so nock sees every call once. */
export function testOctokit(): InstanceType<typeof ProbotOctokit> {
  return new ProbotOctokit({ auth: { token: "test-token" }, retry: { enabled: false }, throttle: { enabled: false } });
}

/**
 * The GitHub calls of one pull request report, strictly in order: installation token, compare (the
 * merge-base is `base`), the comment list (empty), the new comment, the check run. `comment()` is what
 * was posted.
 */
export interface PullRequestFields {
  installation: { id: number };
  repository: { full_name: string };
  pull_request: { number: number };
}

export function mockGitHubReport(api: string, payload: object, base: string, head: string) {
  const p = payload as PullRequestFields;
  const repo = `/repos/${p.repository.full_name}`;
  let comment = "";
  const scope = nock(api)
    .post(`/app/installations/${p.installation.id}/access_tokens`)
    .reply(201, { token: "ghs_x", expires_at: new Date(Date.now() + 3600_000).toISOString() })
    .get(`${repo}/compare/${base}...${head}`)
    .query(true)
    .reply(200, { merge_base_commit: { sha: base } })
    .get(`${repo}/issues/${p.pull_request.number}/comments`)
    .query(true)
    .reply(200, [])
    .post(`${repo}/issues/${p.pull_request.number}/comments`, (b: { body: string }) => ((comment = b.body), true))
    .reply(201, { id: 1 })
    .post(`${repo}/check-runs`)
    .reply(201, { id: 1 });
  return { scope, comment: () => comment };
}

/**
 * A pull request whose head raises metrics.json's acc from 0.5 to 0.6: the repository, its bare remote
 * served at `url(bare)`, and an `opened` payload pointing at both commits.
 */
export function accPullRequest(url: (bare: string) => string) {
  const { bare, base, head } = forgeChange({ base: { "metrics.json": '{"acc": 0.5}' }, head: { "metrics.json": '{"acc": 0.6}' }, message: "better" });
  const p = example<Record<string, any>>("pull_request", "opened");
  p.installation ??= { id: 1 };
  p.repository.clone_url = url(bare);
  Object.assign(p.pull_request.head, { sha: head, ref: "feature" });
  Object.assign(p.pull_request.base, { sha: base, ref: "main" });
  return { p, base, head, repo: `/repos/${p.repository.full_name}` };
}
