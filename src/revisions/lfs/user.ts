import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { git as runGit, gitMaybe } from "../git.js";
import { basicAuth } from "../http.js";
import type { FileTree } from "../types.js";
import { isHttpUrl, lfsUrlFromClone } from "./endpoint.js";
import { LfsFetcher, type LfsObjects } from "./fetcher.js";
import { LocalLfsStore } from "./local-store.js";
import { LfsServer } from "./server.js";
import { LfsTree } from "./tree.js";

/** `git credential fill` runs the user's helper; one that waits on something must not hang the CLI. */
const CREDENTIAL_TIMEOUT_MS = 15_000;

/**
 * The CLI's LFS objects (user mode), found as git-lfs finds them: `.git/lfs/objects` first, then the
 * server `lfs.url` (git config, then `.lfsconfig`), `remote.origin.lfsurl`, or origin's clone URL names,
 * anonymously and, after a 401, with what `git credential fill` gives for that host.
 */
export function userLfs(root: string, maxFileBytes: number): (tree: FileTree) => FileTree {
  // Found on the first pointer read: a project without LFS pays no git process for it.
  let fetcher: Promise<LfsFetcher> | undefined;
  const objects: LfsObjects = { get: async (ptrs) => (await (fetcher ??= userFetcher(root).catch((e: unknown) => new LfsFetcher({ server: { none: `no LFS server (${e instanceof Error ? e.message : String(e)})` } })))).get(ptrs) };
  return (tree) => new LfsTree(tree, objects, maxFileBytes);
}

async function userFetcher(root: string): Promise<LfsFetcher> {
  const gitDir = resolve(root, (await git(root, ["rev-parse", "--git-common-dir"])) ?? ".git");
  const lfsDirs = [join(gitDir, "lfs")];
  const lfsconfig = join(root, ".lfsconfig");
  const setting = async (key: string) => (await git(root, ["config", "--get", key])) ?? (existsSync(lfsconfig) ? await git(root, ["config", "--file", lfsconfig, "--get", key]) : undefined);
  let url = (await setting("lfs.url")) ?? (await setting("remote.origin.lfsurl"));
  let none = "";
  if (!url) {
    const origin = await git(root, ["config", "--get", "remote.origin.url"]);
    if (!origin) none = "no LFS server (no remote 'origin', no lfs.url)";
    else if ((url = lfsUrlFromClone(origin)) === undefined) {
      // A local origin keeps its objects in its own lfs directory, as git-lfs's standalone file transfer reads them.
      const path = origin.replace(/^file:\/\//, "");
      const dir = isAbsolute(path) ? path : resolve(root, path);
      lfsDirs.push(join(dir, ".git", "lfs"), join(dir, "lfs"));
      none = `not in origin's lfs/objects either (${origin.slice(0, 200)})`;
    }
  }
  if (url && !isHttpUrl(url)) {
    none = `the LFS server '${url.slice(0, 200)}' is not http(s): not supported`;
    url = undefined;
  }
  const server = url ? new LfsServer({ url, credentials: () => credentialFill(root, url!) }) : { none };
  return new LfsFetcher({ local: new LocalLfsStore(lfsDirs), server });
}

function git(cwd: string, args: string[]): Promise<string | undefined> {
  return gitMaybe(args, { cwd, network: false });
}

/** The user's credentials for the endpoint's host, as git-lfs asks git for them; never printed. */
async function credentialFill(root: string, url: string): Promise<Record<string, string> | undefined> {
  const u = new URL(url);
  const input = `protocol=${u.protocol.slice(0, -1)}\nhost=${u.host}\n\n`;
  const out = await runGit(["credential", "fill"], { cwd: root, input, timeoutMs: CREDENTIAL_TIMEOUT_MS }).catch(() => undefined);
  if (!out) return undefined;
  const kv = new Map(out.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const));
  const user = kv.get("username");
  const password = kv.get("password");
  if (user === undefined || password === undefined) return undefined;
  return { authorization: basicAuth(user, password) };
}
