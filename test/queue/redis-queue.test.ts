import { fork, type ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisQueue } from "../../src/queue/redis.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";

const WORKER = new URL("./worker-process.mjs", import.meta.url);

function startWorker(url: string, prefix: string, name: string, buildMs = 10): Promise<ChildProcess> {
  return new Promise((resolve) => {
    const p = fork(WORKER, [url, prefix, name, String(buildMs)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    p.on("message", () => resolve(p));
  });
}

/**
 * Waits until the worker log list `key` is not empty: BLMOVE from the list to its own tail blocks until
 * an element is there and leaves the list as it was (a list of one element; the tests wait for the first).
 * On its own connection, as a blocked client serves nothing else. null after `seconds`.
 */
async function firstOf(url: string, key: string, seconds: number): Promise<string | null> {
  const r = new Redis(url, { maxRetriesPerRequest: null });
  try {
    return await r.blmove(key, key, "RIGHT", "RIGHT", seconds);
  } finally {
    r.disconnect();
  }
}

describe("the Redis queue across replicas (real redis-server, workers in separate processes)", () => {
  let redis: RedisServer;
  let log: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    log = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    log.disconnect();
    await redis.stop();
  });

  // The first two on queues of their own (prefixes t1, t2) at once; the restart after them, alone.
  it.concurrent("200 events, two workers: each pull request's newest head is built and posted once, last; each runner job launched once", async () => {
    const prefix = "t1";
    const workers = await Promise.all([startWorker(redis.url, prefix, "a"), startWorker(redis.url, prefix, "b")]);
    const ingest = new RedisQueue(redis.url, { prefix }); // a replica that only takes webhooks
    try {
      const events: { kind: "review" | "runner"; forge: string; key: string; version: string; delivery: string }[] = [];
      for (let push = 1; push <= 5; push++) for (let pr = 0; pr < 30; pr++) events.push({ kind: "review", forge: "github", key: `acme/model#${pr}`, version: `sha${push}`, delivery: `d-${pr}-${push}` });
      for (let job = 0; job < 25; job++) events.push({ kind: "runner", forge: "github", key: `acme/model#job${job}`, version: "queued", delivery: `d-job-${job}` });
      // Redeliveries, old pushes among them: the same webhook (same delivery id) again.
      for (let i = 0; i < 25; i++) events.push(events[i * 7]!);
      expect(events).toHaveLength(200);
      for (const e of events) await ingest.submit({ ...e, data: {} });
      await ingest.idle();
      const posted = await log.lrange(`${prefix}:posted`, 0, -1);
      const built = await log.lrange(`${prefix}:built`, 0, -1);
      const launched = await log.lrange(`${prefix}:launched`, 0, -1);
      for (let pr = 0; pr < 30; pr++) {
        const mine = posted.filter((p) => p.startsWith(`acme/model#${pr}@`));
        expect(mine.at(-1)).toBe(`acme/model#${pr}@sha5`); // the newest head is what stays
        expect(new Set(mine).size).toBe(mine.length); // nothing posted twice
        expect(built.filter((b) => b.startsWith(`acme/model#${pr}@sha5@`))).toHaveLength(1); // the newest built once
      }
      expect(launched.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `acme/model#job${i}`).sort());
      // Both replicas did work.
      expect(new Set(built.map((b) => b.split("@")[2])).size).toBe(2);
    } finally {
      for (const w of workers) w.kill("SIGKILL");
      await ingest.close();
    }
  });

  it.concurrent(
    "a worker killed mid-report: another replica finishes it, and it is posted once",
    async () => {
      const prefix = "t2";
      const slow = await startWorker(redis.url, prefix, "doomed", 60_000);
      const ingest = new RedisQueue(redis.url, { prefix });
      try {
        await ingest.submit({ kind: "review", forge: "github", key: "acme/model#1", version: "sha1", data: {} });
        expect(await firstOf(redis.url, `${prefix}:built`, 5)).toBe("acme/model#1@sha1@doomed");
        slow.kill("SIGKILL"); // in the middle of building
        await ingest.submit({ kind: "review", forge: "github", key: "acme/model#1", version: "sha1", data: {} }); // a redelivery changes nothing
        const rescuer = await startWorker(redis.url, prefix, "rescuer", 10);
        try {
          // The stalled job returns to the queue once its lock lapses, and this replica builds it.
          await firstOf(redis.url, `${prefix}:posted`, 20);
        } finally {
          rescuer.kill("SIGKILL");
        }
        expect(await log.lrange(`${prefix}:posted`, 0, -1)).toEqual(["acme/model#1@sha1"]);
        expect((await log.lrange(`${prefix}:built`, 0, -1)).map((b) => b.split("@")[2])).toEqual(["doomed", "rescuer"]);
      } finally {
        await ingest.close();
      }
    },
    60_000,
  );

  it("Redis restarting: submissions after the restart are still done", async () => {
    const prefix = "t3";
    const worker = await startWorker(redis.url, prefix, "w");
    const ingest = new RedisQueue(redis.url, { prefix });
    try {
      await ingest.submit({ kind: "review", forge: "github", key: "acme/model#1", version: "before", data: {} });
      await ingest.idle();
      await redis.restart(); // in-memory Redis: the queue starts empty again
      await ingest.submit({ kind: "review", forge: "github", key: "acme/model#2", version: "after", data: {} });
      await ingest.idle();
      // The restart emptied the log (in-memory Redis): the first post after it is the new submission's.
      await firstOf(redis.url, `${prefix}:posted`, 10);
      expect(await log.lrange(`${prefix}:posted`, 0, -1)).toContain("acme/model#2@after");
    } finally {
      worker.kill("SIGKILL");
      await ingest.close();
    }
  }, 60_000);
});
