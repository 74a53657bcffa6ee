import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import { childEnv } from "../child-env.js";
import { DEFAULT_LIMITS } from "../formats/limits.js";
import { CatFile } from "./cat-file.js";
import { GitTree } from "./git-tree.js";
import type { Revisions } from "./index.js";

export interface RemoteSource {
  /** Clone URL without credentials (the payload's clone_url, so GitHub Enterprise hosts come for free). */
  url: string;
  /** Sent as an HTTP header through git's environment: never in a URL, an argument list or a file. */
  token?: string;
  /** Basic-auth user that goes with the token: "x-access-token" for GitHub apps, "oauth2" for GitLab. */
  username?: string;
  /** Where the blob-less caches of repositories are kept (MLREVIEW_DATA_DIR/repos). */
  cacheDir: string;
  maxFileBytes?: number;
}

/**
 * Two (or more) commits of a remote repository, costing what their files cost: a bare cache fetched with
 * `--filter=blob:none --depth=1` holds only those commits and their trees; the blobs a report reads are
 * then fetched in one `git fetch --stdin` per read, and nothing else ever is.
 */
export async function openRemoteRevisions(src: RemoteSource, revs: { sha: string; label: string }[]): Promise<Revisions> {
  const dir = join(src.cacheDir, createHash("sha256").update(src.url).digest("hex").slice(0, 24));
  const env = authEnv(src.url, src.token, src.username ?? "x-access-token");
  await withLock(dir, async () => {
    await mkdir(dir, { recursive: true });
    const git = simpleGit({ baseDir: dir }).env(childEnv({}, { network: false }));
    if (!existsSync(join(dir, "HEAD"))) await git.init(true);
    await git.addConfig("remote.origin.url", src.url);
    await git.addConfig("remote.origin.promisor", "true");
    await git.addConfig("remote.origin.partialclonefilter", "blob:none");
    // Spawned directly: simple-git's environment guard rightly refuses GIT_CONFIG_* and GIT_SSL_CAINFO,
    // which are exactly how the token reaches git here without touching a URL or a file.
    await runGit(dir, ["fetch", "--filter=blob:none", "--depth=1", "--no-tags", "origin", ...new Set(revs.map((r) => r.sha))], env);
  });
  const cat = new CatFile(dir, env);
  const fetched = new Set<string>();
  const prefetch = async (oids: string[]) => {
    const missing = oids.filter((o) => !fetched.has(o));
    if (missing.length === 0) return;
    await runGit(dir, ["fetch", "--no-tags", "--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "--stdin", "origin"], env, missing.join("\n") + "\n");
    for (const o of missing) fetched.add(o);
  };
  const max = src.maxFileBytes ?? DEFAULT_LIMITS.maxFileBytes;
  return {
    root: dir,
    trees: revs.map((r) => new GitTree(cat, r.label, r.sha, max, prefetch)),
    close: async () => cat.close(),
  };
}

/** git reads extra config from GIT_CONFIG_COUNT/KEY/VALUE (git ≥ 2.31): the header stays in this process's children. */
function authEnv(url: string, token: string | undefined, username: string): Record<string, string> {
  const base: Record<string, string> = { GIT_TERMINAL_PROMPT: "0" };
  if (!token || !/^https?:/.test(url)) return base;
  const basic = Buffer.from(`${username}:${token}`).toString("base64");
  return { ...base, GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.extraHeader", GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` };
}

function runGit(cwd: string, args: string[], env: Record<string, string>, input = ""): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn("git", args, { cwd, env: childEnv(env), stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`git ${args[0]} failed: ${err.trim().split("\n").pop() ?? code}`))));
    p.stdin.end(input);
  });
}

/** One fetch at a time per cache directory: git's shallow and ref locks do not queue. */
const locks = new Map<string, Promise<unknown>>();
async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  locks.set(key, next.catch(() => {}));
  return next;
}
