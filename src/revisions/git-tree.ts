import { formatBytes } from "../formats/limits.js";
import type { CatFile } from "./cat-file.js";
import { unsafePathReason } from "./paths.js";
import type { FileTree, ReadResult } from "./types.js";
import { memo } from "./memo.js";
import { revisionBudget, type RevisionBudget } from "./budget.js";

/** Makes the blobs of a partial clone present before they are read (one fetch for many files). */
export type Prefetch = (oids: string[]) => Promise<void>;

/** Paths asked of cat-file at once: the bytes in flight are at most this many files over the budget. */
const READ_BATCH = 4;

type TreeEntry = { mode: string; name: string; oid: string };

/** The files of one commit, read through a shared cat-file process and paid for from the revision's budget. */
export class GitTree implements FileTree {
  private readonly listings = new Map<string, Promise<string[]>>();
  /** Parsed tree objects by id: a tree bomb repeats a few trees under many names, each is fetched once. */
  private readonly trees = new Map<string, TreeEntry[]>();

  constructor(
    private readonly git: CatFile,
    readonly label: string,
    readonly commit: string,
    private readonly maxFileBytes: number,
    private readonly prefetch?: Prefetch,
    readonly budget: RevisionBudget = revisionBudget(maxFileBytes),
  ) {}

  async read(paths: readonly string[]): Promise<Map<string, ReadResult>> {
    const out = new Map<string, ReadResult>();
    const wanted = [...new Set(paths)].filter((p) => {
      const why = unsafePathReason(p);
      if (why) out.set(p, { ok: false, error: { code: "escapes", message: why } });
      else if (!this.budget.take("filesRead")) out.set(p, overBudget(this.budget, "filesRead"));
      return !why && !out.has(p);
    });
    if (this.prefetch && wanted.length > 0) await this.prefetch(await this.blobIds(wanted));
    // In small batches, each capped by what is left: 32 paths of one 40 MB blob must not all be in memory at once.
    for (let i = 0; i < wanted.length; i += READ_BATCH) {
      const batch = wanted.slice(i, i + READ_BATCH);
      const cap = Math.min(this.maxFileBytes, this.budget.remaining("bytesRead"));
      const answers = await this.git.requestMany(
        batch.map((p) => `${this.commit}:${p}`),
        cap,
      );
      batch.forEach((p, j) => {
        const a = answers[j]!;
        const fits = a.kind !== "object" || a.type !== "blob" || a.size > this.maxFileBytes || (a.data !== undefined && this.budget.take("bytesRead", a.size));
        if (!fits && a.kind === "object" && !a.data) this.budget.take("bytesRead", a.size);
        out.set(p, fits ? toResult(a, this.maxFileBytes) : overBudget(this.budget, "bytesRead"));
      });
    }
    return out;
  }

  list(dir: string): Promise<string[]> {
    return memo(this.listings, dir, () => this.walk(dir));
  }

  /** The blob ids of existing files, from their directories' tree objects (present in a blob-less clone). */
  private async blobIds(paths: readonly string[]): Promise<string[]> {
    const dirs = [...new Set(paths.map((p) => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "")))];
    const trees = await this.git.requestMany(dirs.map((d) => (d ? `${this.commit}:${d}` : `${this.commit}^{tree}`)));
    const ids = new Map<string, string>();
    dirs.forEach((d, i) => {
      const t = trees[i]!;
      if (t.kind !== "object" || t.type !== "tree" || !t.data) return;
      for (const e of parseTree(t.data, t.oid.length / 2)) if (e.mode !== "40000" && e.mode !== "160000") ids.set(d ? `${d}/${e.name}` : e.name, e.oid);
    });
    return paths.flatMap((p) => ids.get(p) ?? []);
  }

  /**
   * Breadth-first over tree objects, one pipelined batch per directory level for the trees not seen yet.
   * Every entry is paid from the revision's treeEntries, the time from its walkMs: past either, the
   * listing stops where it is (the budget reports it once).
   */
  private async walk(dir: string): Promise<string[]> {
    if (dir && unsafePathReason(dir)) return [];
    const started = Date.now();
    const root = await this.git.request(dir ? `${this.commit}:${dir}` : `${this.commit}^{tree}`);
    if (root.kind !== "object" || root.type !== "tree" || !root.data) return [];
    const oidBytes = root.oid.length / 2;
    this.trees.set(root.oid, [...parseTree(root.data, oidBytes)]);
    const files: string[] = [];
    let level: { prefix: string; oid: string }[] = [{ prefix: dir ? `${dir}/` : "", oid: root.oid }];
    let stopped = false;
    let sinceClock = 0;
    while (level.length > 0 && !stopped) {
      const unseen = [...new Set(level.map((l) => l.oid))].filter((o) => !this.trees.has(o));
      const answers = await this.git.requestMany(unseen);
      unseen.forEach((o, i) => {
        const a = answers[i]!;
        this.trees.set(o, a.kind === "object" && a.type === "tree" && a.data ? [...parseTree(a.data, oidBytes)] : []);
      });
      const next: { prefix: string; oid: string }[] = [];
      for (const { prefix, oid } of level) {
        for (const e of this.trees.get(oid)!) {
          if (!this.budget.take("treeEntries") || (++sinceClock % 10_000 === 0 && this.outOfTime(started))) {
            stopped = true;
            break;
          }
          if (e.mode === "40000") next.push({ prefix: `${prefix}${e.name}/`, oid: e.oid });
          else if (e.mode !== "160000") files.push(prefix + e.name);
        }
        if (stopped) break;
      }
      if (!stopped && this.outOfTime(started)) stopped = true;
      level = next;
    }
    if (!stopped) this.budget.take("walkMs", Date.now() - started);
    return files.sort();
  }

  /** True (and the walk budget spent) when this walk has used up what is left of the revision's walking time. */
  private outOfTime(started: number): boolean {
    const elapsed = Date.now() - started;
    return elapsed > this.budget.remaining("walkMs") && !this.budget.take("walkMs", elapsed);
  }
}

function overBudget(budget: RevisionBudget, kind: "filesRead" | "bytesRead"): ReadResult {
  return { ok: false, error: { code: "over-budget", message: budget.refusal(kind) } };
}

function toResult(a: Awaited<ReturnType<CatFile["request"]>>, maxBytes: number): ReadResult {
  switch (a.kind) {
    case "object":
      if (a.type !== "blob") return { ok: false, error: { code: "not-a-file", message: `is a ${a.type === "tree" ? "directory" : a.type}, not a file` } };
      if (!a.data) return { ok: false, error: { code: "too-large", message: `file is ${formatBytes(a.size)}, over the ${formatBytes(maxBytes)} limit` } };
      return { ok: true, data: a.data };
    case "missing":
    case "dangling":
    case "notdir":
      return { ok: false, error: { code: "missing", message: a.kind === "dangling" ? "symlink target does not exist" : "no such file" } };
    case "symlink":
      return { ok: false, error: { code: "escapes", message: "symlink points outside the repository" } };
    case "loop":
      return { ok: false, error: { code: "unreadable", message: "symlink loop" } };
    case "ambiguous":
      return { ok: false, error: { code: "unreadable", message: "ambiguous object name" } };
  }
}

/** Git's binary tree format: "<mode> <name>\0<raw oid>" repeated. */
function* parseTree(data: Buffer, oidBytes: number): Generator<TreeEntry> {
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(32, i);
    const nul = data.indexOf(0, space);
    if (space < 0 || nul < 0) return;
    const mode = data.toString("latin1", i, space);
    const name = data.toString("utf8", space + 1, nul);
    const oid = data.toString("hex", nul + 1, nul + 1 + oidBytes);
    i = nul + 1 + oidBytes;
    yield { mode, name, oid };
  }
}
