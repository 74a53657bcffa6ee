import { LatestPerKey } from "./latest.js";
import type { Task, TaskQueue, TaskRunner } from "./task.js";

/** The queue of a single replica (REDIS_URL unset): the same semantics as the Redis one, in process. */
export class MemoryQueue implements TaskQueue {
  readonly backend = "memory";
  private readonly latest: LatestPerKey;
  private runner: TaskRunner | undefined;
  private readonly held: Task[] = [];
  private readonly kv = new Map<string, string>();
  private readonly deliveries = new Set<string>();
  private waiting = 0;

  constructor(onError: (task: Task, e: unknown) => void = () => {}) {
    this.latest = new LatestPerKey((key, e) => onError({ kind: "?", key, version: "?", data: undefined }, e));
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
    const run = this.runner;
    this.waiting++;
    void this.latest
      .submit(task.key, task.version, async ({ isStale }) => {
        // LatestPerKey runs one version per key at a time, so the check and the post cannot interleave.
        await run(task, { isStale: async () => isStale(), publish: async (post) => (isStale() ? undefined : post()) });
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

  idle(): Promise<void> {
    return this.latest.idle();
  }

  async close(): Promise<void> {
    await this.idle();
  }
}
