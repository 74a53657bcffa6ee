import { describe, expect, it } from "vitest";
import { MemoryQueue } from "../../src/queue/memory.js";
import { DeadlineError, type Task } from "../../src/queue/task.js";
import { reviewChange } from "../../src/review/index.js";
import { MAX_REASON_CHARS } from "../../src/review/failure.js";
import { directContext, fakeSession, reviewDirs, servedChange, stallingProxy } from "./session.js";

const BASE = { "metrics.json": '{"acc": 0.5}' };
const HEAD = { "metrics.json": '{"acc": 0.75}' };
const TOKEN = "ghs_S3cretT0kenValue";

// Two changes, each with its own served repository and directories: reviewed at once.
describe.concurrent("reviewChange: one change reviewed through a forge-neutral session", () => {
  it("fetches both sides over HTTP with the token to the forge only, posts the report and its check", async () => {
    const served = await servedChange(BASE, HEAD);
    const session = fakeSession({ base: served.base, head: served.head, clone: () => ({ url: served.url, forgeOrigin: served.origin, token: TOKEN, username: "x-access-token" }) });
    await reviewChange(session, { configFiles: [".mlreview.yml"], ...reviewDirs(), ctx: directContext(new AbortController().signal), signal: new AbortController().signal });
    expect(session.comments).toHaveLength(1);
    expect(session.comments[0]).toContain("acc");
    expect(session.comments[0]).toContain("0.75");
    expect(session.checks.map((c) => c.conclusion)).toEqual(["success"]);
    expect(served.requests.length).toBeGreaterThan(0);
    expect(served.requests.every((r) => r.authorization === `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}`)).toBe(true);
  });

  it("the head's CI results are laid over the head (the artifact the config names); a failed read is one line and the commit is compared", async () => {
    const cfg = "metrics: [metrics.json]\nartifacts: {name: results}\n";
    const served = await servedChange({ ...BASE, ".gitlab/mlreview.yml": cfg }, { ...HEAD, ".gitlab/mlreview.yml": cfg });
    const clone = () => ({ url: served.url, forgeOrigin: served.origin, token: TOKEN, username: "oauth2" });
    const asked: { name: string }[] = [];
    const good = fakeSession({ base: served.base, head: served.head, clone, artifacts: async (wanted) => (asked.push(wanted), { head: new Map([["metrics.json", Buffer.from('{"acc": 0.9}')]]) }) });
    const signal = new AbortController().signal;
    // GitLab's config location: only the forge module's configFiles name it.
    await reviewChange(good, { configFiles: [".mlreview.yml", ".gitlab/mlreview.yml"], ...reviewDirs(), ctx: directContext(signal), signal });
    expect(asked.map((w) => w.name)).toEqual(["results"]);
    expect(good.comments[0]).toContain("0.9");
    expect(good.comments[0]).not.toContain("0.75");

    const bad = fakeSession({ base: served.base, head: served.head, clone, artifacts: async () => Promise.reject(new Error("the download answered 500\n at https://storage/x?sig=1")) });
    await reviewChange(bad, { configFiles: [".mlreview.yml", ".gitlab/mlreview.yml"], ...reviewDirs(), ctx: directContext(signal), signal });
    expect(bad.comments[0]).toContain("artifact 'results'");
    expect(bad.comments[0]).toContain("could not be read: the download answered 500 at");
    expect(bad.comments[0]).toContain("0.75");
  });
});

describe("a report that cannot be built reaches the PR as a neutral check", () => {
  it("a stalled git fetch: the review ends at the task's deadline (git killed), a neutral check says why, and the retry's report replaces it", async () => {
    const served = await servedChange(BASE, HEAD);
    const proxy = await stallingProxy(served.origin);
    const url = served.url.replace(served.origin, proxy.origin);
    const session = fakeSession({ base: served.base, head: served.head, clone: () => ({ url, forgeOrigin: proxy.origin, token: TOKEN, username: "x-access-token" }) });
    const errors: unknown[] = [];
    const dirs = reviewDirs();
    const q = new MemoryQueue(
      (_t, e) => {
        errors.push(e);
        proxy.stalled = false; // the forge recovers before the retry
      },
      { retryDelayMs: 1, deadlineMs: { review: 4_000 } },
    );
    q.work((_t, ctx) => reviewChange(session, { configFiles: [".mlreview.yml"], ...dirs, ctx, signal: ctx.signal }));
    await q.submit({ kind: "review", forge: "github", key: "acme/model#7", version: served.head, data: {} } satisfies Task);
    await q.idle();
    // The held fetch's connection was closed by us: the git child was killed, not left behind.
    await proxy.closed;
    expect(proxy.held).toBeGreaterThan(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(DeadlineError);
    expect(session.checks.map((c) => c.conclusion)).toEqual(["neutral", "success"]);
    expect(session.checks[0]!.title).toBe("mlreview could not build the report: the report did not finish within 4 s");
    expect(session.comments).toHaveLength(1);
  });

  it("an error after the client's retries: neutral check, one line, no token or URL credentials, truncated; rethrown for the queue", async () => {
    const served = await servedChange(BASE, HEAD);
    const message = `POST /repos/acme/model/issues/7/comments answered 502 for https://x-access-token:${TOKEN}@github.com/acme/model.git\nAuthorization: token ${TOKEN} (${TOKEN}) ${"x".repeat(500)}`;
    const session = fakeSession({
      base: served.base,
      head: served.head,
      clone: () => ({ url: served.url, forgeOrigin: served.origin, token: TOKEN, username: "x-access-token" }),
      fail: { upsertReport: () => new Error(message) },
    });
    const signal = new AbortController().signal;
    await expect(reviewChange(session, { configFiles: [".mlreview.yml"], ...reviewDirs(), ctx: directContext(signal), signal })).rejects.toThrow("answered 502");
    expect(session.checks).toHaveLength(1);
    const check = session.checks[0]!;
    expect(check.conclusion).toBe("neutral");
    for (const text of [check.title, check.summary]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString("base64"));
      expect(text).not.toContain("x-access-token:");
    }
    expect(check.title).not.toContain("\n");
    expect(check.title.startsWith("mlreview could not build the report: POST /repos/acme/model/issues/7/comments answered 502 for https://github.com/acme/model.git")).toBe(true);
    expect(check.title.length).toBeLessThanOrEqual(255);
    expect(check.summary).toContain("…");
    expect(check.summary.length).toBeLessThan(MAX_REASON_CHARS + 200);
  });

  it("a stale task posts no check (the newer head's review speaks), and still rethrows", async () => {
    const session = fakeSession({
      base: "0".repeat(40),
      head: "1".repeat(40),
      clone: () => ({ url: "http://localhost:1/x.git", forgeOrigin: "http://localhost:1", token: TOKEN, username: "x" }),
      fail: { mergeBase: () => new Error("GitHub answered 503") },
    });
    const signal = new AbortController().signal;
    await expect(reviewChange(session, { configFiles: [".mlreview.yml"], ...reviewDirs(), ctx: directContext(signal, true), signal })).rejects.toThrow("GitHub answered 503");
    expect(session.checks).toEqual([]);
  });

  it("the failure check has a deadline of its own: it is sent with a live signal after the task's has fired", async () => {
    const session = fakeSession({
      base: "0".repeat(40),
      head: "1".repeat(40),
      clone: () => ({ url: "http://localhost:1/x.git", forgeOrigin: "http://localhost:1", token: TOKEN, username: "x" }),
      fail: { mergeBase: () => new Error("GitHub answered 503") },
    });
    const task = new AbortController();
    task.abort(new DeadlineError(1_000));
    await expect(reviewChange(session, { configFiles: [".mlreview.yml"], ...reviewDirs(), ctx: directContext(task.signal), signal: task.signal })).rejects.toBeInstanceOf(DeadlineError);
    expect(session.checkSignals).toHaveLength(1);
    expect(session.checkSignals[0]).not.toBe(task.signal);
    expect(session.checkSignals[0]!.aborted).toBe(false);
    expect(session.checks[0]!.title).toBe("mlreview could not build the report: the report did not finish within 1 s");
  });

  it("a forge that cannot take the failure check either: the review's own error is what the queue sees", async () => {
    const session = fakeSession({
      base: "0".repeat(40),
      head: "1".repeat(40),
      clone: () => ({ url: "http://localhost:1/x.git", forgeOrigin: "http://localhost:1", token: TOKEN, username: "x" }),
      fail: { mergeBase: () => new Error("GitHub answered 503"), setCheck: () => new Error("GitHub answered 503 again") },
    });
    const signal = new AbortController().signal;
    await expect(reviewChange(session, { configFiles: [".mlreview.yml"], ...reviewDirs(), ctx: directContext(signal), signal })).rejects.toThrow(/^GitHub answered 503$/);
    expect(session.checkSignals).toHaveLength(1);
  });
});
