// A replica's worker in its own process: runs tasks from Redis and records what it did in Redis.
// argv: redisUrl prefix name buildMs
import { Redis } from "ioredis";

const [url, prefix, name, buildMs] = process.argv.slice(2);
const { RedisQueue } = await import(new URL("../../dist/queue/redis.js", import.meta.url).href);
const log = new Redis(url, { maxRetriesPerRequest: null });
const queue = new RedisQueue(url, { prefix, concurrency: 4, lockDurationMs: 2_000 });
queue.work(async (task, ctx) => {
  if (task.kind === "runner") {
    await ctx.publish(() => log.rpush(`${prefix}:launched`, task.key));
    return;
  }
  await log.rpush(`${prefix}:built`, `${task.key}@${task.version}@${name}`);
  await new Promise((r) => setTimeout(r, Number(buildMs)));
  await ctx.publish(() => log.rpush(`${prefix}:posted`, `${task.key}@${task.version}`));
});
process.send?.("ready");
