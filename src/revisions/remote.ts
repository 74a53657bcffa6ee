import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_LIMITS } from "../formats/limits.js";
import { CatFile } from "./cat-file.js";
import { git } from "./git.js";
import { GitTree } from "./git-tree.js";
import type { Revisions } from "./index.js";
import { basicAuth } from "./http.js";
import { isObjectId } from "./object-id.js";

export interface RemoteSource {
  /** Clone URL, http(s) and without credentials: the forge's own (GitLab's API, the configured GitHub host). */
  url: string;
  /**
   * The forge's origin (scheme, host, port): the clone URL must be on it, and the token goes to nothing
   * else. Sent as an HTTP header through git's environment: never in a URL, an argument list or a file.
   */
  forgeOrigin?: string;
  token?: string;
  /** Basic-auth user that goes with the token: "x-access-token" for GitHub apps, "oauth2" for GitLab. */
  username?: string;
  /** Where the blob-less caches of repositories are kept (MLREVIEW_DATA_DIR/repos). */
  cacheDir: string;
  maxFileBytes?: number;
  /** The task's deadline: every git process of these revisions (fetches, cat-file) is killed when it fires. */
  signal?: AbortSignal;
}

/** In a cache directory once its remote is configured (a version in the name: a later layout sets it up again). */
const SET_UP = "mlreview-remote-v1";

/**
 * Two (or more) commits of a remote repository, costing what their files cost: a bare cache fetched with
 * `--filter=blob:none --depth=1` holds only those commits and their trees; the blobs a report reads are
 * then fetched in one `git fetch --stdin` per read, and nothing else ever is.
 */
export async function openRemoteRevisions(src: RemoteSource, revs: { sha: string; label: string }[]): Promise<Revisions> {
  checkRemote(src);
  for (const r of revs) if (!isObjectId(r.sha)) throw new RemoteError(`${r.label}: '${String(r.sha).slice(0, 80)}' is not a commit id (40 or 64 hex digits)`);
  const dir = join(src.cacheDir, createHash("sha256").update(src.url).digest("hex").slice(0, 24));
  const env = gitEnv(src.url, src.token, src.username ?? "x-access-token");
  const signal = src.signal;
  const local = { cwd: dir, network: false, ...(signal ? { signal } : {}) };
  const remote = { cwd: dir, env, ...(signal ? { signal } : {}) };
  // Waiting for another task's fetch of the same repository ends with this task's deadline too.
  await withLock(dir, signal, async () => {
    // The directory is named for the URL, so its remote is set once; the marker, written last, tells a
    // finished set-up from one a crash cut short (which is done again).
    if (!existsSync(join(dir, SET_UP))) {
      await mkdir(dir, { recursive: true });
      if (!existsSync(join(dir, "HEAD"))) await git(["init", "--quiet", "--bare"], local);
      await git(["config", "remote.origin.url", src.url], local);
      await git(["config", "remote.origin.promisor", "true"], local);
      await git(["config", "remote.origin.partialclonefilter", "blob:none"], local);
      await writeFile(join(dir, SET_UP), "");
    }
    await git(["fetch", "--filter=blob:none", "--depth=1", "--no-tags", "--end-of-options", "origin", ...new Set(revs.map((r) => r.sha))], remote);
  });
  const cat = new CatFile(dir, env, signal);
  const fetched = new Set<string>();
  const prefetch = async (oids: string[]) => {
    const missing = oids.filter((o) => !fetched.has(o));
    if (!missing.every(isObjectId)) throw new RemoteError("a blob to fetch is not an object id");
    if (missing.length === 0) return;
    await git(["fetch", "--no-tags", "--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "--stdin", "--end-of-options", "origin"], { ...remote, input: missing.join("\n") + "\n" });
    for (const o of missing) fetched.add(o);
  };
  const max = src.maxFileBytes ?? DEFAULT_LIMITS.maxFileBytes;
  return {
    root: dir,
    trees: revs.map((r) => new GitTree(cat, r.label, r.sha, max, prefetch)),
    close: async () => cat.close(),
  };
}

export class RemoteError extends Error {
  override readonly name = "RemoteError";
}

/** Only http(s), no credentials in the URL, and on the forge's origin when a token goes with it. */
function checkRemote(src: RemoteSource): void {
  let url: URL;
  try {
    url = new URL(src.url);
  } catch {
    throw new RemoteError("the clone URL is not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new RemoteError(`clone URL scheme '${url.protocol}' refused: only http(s)`);
  if (url.username || url.password) throw new RemoteError("clone URL with credentials refused");
  if (src.token && (!src.forgeOrigin || url.origin !== new URL(src.forgeOrigin).origin)) {
    throw new RemoteError(`clone URL ${url.origin} is not on the forge's origin ${src.forgeOrigin ?? "(none)"}: the token is not sent there`);
  }
}

/**
 * git reads extra config from GIT_CONFIG_COUNT/KEY/VALUE (git ≥ 2.31): it stays in this process's
 * children. Only http(s) transports (no ext::, file:// or ssh a submodule or promisor could name), no
 * redirect (it would carry the header), and the Authorization header scoped to the clone URL alone.
 */
function gitEnv(url: string, token: string | undefined, username: string): Record<string, string> {
  const config: [string, string][] = [
    ["protocol.allow", "never"],
    ["protocol.https.allow", "always"],
    ["protocol.http.allow", "always"],
    ["http.followRedirects", "false"],
  ];
  if (token) config.push([`http.${url}.extraHeader`, `Authorization: ${basicAuth(username, token)}`]);
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_COUNT: String(config.length) };
  config.forEach(([k, v], i) => ((env[`GIT_CONFIG_KEY_${i}`] = k), (env[`GIT_CONFIG_VALUE_${i}`] = v)));
  return env;
}

/** One fetch at a time per cache directory: git's shallow and ref locks do not queue. */
const locks = new Map<string, Promise<unknown>>();
async function withLock<T>(key: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve();
  const run = () => (signal?.aborted ? Promise.reject(new RemoteError("the fetch did not start: the task's deadline passed")) : fn());
  const next = prev.then(run, run);
  locks.set(
    key,
    next.catch(() => {}),
  );
  if (!signal) return next;
  // Abandon the wait (not the lock holder's fetch) when this task's deadline passes first.
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new RemoteError("waited for another fetch of this repository past the task's deadline"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    next.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
