import { join, posix } from "node:path";
import { parseStructured } from "../../formats/index.js";
import { DEFAULT_LIMITS, formatBytes } from "../../formats/limits.js";
import { toPlain, type Value } from "../../formats/value.js";
import { expandTemplates } from "../../project/dvc-templating.js";
import { loadVars } from "../../project/discover.js";
import { TreeLayer } from "../layer.js";
import { memo } from "../memo.js";
import type { FileTree, ReadResult } from "../types.js";
import type { RemoteAccess } from "./access.js";
import { parseDvcConfig, type DvcConfig } from "./config.js";
import { LOCAL_CACHE, type Fetched, type ObjectFetcher, type Source } from "./fetcher.js";
import { parseManifest, type Manifest, type ObjectRef } from "./objects.js";
import { dvcFileOuts, lockOuts, stageDecls, type TrackedOut } from "./outs.js";
import { openStore, remoteLabel } from "./stores/index.js";
import { LocalStore } from "./stores/local.js";

/** Lock and .dvc files indexed per revision: a data registry has thousands of .dvc files, 10^5 is an attack. */
export const MAX_INDEXED_FILES = 20_000;
/** A `.dir` listing: 10^5 files take ~10 MB; bigger is a dataset, never a report's directory. */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;

export interface DvcTreeOptions {
  access: RemoteAccess;
  fetcher: ObjectFetcher;
  maxFileBytes: number;
  /** The CLI's checkout: its `.dvc/cache` is tried first and local remotes are resolved against it. */
  repoRoot?: string;
  /** `.dvc/config.local` of the checkout (git-ignored, so read from disk for every revision, as DVC does). */
  localConfig?: string;
}

interface Index {
  /** Repository path → the out recorded for it (file and directory outs). */
  outs: Map<string, TrackedOut>;
  /** Directory outs, deepest first (a declared file inside one is resolved through its listing). */
  dirs: TrackedOut[];
  config: DvcConfig;
}

/**
 * A revision's files with DVC-tracked outputs filled in (DESIGN §9): a path the tree below has wins; a
 * path it lacks that a dvc.lock or .dvc file records is read from the local cache or the out's remote
 * by its hash, verified, and a path inside a directory out through that directory's `.dir` listing.
 * Only what is asked for is fetched: never a model or a dataset, unless a report reads it.
 */
export class DvcTree extends TreeLayer {
  private indexing: Promise<Index> | undefined;
  private readonly manifests = new Map<string, Promise<{ ok: true; manifest: Manifest } | { ok: false; message: string; code: "unavailable" | "corrupt" | "too-large" }>>();
  private readonly sources = new Map<string, Promise<Source[]>>();

  constructor(
    under: FileTree,
    private readonly o: DvcTreeOptions,
  ) {
    super(under);
  }

  async read(paths: readonly string[]): Promise<Map<string, ReadResult>> {
    const out = await this.under.read(paths);
    const missing = [...out].filter(([, r]) => !r.ok && r.error.code === "missing").map(([p]) => p);
    if (missing.length === 0) return out;
    const index = await this.index();
    if (index.outs.size === 0) return out;
    await Promise.all(
      missing.map(async (p) => {
        const r = await this.readTracked(index, p);
        if (r) out.set(p, r);
      }),
    );
    return out;
  }

  override async list(dir: string): Promise<string[]> {
    const below = await this.under.list(dir);
    const index = await this.index();
    if (index.outs.size === 0) return below;
    const extra: string[] = [];
    for (const out of index.outs.values()) {
      if (!out.isDir) {
        if (isBelow(out.path, dir)) extra.push(out.path);
        continue;
      }
      // The root listing (finding dvc.yaml files) never fetches listings: a project's datasets are directory outs too.
      if (dir === "" || out.uncached || !(isBelow(out.path, dir) || isBelow(dir, out.path) || out.path === dir)) continue;
      const m = await this.manifest(index, out);
      if (!m.ok) continue;
      for (const rel of m.manifest.keys()) {
        const p = `${out.path}/${rel}`;
        if (isBelow(p, dir)) extra.push(p);
      }
    }
    if (extra.length === 0) return below;
    return [...new Set([...below, ...extra])].sort();
  }

  private async readTracked(index: Index, p: string): Promise<ReadResult | undefined> {
    const exact = index.outs.get(p);
    if (exact?.isDir) return { ok: false, error: { code: "not-a-file", message: `is a DVC-tracked directory (${exact.origin}), not a file` } };
    if (exact) {
      if (exact.uncached) return undefined;
      if (exact.size !== undefined && exact.size > this.o.maxFileBytes) return tooLarge(exact.size, this.o.maxFileBytes);
      return this.fetchLeaf(index, exact, { md5: exact.md5, legacy: exact.legacy }, `DVC-tracked (${exact.origin})`);
    }
    const dir = index.dirs.find((d) => isBelow(p, d.path));
    if (!dir || dir.uncached) return undefined;
    const m = await this.manifest(index, dir);
    if (!m.ok) return { ok: false, error: { code: m.code, message: m.message } };
    const md5 = m.manifest.get(p.slice(dir.path.length + 1));
    if (!md5) return { ok: false, error: { code: "missing", message: `not in DVC-tracked directory '${dir.path}' (${dir.origin})` } };
    return this.fetchLeaf(index, dir, { md5, legacy: dir.legacy }, `in DVC-tracked directory '${dir.path}' (${dir.origin})`);
  }

  private async fetchLeaf(index: Index, out: TrackedOut, ref: ObjectRef, what: string): Promise<ReadResult> {
    const budget = this.budget;
    if (!budget.take("filesRead")) return { ok: false, error: { code: "over-budget", message: budget.refusal("filesRead") } };
    const r = await this.fetch(index, out, ref, this.o.maxFileBytes, what);
    if (!r.ok) return r;
    if (!budget.take("bytesRead", r.data.length)) return { ok: false, error: { code: "over-budget", message: budget.refusal("bytesRead") } };
    return r;
  }

  private async fetch(index: Index, out: TrackedOut, ref: ObjectRef, maxBytes: number, what: string): Promise<Fetched> {
    return this.o.fetcher.get(ref, await this.sourcesFor(index, out.remote), maxBytes, what);
  }

  private manifest(index: Index, out: TrackedOut) {
    return memo(this.manifests, out.path, async () => {
      const r = await this.fetch(index, out, { md5: out.md5, legacy: out.legacy }, MAX_MANIFEST_BYTES, `the listing of DVC-tracked directory '${out.path}' (${out.origin})`);
      if (!r.ok) return { ok: false as const, code: r.error.code as "unavailable" | "corrupt" | "too-large", message: r.error.message };
      const manifest = parseManifest(r.data);
      if (!manifest) return { ok: false as const, code: "corrupt" as const, message: `the listing of DVC-tracked directory '${out.path}' (md5 ${out.md5}) is not a DVC directory object` };
      return { ok: true as const, manifest };
    });
  }

  /** The local cache (CLI), then the out's remote or the default one: DVC's cache → remote order (sources.md §1.8). */
  private sourcesFor(index: Index, remoteName: string | undefined): Promise<Source[]> {
    const name = remoteName ?? index.config.defaultRemote;
    return memo(this.sources, name ?? "", async () => {
      const list: Source[] = [];
      if (this.o.repoRoot && this.o.access.kind === "user") list.push({ store: new LocalStore(join(this.o.repoRoot, ".dvc", "cache"), LOCAL_CACHE) });
      if (name === undefined) return list;
      const remote = index.config.remotes.get(name);
      if (!remote) {
        list.push({ refused: `DVC remote '${name}' is named but not defined in .dvc/config` });
        return list;
      }
      const opened = await openStore(remote, this.o.access, this.o.repoRoot).catch((e: unknown) => ({ refused: `${remoteLabel(remote)}: ${e instanceof Error ? e.message : String(e)}` }));
      list.push(opened);
      return list;
    });
  }

  private index(): Promise<Index> {
    return (this.indexing ??= this.buildIndex());
  }

  private async buildIndex(): Promise<Index> {
    const all = await this.under.list("");
    const locks = all.filter((p) => p === "dvc.lock" || p.endsWith("/dvc.lock"));
    const dvcFiles = all.filter((p) => p.endsWith(".dvc") && !p.startsWith(".dvc/") && !p.endsWith("/.dvc") && p !== ".dvc");
    const files = [...locks, ...dvcFiles].slice(0, MAX_INDEXED_FILES);
    const yamls = locks.map((l) => l.replace(/dvc\.lock$/, "dvc.yaml"));
    const contents = await this.under.read([...files, ...yamls, ".dvc/config"]);
    const value = (p: string): Value | undefined => {
      const r = contents.get(p);
      if (!r?.ok) return undefined;
      const parsed = parseStructured(p, r.data, { ...DEFAULT_LIMITS, maxFileBytes: this.o.maxFileBytes });
      return parsed.ok && parsed.value !== null ? parsed.value : undefined;
    };
    const parse = (p: string): unknown => {
      const v = value(p);
      return v === undefined ? undefined : toPlain(v);
    };
    const outs = new Map<string, TrackedOut>();
    const add = (list: TrackedOut[]) => list.forEach((o) => outs.has(o.path) || outs.set(o.path, o));
    for (const lock of locks) {
      const dir = posix.dirname(lock) === "." ? "" : posix.dirname(lock);
      // Templated as discovery templates it (parsed values: ints stay ints in an interpolated wdir).
      const yaml = value(lock.replace(/dvc\.lock$/, "dvc.yaml"));
      let expanded: unknown = yaml === undefined ? undefined : toPlain(yaml);
      try {
        if (yaml !== undefined) expanded = toPlain((await expandTemplates(yaml, dir, (p) => loadVars(this.under, p, DEFAULT_LIMITS))) as Value);
      } catch {
        // A dvc.yaml whose templating fails says so in discovery; here its stages' plain wdirs still count.
      }
      add(lockOuts(parse(lock), dir, lock, stageDecls(expanded)));
    }
    for (const f of dvcFiles) add(dvcFileOuts(parse(f), f));
    const config = contents.get(".dvc/config");
    return {
      outs,
      dirs: [...outs.values()].filter((o) => o.isDir).sort((a, b) => b.path.length - a.path.length),
      config: parseDvcConfig(config?.ok ? config.data.toString("utf8") : undefined, this.o.localConfig),
    };
  }
}

/** Is `p` strictly below `dir` ("" is the root)? */
function isBelow(p: string, dir: string): boolean {
  return dir === "" ? p !== "" : p.startsWith(`${dir}/`);
}

function tooLarge(size: number, max: number): ReadResult {
  return { ok: false, error: { code: "too-large", message: `file is ${formatBytes(size)}, over the ${formatBytes(max)} limit` } };
}
