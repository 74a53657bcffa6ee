import { budgetOf, type RevisionBudget } from "./budget.js";
import { unsafePathReason } from "./paths.js";
import type { FileTree, ReadResult } from "./types.js";

/**
 * A revision's files with a CI artifact's files laid over them: results produced by the training job
 * (metrics.json, logs) win over what is committed, everything else comes from the commit.
 */
export class OverlayTree implements FileTree {
  constructor(
    private readonly under: FileTree,
    private readonly files: ReadonlyMap<string, Buffer>,
    readonly label: string = under.label,
  ) {}

  get commit(): string | undefined {
    return this.under.commit;
  }

  /** The commit's budget: the artifact's files are already in memory and capped by the artifact's limits. */
  get budget(): RevisionBudget {
    return budgetOf(this.under);
  }

  async read(paths: readonly string[]): Promise<Map<string, ReadResult>> {
    const fromCommit = paths.filter((p) => unsafePathReason(p) !== undefined || !this.files.has(p));
    const out = await this.under.read(fromCommit);
    for (const p of paths) if (!out.has(p)) out.set(p, { ok: true, data: this.files.get(p)! });
    return out;
  }

  async list(dir: string): Promise<string[]> {
    const prefix = dir ? `${dir}/` : "";
    const mine = [...this.files.keys()].filter((p) => p.startsWith(prefix));
    return [...new Set([...(await this.under.list(dir)), ...mine])].sort();
  }
}
