import { FairSlots } from "./fair-slots.js";
import { LatestPerKey } from "./latest.js";
import { attemptSignal, DEFAULT_CONCURRENCY, DEFAULT_DEADLINES, InvalidTaskError, invalidTaskStub, parseTask, tenantOf, untilAborted, type Task, type TaskKind, type TaskQueue, type TaskRunner } from "./task.js";

const MAX_ATTEMPTS = 5;

/** The queue of a single replica (REDIS_URL unset): the same semantics as the Redis one, in process. */
export class MemoryQueue implements TaskQueue {
  readonly backend = "memory";
  private readonly latest: LatestPerKey;
  private runner: TaskRunner | undefined;
  private readonly held: Task[] = [];
  private readonly kv = new Map<string, string>();
  private readonly deliveries = new Set<string>();
  private waiting = 0;
  private readonly retries = new Set<NodeJS.Timeout>();
  private readonly retryDelayMs: number;
  private readonly onError: (task: Task, e: unknown) => void;
  private readonly slots: FairSlots;
  private readonly deadlines: Readonly<Record<TaskKind, number>>;

  /**
   * Failed tasks are retried as on Redis: 5 attempts, exponential backoff from `retryDelayMs`. At most
   * `concurrency` tasks run at once, shared round robin between tenants (installations). Each attempt
   * has its deadline (`deadlineMs`, default DEFAULT_DEADLINES by kind) as `ctx.signal`.
   */
  constructor(onError: (task: Task, e: unknown) => void = () => {}, o: { retryDelayMs?: number; concurrency?: number; deadlineMs?: Partial<Record<TaskKind, number>> } = {}) {
    this.onError = onError;
    this.deadlines = { ...DEFAULT_DEADLINES, ...o.deadlineMs };
    this.retryDelayMs = o.retryDelayMs ?? 1_000;
    this.slots = new FairSlots(o.concurrency ?? DEFAULT_CONCURRENCY);
    this.latest = new LatestPerKey(() => {});
  }

  async submit(task: Task): Promise<void> {
    if (task.delivery) {
      if (this.deliveries.has(task.delivery)) return;
      this.deliveries.add(task.delivery);
      if (this.deliveries.size > 50_000) this.deliveries.delete(this.deliveries.values().next().value!);
    }
    if (!this.runner) {
      this.held.push(task);
      return;
    }
    this.enqueue(task, 1);
  }

  private enqueue(raw: Task, attempt: number): void {
    const run = this.runner!;
    // Taken off the queue: checked as Redis's are (a caller's cast can put anything here too).
    const parsed = parseTask(raw);
    if ("error" in parsed) return this.onError(invalidTaskStub(raw), new InvalidTaskError(parsed.error));
    const task = parsed.task;
    this.waiting++;
    void this.latest
      .submit(task.key, task.version, async ({ isStale }) => {
        await this.slots.acquire(tenantOf(task));
        try {
          // Superseded while waiting for a slot: the newer version is queued behind this one (as on Redis).
          if (isStale()) return;
          const deadline = attemptSignal(this.deadlines[task.kind]);
          const { signal } = deadline;
          try {
            // LatestPerKey runs one version per key at a time, so the check and the post cannot interleave.
            // Past the deadline the key moves on, and the abandoned attempt can no longer post.
            await untilAborted(run(task, { signal, isStale: async () => isStale(), publish: async (post) => (isStale() || signal.aborted ? undefined : post()) }), signal);
          } finally {
            deadline.clear();
          }
        } catch (e) {
          this.onError(task, e);
          if (attempt < MAX_ATTEMPTS && !isStale()) {
            const timer = setTimeout(
              () => {
                this.retries.delete(timer);
                this.enqueue(task, attempt + 1);
              },
              this.retryDelayMs * 2 ** (attempt - 1),
            );
            this.retries.add(timer);
          }
          // Rethrown so that the version is not remembered as done: the retry must not count as a redelivery.
          throw e;
        } finally {
          this.slots.release();
        }
      })
      .finally(() => this.waiting--);
  }

  work(run: TaskRunner): void {
    this.runner = run;
    for (const t of this.held.splice(0)) void this.submit(t);
  }

  async remember(name: string, value: string): Promise<void> {
    this.kv.set(name, value);
  }

  async recall(name: string): Promise<string | undefined> {
    return this.kv.get(name);
  }

  async depth(): Promise<number> {
    return this.waiting;
  }

  async idle(): Promise<void> {
    do {
      await this.latest.idle();
      if (this.retries.size > 0) await new Promise((r) => setTimeout(r, 10));
    } while (this.retries.size > 0 || this.waiting > 0);
  }

  async close(): Promise<void> {
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    await this.latest.idle();
  }
}
