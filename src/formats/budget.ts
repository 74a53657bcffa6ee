/**
 * Named allowances spent as work is done: one mechanism for every limit that is a total rather than a
 * per-file size (entries listed, bytes read, stages expanded, glob steps). Once a kind is spent it stays
 * spent, so a caller can say so once instead of failing each later request.
 */
export class Budget<K extends string> {
  private readonly used = new Map<K, number>();
  private readonly spent = new Set<K>();

  constructor(readonly limits: Readonly<Record<K, number>>) {}

  /** Take `n` units of `kind`; false (and remembered as spent) when that would pass the limit. */
  take(kind: K, n = 1): boolean {
    if (this.spent.has(kind)) return false;
    const next = (this.used.get(kind) ?? 0) + n;
    if (next > this.limits[kind]) {
      this.spent.add(kind);
      return false;
    }
    this.used.set(kind, next);
    return true;
  }

  remaining(kind: K): number {
    return this.spent.has(kind) ? 0 : this.limits[kind] - (this.used.get(kind) ?? 0);
  }

  isSpent(kind: K): boolean {
    return this.spent.has(kind);
  }

  /** The kinds that ran out, in the order they did. */
  spentKinds(): K[] {
    return [...this.spent];
  }
}

/** What a glob match needs from a budget: the steps it may still take. */
export interface StepBudget {
  take(kind: "matchSteps", n: number): boolean;
}
