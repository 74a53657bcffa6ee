/**
 * A global limit on tasks running at once, granted round robin between tenants (installations,
 * GitLab projects): 60 pull requests of one installation once opened 114 git requests at the same
 * time, and queued in arrival order they would make every other installation wait for all 60.
 * Each tenant waits in its own FIFO; a freed slot goes to the tenant that has waited longest since
 * it was last served, which then moves to the back of the rotation.
 */
export class FairSlots {
  private running = 0;
  /** Insertion order is the rotation: the first entry is served next. */
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrency must be a positive integer, not ${limit}`);
  }

  /** Resolves when the task may run; call `release` exactly once afterwards. */
  acquire(tenant: string): Promise<void> {
    return new Promise((resolve) => {
      const queue = this.waiting.get(tenant);
      if (queue) queue.push(resolve);
      else this.waiting.set(tenant, [resolve]);
      this.grant();
    });
  }

  release(): void {
    this.running--;
    this.grant();
  }

  /** Tasks waiting for a slot (for depth and tests). */
  get queued(): number {
    let n = 0;
    for (const q of this.waiting.values()) n += q.length;
    return n;
  }

  private grant(): void {
    while (this.running < this.limit) {
      const first = this.waiting.entries().next();
      if (first.done) return;
      const [tenant, queue] = first.value;
      const next = queue.shift()!;
      this.waiting.delete(tenant);
      if (queue.length > 0) this.waiting.set(tenant, queue);
      this.running++;
      next();
    }
  }
}
