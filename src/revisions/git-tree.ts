import { formatBytes } from "../formats/limits.js";
import type { CatFile } from "./cat-file.js";
import { unsafePathReason } from "./paths.js";
import type { FileTree, ReadResult } from "./types.js";
import { memo } from "./memo.js";

/** Makes the blobs of a partial clone present before they are read (one fetch for many files). */
export type Prefetch = (oids: string[]) => Promise<void>;

/** The files of one commit, read through a shared cat-file process. */
export class GitTree implements FileTree {
  private readonly listings = new Map<string, Promise<string[]>>();

  constructor(
    private readonly git: CatFile,
    readonly label: string,
    readonly commit: string,
    private readonly maxFileBytes: number,
    private readonly prefetch?: Prefetch,
  ) {}

  async read(paths: readonly string[]): Promise<Map<string, ReadResult>> {
    const out = new Map<string, ReadResult>();
    const wanted = [...new Set(paths)].filter((p) => {
      const why = unsafePathReason(p);
      if (why) out.set(p, { ok: false, error: { code: "escapes", message: why } });
      return !why;
    });
    if (this.prefetch && wanted.length > 0) await this.prefetch(await this.blobIds(wanted));
    const answers = await this.git.requestMany(wanted.map((p) => `${this.commit}:${p}`), this.maxFileBytes);
    wanted.forEach((p, i) => out.set(p, toResult(answers[i]!, this.maxFileBytes)));
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

  /** Breadth-first over tree objects, one pipelined batch per directory level. */
  private async walk(dir: string): Promise<string[]> {
    if (dir && unsafePathReason(dir)) return [];
    const root = await this.git.request(dir ? `${this.commit}:${dir}` : `${this.commit}^{tree}`);
    if (root.kind !== "object" || root.type !== "tree" || !root.data) return [];
    const files: string[] = [];
    let level: { prefix: string; data: Buffer }[] = [{ prefix: dir ? `${dir}/` : "", data: root.data }];
    const oidBytes = root.oid.length / 2;
    while (level.length > 0) {
      const subdirs: { prefix: string; oid: string }[] = [];
      for (const { prefix, data } of level) {
        for (const e of parseTree(data, oidBytes)) {
          if (e.mode === "40000") subdirs.push({ prefix: `${prefix}${e.name}/`, oid: e.oid });
          else if (e.mode !== "160000") files.push(prefix + e.name);
        }
      }
      const answers = await this.git.requestMany(subdirs.map((s) => s.oid));
      level = subdirs.flatMap((s, i) => {
        const a = answers[i]!;
        return a.kind === "object" && a.data ? [{ prefix: s.prefix, data: a.data }] : [];
      });
    }
    return files.sort();
  }
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
function* parseTree(data: Buffer, oidBytes: number): Generator<{ mode: string; name: string; oid: string }> {
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
