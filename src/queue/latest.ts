/**
 * Per-key work where only the newest version matters (a pull request's head sha): at most one job
 * runs per key; a newer submission waits for it and replaces any older waiting one; a version that is
 * running, waiting or already done (a redelivered webhook) is not queued again. A job asks `isStale()`
 * before publishing, so a slow report for an old push never overwrites the one for a newer push.
 */
export type Job = (ctx: { isStale(): boolean }) => Promise<void>;

interface Slot {
  newest: string;
  running?: { version: string; promise: Promise<void> };
  pending?: { version: string; job: Job };
}

export class LatestPerKey {
  private readonly slots = new Map<string, Slot>();
  private readonly done = new Map<string, string>();

  constructor(private readonly onError: (key: string, e: unknown) => void = () => {}) {}

  /** Resolves once the key has no work left (this submission ran, was superseded, or was a duplicate). */
  submit(key: string, version: string, job: Job): Promise<void> {
    const existing = this.slots.get(key);
    const duplicate = this.done.get(key) === version || existing?.running?.version === version || existing?.pending?.version === version;
    if (!duplicate) {
      const slot = existing ?? { newest: version };
      this.slots.set(key, slot);
      slot.newest = version;
      slot.pending = { version, job };
      if (!slot.running) this.drain(key, slot);
    }
    return this.whenIdle(key);
  }

  /** Resolves when nothing runs or waits, for any key (tests, graceful shutdown). */
  async idle(): Promise<void> {
    for (let busy = [...this.slots.values()]; busy.length > 0; busy = [...this.slots.values()]) {
      await Promise.all(busy.map((s) => s.running?.promise));
    }
  }

  private drain(key: string, slot: Slot): void {
    const next = slot.pending;
    slot.pending = undefined;
    if (!next) {
      slot.running = undefined;
      this.slots.delete(key);
      return;
    }
    const promise = next
      .job({ isStale: () => slot.newest !== next.version })
      .then(() => this.remember(key, next.version))
      .catch((e: unknown) => this.onError(key, e))
      .finally(() => this.drain(key, slot));
    slot.running = { version: next.version, promise };
  }

  private async whenIdle(key: string): Promise<void> {
    for (let slot = this.slots.get(key); slot?.running; slot = this.slots.get(key)) await slot.running.promise;
  }

  /** Bounded memory of what was done: enough to absorb redeliveries, not a growing log. */
  private remember(key: string, version: string): void {
    this.done.delete(key);
    this.done.set(key, version);
    if (this.done.size > 10_000) this.done.delete(this.done.keys().next().value!);
  }
}
