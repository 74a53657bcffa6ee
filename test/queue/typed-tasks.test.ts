import { describe, expect, it } from "vitest";
import { MemoryQueue } from "../../src/queue/memory.js";
import { RedisQueue } from "../../src/queue/redis.js";
import { DeadlineError, InvalidTaskError, parseTask, type Task } from "../../src/queue/task.js";
import { startRedis } from "../helpers/redis.js";

const task = (o: Partial<Task> = {}): Task => ({ kind: "review", forge: "github", key: "acme/model#1", version: "sha1", data: { installation: 1 }, ...o });

describe("queue tasks are typed: the envelope is validated when a task comes off the queue", () => {
  it("parseTask gives the typed task, or one line naming the first problem", () => {
    expect(parseTask(task({ delivery: "d1", tenant: "t" }))).toEqual({ task: task({ delivery: "d1", tenant: "t" }) });
    const error = (raw: unknown) => {
      const r = parseTask(raw);
      return "error" in r ? r.error : undefined;
    };
    expect(error({ ...task(), kind: "github.pull_request" })).toBe("invalid task: kind is not one of review, runner");
    expect(error({ ...task(), forge: "../github" })).toBe("invalid task: forge is not a registry id");
    expect(error({ ...task(), key: "k".repeat(5_000) })).toBe("invalid task: key is over 1024 characters");
    expect(error({ ...task(), version: 7 })).toBe("invalid task: version is not a string");
    expect(error("a string")).toBe("invalid task: a task is not an object");
    expect(error(null)).toBe("invalid task: a task is not an object");
    for (const raw of [
      { ...task(), forge: "x\n".repeat(500) },
      { ...task(), key: "" },
    ])
      expect(error(raw)).not.toContain("\n");
  });

  it("in process: an invalid task is reported once and dropped, never run or retried", async () => {
    const errors: { task: Task; e: unknown }[] = [];
    const q = new MemoryQueue((t, e) => errors.push({ task: t, e }), { retryDelayMs: 1 });
    const ran: string[] = [];
    q.work(async (t) => void ran.push(t.key));
    await q.submit({ kind: "github.pull_request", forge: "github", key: "acme/model#1", version: "sha1", data: {} } as unknown as Task);
    await q.submit(task({ key: "acme/model#2" }));
    await q.idle();
    expect(ran).toEqual(["acme/model#2"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.e).toBeInstanceOf(InvalidTaskError);
    expect((errors[0]!.e as Error).message).toBe("invalid task: kind is not one of review, runner");
    expect(errors[0]!.task.key).toBe("acme/model#1");
  });

  it("a task queued by the release before forge modules (old kind, no forge) runs as its review or runner task", async () => {
    const ran: Task[] = [];
    const q = new MemoryQueue(() => {}, { retryDelayMs: 1 });
    q.work(async (t) => void ran.push(t));
    await q.submit({ kind: "gitlab.pipeline", key: "gitlab:7!1", version: "sha+pipeline3", data: { projectId: 7 } } as unknown as Task);
    await q.submit({ kind: "runner.github", key: "acme/model#9@1:queued", version: "queued", data: {} } as unknown as Task);
    await q.idle();
    expect(ran.map((t) => [t.kind, t.forge, t.key])).toEqual([
      ["review", "gitlab", "gitlab:7!1"],
      ["runner", "github", "acme/model#9@1:queued"],
    ]);
  });

  it("on Redis: a stored task that is not one is reported once and completes (no retry); a valid one runs", async () => {
    const redis = await startRedis();
    const errors: unknown[] = [];
    const q = new RedisQueue(redis.url, { prefix: "typed", onError: (_t, e) => errors.push(e) });
    try {
      // What a replica of an older version (or anyone with Redis access) could have stored.
      await q.submit({ kind: "report", forge: "github", key: "acme/model#1", version: "sha1", data: {} } as unknown as Task);
      await q.submit(task({ key: "acme/model#2" }));
      const ran: string[] = [];
      q.work(async (t) => void ran.push(t.key));
      await q.idle();
      expect(ran).toEqual(["acme/model#2"]);
      expect(errors.map((e) => (e as Error).message)).toEqual(["invalid task: kind is not one of review, runner"]);
    } finally {
      await q.close();
      await redis.stop();
    }
  });
});

describe("every attempt has a deadline (ctx.signal)", () => {
  it("fires with DeadlineError; a runner that ignores it no longer holds the key: the newer head runs, the stale attempt cannot post", async () => {
    const errors: unknown[] = [];
    const q = new MemoryQueue((_t, e) => errors.push(e), { retryDelayMs: 1, deadlineMs: { review: 200 } });
    const posted: string[] = [];
    let started!: () => void;
    const firstStarted = new Promise<void>((r) => (started = r));
    let lateCtx: Parameters<Parameters<MemoryQueue["work"]>[0]>[1] | undefined;
    q.work(async (t, ctx) => {
      if (t.version === "sha1") {
        lateCtx = ctx;
        started();
        return new Promise<void>(() => {}); // a fetch that never answers and ignores the signal
      }
      expect(ctx.signal.aborted).toBe(false);
      await ctx.publish(async () => posted.push(t.version));
    });
    await q.submit(task({ version: "sha1" }));
    await firstStarted;
    await q.submit(task({ version: "sha2" }));
    await q.idle();
    expect(posted).toEqual(["sha2"]);
    expect(lateCtx!.signal.aborted).toBe(true);
    expect(lateCtx!.signal.reason).toBeInstanceOf(DeadlineError);
    expect(errors).toEqual([lateCtx!.signal.reason]);
    // The abandoned attempt, waking up late, posts nothing.
    expect(await lateCtx!.publish(async () => posted.push("sha1"))).toBeUndefined();
    expect(posted).toEqual(["sha2"]);
  });

  it("each attempt gets a fresh signal: a retry after a deadline runs with a live one", async () => {
    const q = new MemoryQueue(undefined, { retryDelayMs: 1, deadlineMs: { review: 100 } });
    const signals: AbortSignal[] = [];
    q.work(async (_t, ctx) => {
      signals.push(ctx.signal);
      if (signals.length === 1) await new Promise((r) => ctx.signal.addEventListener("abort", r));
    });
    await q.submit(task());
    await q.idle();
    expect(signals).toHaveLength(2);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[1]).not.toBe(signals[0]);
    expect(signals[1]!.aborted).toBe(false);
  });

  it("on Redis: the worker's ctx carries the attempt's deadline, and an attempt past it fails (to be retried)", async () => {
    const redis = await startRedis();
    const errors: unknown[] = [];
    const q = new RedisQueue(redis.url, { prefix: "deadline", deadlineMs: { runner: 150 }, onError: (_t, e) => errors.push(e) });
    try {
      let aborted!: (reason: unknown) => void;
      const first = new Promise<unknown>((r) => (aborted = r));
      q.work(async (_t, ctx) => {
        expect(ctx.signal.aborted).toBe(false);
        await new Promise((r) => ctx.signal.addEventListener("abort", r));
        aborted(ctx.signal.reason);
      });
      await q.submit(task({ kind: "runner", key: "acme/model#job1", version: "queued" }));
      expect(await first).toBeInstanceOf(DeadlineError);
      await expect.poll(() => errors.length).toBeGreaterThan(0);
      expect(errors[0]).toBeInstanceOf(DeadlineError);
    } finally {
      await q.close();
      await redis.stop();
    }
  });
});
