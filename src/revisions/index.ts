import { UsageError } from "../errors.js";
import { DEFAULT_LIMITS } from "../formats/limits.js";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CatFile } from "./cat-file.js";
import { userAccess, type Env } from "./dvc/access.js";
import { defaultObjectCacheDir, ObjectCache } from "./dvc/cache.js";
import { ObjectFetcher } from "./dvc/fetcher.js";
import { DvcTree } from "./dvc/tree.js";
import { git, gitMaybe } from "./git.js";
import { GitTree } from "./git-tree.js";
import { userLfs } from "./lfs/user.js";
import { WORKSPACE, type FileTree } from "./types.js";
import { WorkspaceTree } from "./workspace-tree.js";

export type { FileTree, ReadResult, FileError } from "./types.js";
export { WORKSPACE } from "./types.js";

export interface Revisions {
  root: string;
  trees: FileTree[];
  close(): Promise<void>;
  /** The user's LFS and DVC layers of this checkout (what `layers: false` left off the trees). */
  layers?: { lfs(tree: FileTree): FileTree; dvc(tree: FileTree): FileTree };
}

/** A revision shown under another name, e.g. a merge-base sha shown as "main". */
export interface LabelledRev {
  rev: string;
  label: string;
}

export interface OpenOptions {
  maxFileBytes?: number;
  /** The user's environment as the CLI's entry point read it: DVC remotes' credentials, the object cache's place. */
  env?: Env;
  /** Where fetched DVC objects are kept (default: defaultObjectCacheDir(env)). */
  objectCacheDir?: string;
  /** false: the trees come bare and `layers` is returned, for a caller that lays a CI artifact between them (the review step). */
  layers?: boolean;
}

/** The repository's top level, or a UsageError when `dir` is not inside a git work tree. */
export async function repoRoot(dir: string): Promise<string> {
  try {
    return (await git(["rev-parse", "--show-toplevel"], { cwd: dir, network: false })).trim();
  } catch {
    throw new UsageError(`'${dir}' is not a git repository`);
  }
}

/**
 * Open the given revisions of the repository around `dir` ("workspace" for the files on disk).
 * All git revisions share one `git cat-file` process.
 */
export async function openRevisionList(dir: string, revs: readonly (string | LabelledRev)[], opts: OpenOptions = {}): Promise<Revisions> {
  const root = await repoRoot(dir);
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_LIMITS.maxFileBytes;
  const git = new CatFile(root);
  // DVC-tracked results, as `dvc metrics diff` reads them without a pull: the checkout's cache, then the
  // remote its config names, with the user's own configuration and credentials.
  const fetcher = new ObjectFetcher(new ObjectCache(opts.objectCacheDir ?? defaultObjectCacheDir(opts.env ?? {})));
  const localConfig = await readFile(join(root, ".dvc", "config.local"), "utf8").catch(() => undefined);
  // Git-LFS pointers, in a commit or still on disk (git-lfs missing, GIT_LFS_SKIP_SMUDGE=1), are read as their content.
  const lfs = userLfs(root, maxFileBytes);
  const dvcLayer = (tree: FileTree) => new DvcTree(tree, { access: userAccess(opts.env ?? {}), fetcher, maxFileBytes, repoRoot: root, ...(localConfig !== undefined ? { localConfig } : {}) });
  const layers = { lfs, dvc: dvcLayer };
  const dvc = opts.layers === false ? (tree: FileTree) => tree : (tree: FileTree) => dvcLayer(lfs(tree));
  try {
    const trees = await Promise.all(
      revs.map(async (r): Promise<FileTree> => {
        const { rev, label } = typeof r === "string" ? { rev: r, label: r } : r;
        if (rev === WORKSPACE) return dvc(new WorkspaceTree(root, maxFileBytes));
        return dvc(new GitTree(git, label, await resolveCommit(git, root, rev), maxFileBytes));
      }),
    );
    return { root, trees, close: async () => git.close(), layers };
  } catch (e) {
    git.close();
    throw e;
  }
}

/** Base and head, as `dvc metrics diff A B`: A defaults to HEAD, B to the workspace. */
export async function openRevisions(dir: string, aRev: string | LabelledRev | undefined, bRev: string | undefined, opts: OpenOptions = {}) {
  const r = await openRevisionList(dir, [aRev ?? "HEAD", bRev ?? WORKSPACE], opts);
  return { root: r.root, base: r.trees[0]!, head: r.trees[1]!, close: r.close, layers: r.layers! };
}

async function resolveCommit(git: CatFile, root: string, rev: string): Promise<string> {
  if (!rev || rev.startsWith("-") || /[\s\0]/.test(rev)) throw new UsageError(`invalid revision '${rev}'`);
  const a = await git.request(`${rev}^{commit}`, 0);
  if (a.kind === "object") return a.oid;
  if (rev === "HEAD" && !(await hasCommits(root))) return EMPTY_TREE;
  throw new UsageError(`unknown revision '${rev}'`);
}

/** DVC treats HEAD of a repository without commits as empty; git's well-known empty tree does that here. */
const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

async function hasCommits(root: string): Promise<boolean> {
  return (await gitMaybe(["rev-list", "-n", "1", "--all"], { cwd: root, network: false })) !== undefined;
}

/**
 * Where a branch forked from the default branch (origin's HEAD, else main or master): the base a pull
 * request is compared with. The label is the default branch's name.
 */
export async function defaultBase(dir: string): Promise<LabelledRev> {
  const o = { cwd: await repoRoot(dir), network: false };
  const remoteHead = (await gitMaybe(["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"], o)) ?? "";
  const local = ((await gitMaybe(["for-each-ref", "--format=%(refname:short)", "refs/heads/"], o)) ?? "").split("\n");
  const branch = remoteHead || ["main", "master"].find((b) => local.includes(b));
  if (!branch) throw new UsageError("cannot tell the default branch (no origin/HEAD, main or master): pass --base");
  const mergeBase = (await gitMaybe(["merge-base", "HEAD", branch], o)) ?? "";
  if (!mergeBase) throw new UsageError(`HEAD has no common history with ${branch}: pass --base`);
  return { rev: mergeBase, label: branch.replace(/^origin\//, "") };
}
