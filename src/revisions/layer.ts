import { budgetOf, type RevisionBudget } from "./budget.js";
import type { FileTree, ReadResult } from "./types.js";

/**
 * A tree over another one (Git-LFS pointers resolved, DVC outs filled in): the same revision, so the
 * same label, commit and budget, and by default the same listing.
 */
export abstract class TreeLayer implements FileTree {
  constructor(protected readonly under: FileTree) {}

  get label(): string {
    return this.under.label;
  }
  get commit(): string | undefined {
    return this.under.commit;
  }
  get budget(): RevisionBudget {
    return budgetOf(this.under);
  }

  abstract read(paths: readonly string[]): Promise<Map<string, ReadResult>>;

  list(dir: string): Promise<string[]> {
    return this.under.list(dir);
  }
}

/** At most `max` of the calls given to it run at once; the others wait their turn, in order. */
export function concurrencyLimit(max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    while (active >= max) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
