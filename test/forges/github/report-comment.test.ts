import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setCheckRun } from "../../../src/forges/github/check-run.js";
import { ReportComment } from "../../../src/forges/github/report-comment.js";
import { MARKER } from "../../../src/report/index.js";
import { example, testOctokit } from "./helpers.js";

const API = "https://api.github.com";
const APP_ID = 4242;

interface PullRequestEvent {
  number: number;
  repository: { full_name: string };
  pull_request: { head: { sha: string }; base: { ref: string } };
}

const event = example<PullRequestEvent>("pull_request", "opened");
const cr = { repo: event.repository.full_name, number: event.number, headSha: event.pull_request.head.sha, baseRef: event.pull_request.base.ref };
const path = `/repos/${cr.repo}/issues/${cr.number}/comments`;
const ours = (id: number, body: string) => ({ id, body, user: { login: "mlreview[bot]", type: "Bot" }, performed_via_github_app: { id: APP_ID } });
const someone = (id: number, body: string) => ({ id, body, user: { login: "octocat", type: "User" }, performed_via_github_app: null });

describe("GitHub: the one report comment and the check run", () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("creates the comment when none of ours carries the marker (a user's pasted marker does not count)", async () => {
    const scope = nock(API)
      .get(path)
      .query({ per_page: 100 })
      .reply(200, [someone(1, `${MARKER} copied`)])
      .post(path, { body: `${MARKER}\nreport` })
      .reply(201, { id: 77 });
    const r = await new ReportComment(testOctokit(), APP_ID).upsert(cr, `${MARKER}\nreport`);
    expect(r).toEqual({ id: 77, action: "created" });
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("finds ours on page 3 and edits it in place", async () => {
    const link = (page: number) => `<${API}${path}?per_page=100&page=${page}>; rel="next"`;
    const scope = nock(API)
      .get(path)
      .query({ per_page: 100 })
      .reply(
        200,
        Array.from({ length: 100 }, (_, i) => someone(i + 1, "chatter")),
        { link: link(2) },
      )
      .get(path)
      .query({ per_page: 100, page: 2 })
      .reply(
        200,
        Array.from({ length: 100 }, (_, i) => someone(i + 101, "more")),
        { link: link(3) },
      )
      .get(path)
      .query({ per_page: 100, page: 3 })
      .reply(200, [ours(555, `${MARKER}\nold`)])
      .patch(`/repos/${cr.repo}/issues/comments/555`, { body: `${MARKER}\nnew` })
      .reply(200, { id: 555 });
    const r = await new ReportComment(testOctokit(), APP_ID).upsert(cr, `${MARKER}\nnew`);
    expect(r).toEqual({ id: 555, action: "updated" });
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("sends nothing when the report did not change, and folds duplicates from a race into one", async () => {
    const scope = nock(API)
      .get(path)
      .query({ per_page: 100 })
      .reply(200, [ours(10, `${MARKER}\nsame`), ours(11, `${MARKER}\nsame`)])
      .delete(`/repos/${cr.repo}/issues/comments/11`)
      .reply(204);
    const r = await new ReportComment(testOctokit(), APP_ID).upsert(cr, `${MARKER}\nsame`);
    expect(r).toEqual({ id: 10, action: "unchanged" });
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("ours without the app field is found by our own bot user's login, asked of GET /app once; another bot's is left alone", async () => {
    const bare = (id: number, login: string, body: string) => ({ id, body, user: { login, type: "Bot" }, performed_via_github_app: null });
    const scope = nock(API)
      .get(path)
      .query({ per_page: 100 })
      .reply(200, [bare(5, "other[bot]", `${MARKER}\ntheirs`), bare(6, "mlreview[bot]", `${MARKER}\nold`)])
      .get("/app")
      .reply(200, { id: APP_ID, slug: "mlreview" })
      .patch(`/repos/${cr.repo}/issues/comments/6`, { body: `${MARKER}\nnew` })
      .reply(200, { id: 6 });
    const r = await new ReportComment(testOctokit(), APP_ID).upsert(cr, `${MARKER}\nnew`);
    expect(r).toEqual({ id: 6, action: "updated" });
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("sets the mlreview check run on the head commit", async () => {
    const scope = nock(API)
      .post(`/repos/${cr.repo}/check-runs`, {
        name: "mlreview",
        head_sha: cr.headSha,
        status: "completed",
        conclusion: "failure",
        output: { title: "1 threshold crossed", summary: "- acc dropped" },
      })
      .reply(201, { id: 1 });
    await setCheckRun(testOctokit(), cr, { conclusion: "failure", title: "1 threshold crossed", summary: "- acc dropped" });
    expect(scope.pendingMocks()).toEqual([]);
  });
});
