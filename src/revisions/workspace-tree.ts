import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { formatBytes } from "../formats/limits.js";
import { unsafePathReason } from "./paths.js";
import { WORKSPACE, type FileTree, type ReadResult } from "./types.js";
import { memo } from "./memo.js";
import { revisionBudget, type RevisionBudget } from "./budget.js";

/** Directories never walked: VCS and DVC internals, and the usual dependency folders. */
const SKIP_DIRS = new Set([".git", ".dvc", "node_modules", ".venv", "__pycache__"]);

const isGitDir = (segment: string) => segment.toLowerCase() === ".git";

/** The files on disk, as DVC's "workspace" revision. Symlinks may point anywhere inside the repository only. */
export class WorkspaceTree implements FileTree {
  readonly label = WORKSPACE;
  readonly commit = undefined;
  private rootReal: Promise<string> | undefined;
  /** One walk per directory per tree: a config with thousands of globs must not walk the disk thousands of times. */
  private readonly listings = new Map<string, Promise<string[]>>();

  constructor(
    private readonly root: string,
    private readonly maxFileBytes: number,
    readonly budget: RevisionBudget = revisionBudget(maxFileBytes),
  ) {}

  async read(paths: readonly string[]): Promise<Map<string, ReadResult>> {
    const entries = await Promise.all([...new Set(paths)].map(async (p) => [p, await this.readOne(p)] as const));
    return new Map(entries);
  }

  private async readOne(p: string): Promise<ReadResult> {
    const why = unsafePathReason(p);
    if (why) return { ok: false, error: { code: "escapes", message: why } };
    if (!this.budget.take("filesRead")) return { ok: false, error: { code: "over-budget", message: this.budget.refusal("filesRead") } };
    const abs = join(this.root, p);
    try {
      const real = await realpath(abs);
      const root = await (this.rootReal ??= realpath(this.root));
      const rel = relative(root, real);
      if (rel.startsWith(`..${sep}`) || rel === ".." || rel.startsWith(sep)) {
        return { ok: false, error: { code: "escapes", message: "symlink points outside the repository" } };
      }
      // In CI, .git/config holds the checkout's token (actions/checkout's http.extraheader).
      if (rel.split(sep).some(isGitDir)) return { ok: false, error: { code: "escapes", message: "symlink points into .git" } };
      const st = await stat(real);
      if (!st.isFile()) return { ok: false, error: { code: "not-a-file", message: st.isDirectory() ? "is a directory, not a file" : "not a regular file" } };
      if (st.size > this.maxFileBytes) {
        return { ok: false, error: { code: "too-large", message: `file is ${formatBytes(st.size)}, over the ${formatBytes(this.maxFileBytes)} limit` } };
      }
      // Reserved before reading, so the bytes held never pass the budget.
      if (!this.budget.take("bytesRead", st.size)) return { ok: false, error: { code: "over-budget", message: this.budget.refusal("bytesRead") } };
      return { ok: true, data: await readFile(real) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") {
        const dangling = await lstat(abs).then(
          (s) => s.isSymbolicLink(),
          () => false,
        );
        return { ok: false, error: { code: "missing", message: dangling ? "symlink target does not exist" : "no such file" } };
      }
      if (code === "ELOOP") return { ok: false, error: { code: "unreadable", message: "symlink loop" } };
      return { ok: false, error: { code: "unreadable", message: (e as Error).message } };
    }
  }

  list(dir: string): Promise<string[]> {
    return memo(this.listings, dir, () => this.walk(dir));
  }

  /** Every entry is paid from the revision's treeEntries and the time from its walkMs, as for a commit. */
  private async walk(dir: string): Promise<string[]> {
    if (dir && unsafePathReason(dir)) return [];
    const out: string[] = [];
    const started = Date.now();
    let stopped = false;
    const walk = async (rel: string): Promise<void> => {
      if (stopped) return;
      if (Date.now() - started > this.budget.remaining("walkMs") && !this.budget.take("walkMs", Date.now() - started)) {
        stopped = true;
        return;
      }
      let entries;
      try {
        entries = await readdir(join(this.root, rel), { withFileTypes: true });
      } catch {
        return;
      }
      await Promise.all(
        entries.map(async (e) => {
          if (stopped || !this.budget.take("treeEntries")) {
            stopped = true;
            return;
          }
          const child = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) {
            if (!SKIP_DIRS.has(e.name)) await walk(child);
          } else if (e.isFile() || e.isSymbolicLink()) {
            out.push(child);
          }
        }),
      );
    };
    await walk(dir);
    if (!stopped) this.budget.take("walkMs", Date.now() - started);
    return out.sort();
  }
}
