import { posix } from "node:path";
import { joinRepoPath, unsafePathReason } from "../paths.js";

/** One DVC-tracked output, as a lock file or a .dvc file records it. */
export interface TrackedOut {
  /** Repository-relative POSIX path (the stage's wdir and the file's folder applied, `./` gone). */
  path: string;
  /** The md5 as recorded; a directory's ends in ".dir". */
  md5: string;
  /** No `hash: md5` in the entry: DVC 2's md5-dos2unix, stored in the legacy layout (sources.md §1.1). */
  legacy: boolean;
  isDir: boolean;
  /** Recorded size in bytes (a directory's is the sum of its files). */
  size?: number;
  /** The out's own `remote:` (lower-cased), else the default remote applies. */
  remote?: string;
  /** Declared `cache: false`: its content is in git or nowhere, never in a cache or remote. */
  uncached: boolean;
  /** Which file recorded it: "dvc.lock", "data/raw.dvc". */
  origin: string;
}

/** A lock or .dvc file with more outs than this is not a pipeline: the index stops (a file of 10^6 tiny outs). */
export const MAX_OUTS_PER_FILE = 10_000;

const MD5 = /^[0-9a-f]{32}(\.dir)?$/;

/** What dvc.yaml says of a stage that the lock does not: its wdir and which outs are `cache: false`. */
export interface StageDecl {
  wdir?: string;
  uncached: Set<string>;
}

/**
 * The outs of a dvc.lock in `dir` (schema 2.0, or DVC 1's stage → {outs} mapping). `stages` are the
 * dvc.yaml's stages after foreach/matrix ("name@key"), for their wdir and cache flags.
 */
export function lockOuts(lock: unknown, dir: string, origin: string, stages: ReadonlyMap<string, StageDecl>): TrackedOut[] {
  if (!isRecord(lock)) return [];
  const body = "schema" in lock ? lock.stages : lock;
  if (!isRecord(body)) return [];
  const found: TrackedOut[] = [];
  for (const [name, stage] of Object.entries(body)) {
    if (!isRecord(stage) || !Array.isArray(stage.outs)) continue;
    const decl = stages.get(name);
    const wdir = joinRepoPath(dir, decl?.wdir ?? ".");
    for (const o of stage.outs) {
      const out = outEntry(o, wdir, origin, decl?.uncached);
      if (out) found.push(out);
      if (found.length >= MAX_OUTS_PER_FILE) return found;
    }
  }
  return found;
}

/** The outs of a `.dvc` file at `file` (paths relative to its folder and its `wdir`). */
export function dvcFileOuts(content: unknown, file: string): TrackedOut[] {
  if (!isRecord(content) || !Array.isArray(content.outs)) return [];
  const dir = posix.dirname(file) === "." ? "" : posix.dirname(file);
  const wdir = joinRepoPath(dir, typeof content.wdir === "string" ? content.wdir : ".");
  return content.outs.slice(0, MAX_OUTS_PER_FILE).flatMap((o) => outEntry(o, wdir, file, undefined) ?? []);
}

function outEntry(o: unknown, wdir: string, origin: string, uncachedDecl: ReadonlySet<string> | undefined): TrackedOut | undefined {
  if (!isRecord(o) || typeof o.path !== "string" || typeof o.md5 !== "string") return undefined;
  const md5 = o.md5.toLowerCase();
  if (!MD5.test(md5)) return undefined;
  const path = joinRepoPath(wdir, o.path);
  if (!path || unsafePathReason(path)) return undefined;
  const rel = posix.normalize(o.path.replace(/\\/g, "/")).replace(/\/$/, "");
  return {
    path,
    md5,
    legacy: o.hash !== "md5",
    isDir: md5.endsWith(".dir"),
    ...(typeof o.size === "number" ? { size: o.size } : {}),
    ...(typeof o.remote === "string" ? { remote: o.remote.toLowerCase() } : {}),
    uncached: o.cache === false || (uncachedDecl?.has(rel) ?? false),
    origin,
  };
}

/** A dvc.yaml's stages (already expanded) → wdir and `cache: false` outs per stage name. */
export function stageDecls(expanded: unknown): Map<string, StageDecl> {
  const decls = new Map<string, StageDecl>();
  if (!isRecord(expanded) || !isRecord(expanded.stages)) return decls;
  for (const [name, stage] of Object.entries(expanded.stages)) {
    if (!isRecord(stage)) continue;
    const uncached = new Set<string>();
    for (const key of ["outs", "metrics", "plots"]) {
      const list = stage[key];
      if (!Array.isArray(list)) continue;
      for (const entry of list) {
        if (!isRecord(entry)) continue;
        for (const [p, props] of Object.entries(entry)) {
          if (isRecord(props) && props.cache === false) uncached.add(posix.normalize(p.replace(/\\/g, "/")).replace(/\/$/, ""));
        }
      }
    }
    decls.set(name, { ...(typeof stage.wdir === "string" ? { wdir: stage.wdir } : {}), uncached });
  }
  return decls;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
