import { createHash, randomUUID } from "node:crypto";
import { Queue, Worker, type ConnectionOptions } from "bullmq";
import { Redis } from "ioredis";
import { attemptSignal, DEFAULT_CONCURRENCY, DEFAULT_DEADLINES, InvalidTaskError, invalidTaskStub, parseTask, tenantOf, untilAborted, type Task, type TaskContext, type TaskKind, type TaskQueue, type TaskRunner } from "./task.js";

const QUEUE = "mlreview";
/** How long one key's post may hold the lock; posts are a few API calls. */
const LOCK_MS = 60_000;
/** How long "done" and "newest" are remembered: longer than any redelivery window. */
const MEMORY_S = 7 * 24 * 3600;
/** BullMQ's lowest priority (largest number). */
const MAX_PRIORITY = 2_097_152;
/** One less waiting task for a tenant, never below zero (a stalled job that runs twice must not make it negative). */
const LEAVE_BACKLOG = "local n = redis.call('decr', KEYS[1]) if n < 0 then redis.call('set', KEYS[1], 0, 'EX', ARGV[1]) end return n";

export interface RedisQueueOptions {
  /** Key prefix (tests run several queues on one server). */
  prefix?: string;
  /** Tasks this replica's worker runs at once (MLREVIEW_CONCURRENCY; default DEFAULT_CONCURRENCY). */
  concurrency?: number;
  /** BullMQ's stall detection: a killed worker's job is handed to another after this. */
  lockDurationMs?: number;
  onError?: (task: Task, e: unknown) => void;
  /** Each attempt's deadline by kind (default DEFAULT_DEADLINES), as `ctx.signal`. */
  deadlineMs?: Partial<Record<TaskKind, number>>;
}

/**
 * Tasks on BullMQ, for any number of replicas (REDIS_URL), each worker running at most `concurrency`.
 * Fair between tenants: a task's priority is its place in its tenant's backlog (`backlog:<tenant>`,
 * counted up on submit and down when the task starts), so one installation's 60th waiting pull request
 * runs after another's first. Coalescing holds across replicas: `newest:<key>` is written on submit, a job id per (key, version) absorbs redeliveries, a task
 * superseded before it starts is dropped, and `publish` checks "newest and not done" under a per-key
 * lock before posting. A worker killed mid-task leaves its job to be retried by another.
 */
export class RedisQueue implements TaskQueue {
  readonly backend = "redis";
  private readonly redis: Redis;
  private readonly queue: Queue;
  private worker: Worker | undefined;
  private readonly prefix: string;
  private readonly connection: ConnectionOptions;

  constructor(
    url: string,
    private readonly o: RedisQueueOptions = {},
  ) {
    this.prefix = o.prefix ?? "mlreview";
    // BullMQ's blocking connections must not give up while Redis restarts.
    this.connection = { url, maxRetriesPerRequest: null } as ConnectionOptions;
    this.redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
    this.redis.on("error", () => {}); // reconnects by itself; errors surface on the commands that fail
    this.queue = new Queue(QUEUE, { connection: this.connection, prefix: this.prefix });
  }

  /** Is Redis reachable now? (readiness: a replica that cannot enqueue should not take webhooks) */
  ready(): boolean {
    return this.redis.status === "ready";
  }

  private k(kind: string, key: string): string {
    return `${this.prefix}:${kind}:${key}`;
  }

  async submit(task: Task): Promise<void> {
    if (task.delivery && (await this.redis.set(this.k("delivery", task.delivery), "1", "EX", MEMORY_S, "NX")) !== "OK") return;
    if ((await this.redis.get(this.k("done", task.key))) === task.version) return;
    await this.redis.set(this.k("newest", task.key), task.version, "EX", MEMORY_S);
    // One job per (key, version): the same delivery twice is one job, counted once in its tenant's backlog.
    const jobId = createHash("sha256").update(`${task.key}\0${task.version}`).digest("hex");
    if (await this.queue.getJob(jobId)) return;
    const backlog = this.k("backlog", tenantOf(task));
    const place = await this.redis.incr(backlog);
    await this.redis.expire(backlog, MEMORY_S);
    await this.queue.add(task.kind, task, {
      jobId,
      priority: Math.min(place, MAX_PRIORITY),
      attempts: 5,
      backoff: { type: "exponential", delay: 1_000 },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 24 * 3600 },
    });
  }

  work(run: TaskRunner): void {
    this.worker = new Worker(
      QUEUE,
      async (job) => {
        // Whatever is stored comes back: an invalid task is reported once and completes (never retried).
        const parsed = parseTask(job.data);
        if ("error" in parsed) return void this.o.onError?.(invalidTaskStub(job.data), new InvalidTaskError(parsed.error));
        const task = parsed.task;
        if (job.attemptsMade === 0) await this.redis.eval(LEAVE_BACKLOG, 1, this.k("backlog", tenantOf(task)), String(MEMORY_S));
        const deadline = attemptSignal({ ...DEFAULT_DEADLINES, ...this.o.deadlineMs }[task.kind]);
        try {
          const ctx = this.context(task, deadline.signal);
          if (await ctx.isStale()) return;
          if ((await this.redis.get(this.k("done", task.key))) === task.version) return;
          await untilAborted(run(task, ctx), deadline.signal);
        } finally {
          deadline.clear();
        }
      },
      {
        connection: this.connection,
        prefix: this.prefix,
        concurrency: this.o.concurrency ?? DEFAULT_CONCURRENCY,
        lockDuration: this.o.lockDurationMs ?? 30_000,
        stalledInterval: Math.max(1_000, Math.floor((this.o.lockDurationMs ?? 30_000) / 2)),
      },
    );
    this.worker.on("failed", (job, e) => job && this.o.onError?.(job.data as Task, e));
    this.worker.on("error", () => {});
  }

  private context(task: Task, signal: AbortSignal): TaskContext {
    const isStale = async () => ((await this.redis.get(this.k("newest", task.key))) ?? task.version) !== task.version;
    return {
      signal,
      isStale,
      publish: async <T>(post: () => Promise<T>) => {
        // An attempt abandoned at its deadline (its retry may already run) never posts.
        if (signal.aborted) return undefined;
        const lock = this.k("lock", task.key);
        const token = randomUUID();
        for (let waited = 0; (await this.redis.set(lock, token, "PX", LOCK_MS, "NX")) !== "OK"; waited += 50) {
          if (waited > LOCK_MS) throw new Error(`lock for ${task.key} not released`);
          await new Promise((r) => setTimeout(r, 50));
        }
        try {
          if (await isStale()) return undefined;
          if ((await this.redis.get(this.k("done", task.key))) === task.version) return undefined;
          const result = await post();
          await this.redis.set(this.k("done", task.key), task.version, "EX", MEMORY_S);
          return result;
        } finally {
          // Only our own lock: after a stall it may have expired and been taken by another replica.
          await this.redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0", 1, lock, token);
        }
      },
    };
  }

  async remember(name: string, value: string): Promise<void> {
    await this.redis.set(this.k("kv", name), value, "EX", MEMORY_S);
  }

  async recall(name: string): Promise<string | undefined> {
    return (await this.redis.get(this.k("kv", name))) ?? undefined;
  }

  async depth(): Promise<number> {
    const c = await this.queue.getJobCounts("waiting", "active", "delayed", "prioritized");
    return Object.values(c).reduce((a, b) => a + b, 0);
  }

  async idle(): Promise<void> {
    while ((await this.depth()) > 0) await new Promise((r) => setTimeout(r, 100));
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    this.redis.disconnect();
  }
}
