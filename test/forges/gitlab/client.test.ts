// The one GitLab client against a strict nock GitLab: retries (what is repeated and what is not),
// Retry-After, the bounded number of attempts, timeouts and the caller's signal, redirects, token
// redaction, and an instance behind a sub-path. Delays are recorded by an injected sleep, never waited.
import nock from "nock";
import { describe, expect, it } from "vitest";
import { GitLabApiError, GitLabClient, MAX_ATTEMPTS, MAX_RETRY_AFTER_MS, retryAfterMs } from "../../../src/forges/gitlab/client.js";
import { recordUnexpectedRequests } from "../../helpers/forge.js";

const GITLAB = "https://gitlab.example.com/gitlab";
const API = `${GITLAB}/api/v4`;
const TOKEN = "glpat-client-test-0123456789";

/** A client whose waits are recorded, and its retry log lines. */
function client(o: { timeoutMs?: number; random?: () => number } = {}) {
  const delays: number[] = [];
  const logs: string[] = [];
  const c = new GitLabClient({
    url: GITLAB,
    token: TOKEN,
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    retry: { sleep: async (ms) => void delays.push(ms), random: o.random ?? (() => 0.5) },
    log: { warn: (obj, msg) => void logs.push(`${JSON.stringify(obj)} ${msg}`) },
  });
  return { c, delays, logs };
}

const runner = { projectId: 42, description: "mlreview gpu 123", tags: ["mlreview-gpu"], maximumTimeoutSeconds: 3600 };

describe("GitLabClient retries", () => {
  const unexpected = recordUnexpectedRequests();

  it("POST /user/runners answered 502 then 201: one runner, created on the second try", async () => {
    const posted: unknown[] = [];
    const scope = nock(API, { reqheaders: { "private-token": TOKEN } })
      .post("/user/runners", (b: unknown) => (posted.push(b), true))
      .reply(502, "<html>Bad Gateway</html>")
      .post("/user/runners", (b: unknown) => (posted.push(b), true))
      .reply(201, { id: 55, token: "glrt-abc", token_expires_at: null });
    const { c, delays } = client();
    expect(await c.createRunner(runner)).toEqual({ id: 55, token: "glrt-abc" });
    expect(scope.pendingMocks()).toEqual([]);
    expect(unexpected).toEqual([]);
    expect(posted).toHaveLength(2);
    expect(posted[1]).toEqual(posted[0]);
    // The first retry waits half the base delay plus half of it times the jitter (0.5 here).
    expect(delays).toEqual([375]);
  });

  it("429 with Retry-After waits what GitLab says (seconds or a date, capped), then succeeds", async () => {
    const scope = nock(API)
      .get("/projects/7")
      .reply(429, { message: "Retry later" }, { "retry-after": "7" })
      .get("/projects/7")
      .reply(429, "", { "retry-after": "86400" })
      .get("/projects/7")
      .reply(200, { id: 7, path_with_namespace: "group/sub/repo" });
    const { c, delays, logs } = client();
    expect(await c.pathWithNamespace(7)).toBe("group/sub/repo");
    expect(scope.pendingMocks()).toEqual([]);
    expect(delays).toEqual([7000, MAX_RETRY_AFTER_MS]);
    expect(logs).toHaveLength(2);
    expect(logs[0]).toContain("GitLab GET /projects/7: HTTP 429, try 2 of 4 in 7000 ms");
    expect(retryAfterMs("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(10_000);
    expect(retryAfterMs("soon")).toBeUndefined();
  });

  it("a 500 on every attempt: a clear error after MAX_ATTEMPTS tries, with exponential delays between them", async () => {
    const scope = nock(API).get("/projects/1/repository/merge_base").query(true).times(MAX_ATTEMPTS).reply(500, { message: "500 Internal Server Error" });
    const { c, delays } = client({ random: () => 0 });
    const err = await c.request("GET", "/projects/1/repository/merge_base?refs[]=main&refs[]=abc").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitLabApiError);
    expect((err as GitLabApiError).message).toBe(`GitLab GET /projects/1/repository/merge_base: HTTP 500 "500 Internal Server Error" (gave up after ${MAX_ATTEMPTS} attempts)`);
    expect((err as GitLabApiError).status).toBe(500);
    expect((err as GitLabApiError).attempts).toBe(MAX_ATTEMPTS);
    expect(scope.pendingMocks()).toEqual([]);
    expect(delays).toEqual([250, 500, 1000]);
    expect(unexpected).toEqual([]);
  });

  it("an artifact download answered 503 is asked again, within the caller's deadline", async () => {
    const scope = nock(API).get("/projects/1/jobs/2/artifacts").reply(503, "busy").get("/projects/1/jobs/2/artifacts").reply(200, "PK", { "content-type": "application/zip" });
    const { c, delays } = client();
    const res = await c.download("/projects/1/jobs/2/artifacts", AbortSignal.timeout(10_000));
    expect(await res.text()).toBe("PK");
    expect(delays).toHaveLength(1);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("a 4xx is GitLab's answer, not an outage: never retried", async () => {
    const scope = nock(API).post("/user/runners").reply(403, { message: "403 Forbidden" });
    const { c, delays } = client();
    await expect(c.createRunner(runner)).rejects.toThrow('GitLab POST /user/runners: HTTP 403 "403 Forbidden"');
    expect(scope.pendingMocks()).toEqual([]);
    expect(delays).toEqual([]);
  });

  it("a reset connection: a GET is sent again, a POST that may have reached GitLab is not; a refused one is", async () => {
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const scope = nock(API)
      .get("/projects/3/jobs/9")
      .replyWithError(reset)
      .get("/projects/3/jobs/9")
      .reply(200, { id: 9, status: "pending", ref: "main", tag_list: ["gpu"] })
      .post("/user/runners")
      .replyWithError(reset)
      .post("/user/runners")
      .replyWithError(refused)
      .post("/user/runners")
      .reply(201, { id: 56, token: "glrt-def" });
    const { c } = client();
    expect(await c.job(3, 9)).toEqual({ id: 9, status: "pending", ref: "main", tag_list: ["gpu"] });
    const err = (await c.createRunner(runner).catch((e: unknown) => e)) as GitLabApiError;
    expect(err).toBeInstanceOf(GitLabApiError);
    expect(err.status).toBe(0);
    expect(err.attempts).toBe(1);
    // Refused: the request never left, so the runner is asked for again.
    expect(await c.createRunner(runner)).toEqual({ id: 56, token: "glrt-def" });
    expect(scope.pendingMocks()).toEqual([]);
    expect(unexpected).toEqual([]);
  });
});

describe("GitLabClient deadlines", () => {
  /** A GitLab that never answers, until the request's signal gives up. */
  const silent = () => {
    const calls: string[] = [];
    const fetch = ((url: string, init: RequestInit) => {
      calls.push(`${init.method} ${url}`);
      return new Promise<Response>((_, reject) => init.signal!.addEventListener("abort", () => reject(init.signal!.reason as Error)));
    }) as unknown as typeof globalThis.fetch;
    return { calls, fetch };
  };

  it("a call with no answer within the timeout is abandoned: a GET retried, a POST not", async () => {
    const { calls, fetch } = silent();
    const c = new GitLabClient({ url: GITLAB, token: TOKEN, fetch, timeoutMs: 5, retry: { sleep: async () => {} } });
    await expect(c.request("GET", "/user")).rejects.toThrow(`GitLab GET /user: no answer within 5 ms (gave up after ${MAX_ATTEMPTS} attempts)`);
    expect(calls).toHaveLength(MAX_ATTEMPTS);
    calls.length = 0;
    await expect(c.request("POST", "/projects/1/statuses/abc", { state: "success" })).rejects.toThrow("GitLab POST /projects/1/statuses/abc: no answer within 5 ms");
    expect(calls).toHaveLength(1);
  });

  it("the caller's signal stops the call, and a wait between tries, at once", async () => {
    const { calls, fetch } = silent();
    const c = new GitLabClient({ url: GITLAB, token: TOKEN, fetch });
    const stop = new AbortController();
    const pending = c.request("GET", "/user", undefined, stop.signal);
    stop.abort();
    await expect(pending).rejects.toThrow("GitLab GET /user: aborted");
    expect(calls).toHaveLength(1);

    // A 503 whose retry would wait a minute: the abort ends the wait (the real sleep, not a recorded one).
    const scope = nock(API).get("/user").reply(503, "", { "retry-after": "60" });
    const later = new AbortController();
    const c2 = new GitLabClient({ url: GITLAB, token: TOKEN, log: { warn: () => later.abort() } });
    await expect(c2.request("GET", "/user", undefined, later.signal)).rejects.toThrow("GitLab GET /user: aborted");
    expect(scope.pendingMocks()).toEqual([]);
    nock.cleanAll();
  });
});

describe("GitLabClient and the token", () => {
  const unexpected = recordUnexpectedRequests();

  it("the token is in no error message, stack, field or log line, even when GitLab echoes it", async () => {
    const scope = nock(API)
      .get("/projects/5")
      .times(MAX_ATTEMPTS)
      .reply(500, { message: `invalid token ${TOKEN} for PRIVATE-TOKEN: ${TOKEN}` })
      .post("/projects/5/uploads")
      .reply(401, `<p>token ${TOKEN} revoked</p>`);
    const { c, logs } = client();
    const errors = [await c.pathWithNamespace(5).catch((e: unknown) => e), await c.request("POST", "/projects/5/uploads", { x: 1 }).catch((e: unknown) => e)] as GitLabApiError[];
    expect(scope.pendingMocks()).toEqual([]);
    expect(unexpected).toEqual([]);
    for (const e of errors) {
      expect(e).toBeInstanceOf(GitLabApiError);
      expect(e.message).toContain("[redacted]");
      expect(`${e.message}\n${e.stack}\n${JSON.stringify(e)}\n${String(e.cause)}`).not.toContain(TOKEN);
    }
    expect(errors[0]!.message).toBe(`GitLab GET /projects/5: HTTP 500 "invalid token [redacted] for PRIVATE-TOKEN: [redacted]" (gave up after ${MAX_ATTEMPTS} attempts)`);
    expect(logs).toHaveLength(MAX_ATTEMPTS - 1);
    expect(logs.join("\n")).not.toContain(TOKEN);
  });

  it("an API redirect is not followed (the token would go with it); a download's redirect is, without the token", async () => {
    const storage = "https://objects.example.net";
    const scope = nock(API)
      .get("/projects/1")
      .reply(302, "", { location: "https://evil.example.org/api/v4/projects/1" })
      .get("/projects/1/jobs/2/artifacts")
      .reply(302, "", { location: `${storage}/bucket/artifacts.zip?sig=1` });
    const objects = nock(storage, { badheaders: ["private-token"] })
      .get("/bucket/artifacts.zip")
      .query({ sig: 1 })
      .reply(200, "PK");
    const { c } = client();
    await expect(c.pathWithNamespace(1)).rejects.toThrow("GitLab GET /projects/1: HTTP 302 redirect not followed");
    const res = await c.download("/projects/1/jobs/2/artifacts", AbortSignal.timeout(10_000));
    expect(await res.text()).toBe("PK");
    expect(scope.pendingMocks()).toEqual([]);
    expect(objects.pendingMocks()).toEqual([]);
    expect(unexpected).toEqual([]);
  });
});

describe("GitLabClient behind a sub-path", () => {
  const unexpected = recordUnexpectedRequests();

  it("GITLAB_URL's path is kept for the API and for runners; the token goes to its origin only", async () => {
    const c = new GitLabClient({ url: "https://git.example.com/tools/gitlab/", token: TOKEN, retry: { sleep: async () => {} } });
    expect(c.url).toBe("https://git.example.com/tools/gitlab");
    expect(c.base).toBe("https://git.example.com/tools/gitlab/api/v4");
    expect(c.origin).toBe("https://git.example.com");
    const scope = nock("https://git.example.com", { reqheaders: { "private-token": TOKEN } })
      .get("/tools/gitlab/api/v4/projects/group%2Fsub%2Frepo/merge_requests/4")
      .reply(200, { source_project_id: 8, target_project_id: 9 })
      .get("/tools/gitlab/api/v4/projects/9/merge_requests/4/notes")
      .query({ sort: "asc", per_page: 100, page: 1 })
      .reply(200, [{ id: 1 }], { "x-next-page": "2" })
      .get("/tools/gitlab/api/v4/projects/9/merge_requests/4/notes")
      .query({ sort: "asc", per_page: 100, page: 2 })
      .reply(200, [{ id: 2 }], { "x-next-page": "" })
      .delete("/tools/gitlab/api/v4/runners/77")
      .reply(404, { message: "404 Not found" });
    expect(await c.mergeRequest("group/sub/repo", 4)).toEqual({ source_project_id: 8, target_project_id: 9 });
    expect(await c.all("/projects/9/merge_requests/4/notes?sort=asc")).toEqual([{ id: 1 }, { id: 2 }]);
    await c.deleteRunner(77);
    expect(scope.pendingMocks()).toEqual([]);
    expect(unexpected).toEqual([]);
  });

  it("a GITLAB_URL that is not an http(s) URL, or that carries credentials, is refused with one line", () => {
    expect(() => new GitLabClient({ url: "gitlab.example.com", token: TOKEN })).toThrow('GITLAB_URL "gitlab.example.com" is not a URL');
    expect(() => new GitLabClient({ url: "ftp://gitlab.example.com", token: TOKEN })).toThrow("is not http(s)");
    expect(() => new GitLabClient({ url: "https://u:p@gitlab.example.com", token: TOKEN })).toThrow("GITLAB_URL must not carry credentials");
    expect(() => new GitLabClient({ url: GITLAB, token: "" })).toThrow("GITLAB_TOKEN is empty");
  });
});
