import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { diffRevisions } from "../../src/compare/index.js";
import { openRemoteRevisions } from "../../src/revisions/remote.js";
import { gitHttpServer } from "../helpers/git-http.js";
import { bareRemote } from "../helpers/forge.js";
import { git, makeRepo, tempDir, type Files } from "../helpers/git-repo.js";

const forge = await gitHttpServer();
afterAll(() => forge.close());

function du(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  return n;
}

/**
 * A bare "forge" repository with 40 commits, each adding a 100 KB binary, that allows partial fetches:
 * built once for the file (the tests only read it, each with its own cache).
 */
let built: { url: string; bare: string; base: string; head: string } | undefined;
function remoteWithHistory(): { url: string; bare: string; base: string; head: string } {
  if (built) return built;
  const commits: Files[] = [{ "metrics.json": '{"acc": 0.5}', "params.yaml": "lr: 1\n" }];
  for (let i = 0; i < 40; i++) commits.push({ ...commits.at(-1), [`data/blob${i}.bin`]: randomBytes(100_000), "metrics.json": `{"acc": 0.5, "step": ${i}}` });
  const bare = bareRemote(makeRepo({ commits }));
  const [base, head] = git(bare, "rev-parse", "main~10", "main").trim().split("\n");
  return (built = { url: forge.serve("acme/repo.git", bare), bare, base: base!, head: head! });
}

describe("remote revisions: a blob-less fetch of two commits", () => {
  it("diffs correctly while fetching only the files it reads", async () => {
    const remote = remoteWithHistory();
    const cacheDir = tempDir();
    const revs = await openRemoteRevisions({ url: remote.url, cacheDir }, [
      { sha: remote.base, label: "main" },
      { sha: remote.head, label: "feature" },
    ]);
    try {
      const r = await diffRevisions("metrics", revs.trees[0]!, revs.trees[1]!);
      expect(r.problems).toEqual([]);
      expect([...r.diff.get("metrics.json")!.entries()]).toEqual([["step", { old: 29n, new: 39n, diff: 10n }]]);
    } finally {
      await revs.close();
    }
    const fetched = du(revs.root);
    const full = du(remote.bare);
    expect(full).toBeGreaterThan(4_000_000);
    expect(fetched).toBeLessThan(full / 50);

    // With the remote gone, git can only answer from what was fetched: the metrics blob, not the data.
    git(revs.root, "config", "remote.origin.url", "file:///nonexistent");
    const has = (spec: string) => {
      try {
        execFileSync("git", ["cat-file", "-e", spec], { cwd: revs.root, stdio: "ignore" });
        return true;
      } catch {
        return false;
      }
    };
    expect(has(`${remote.head}:metrics.json`)).toBe(true);
    expect(has(`${remote.head}:data/blob39.bin`)).toBe(false);
    expect(has(`${remote.head}:params.yaml`)).toBe(false); // metrics only were asked for
  });

  it("reuses the cache for the next push: only new commits and files are fetched", async () => {
    const remote = remoteWithHistory();
    const cacheDir = tempDir();
    const first = await openRemoteRevisions({ url: remote.url, cacheDir }, [
      { sha: remote.base, label: "main" },
      { sha: remote.head, label: "feature" },
    ]);
    await diffRevisions("params", first.trees[0]!, first.trees[1]!);
    await first.close();
    const again = await openRemoteRevisions({ url: remote.url, cacheDir }, [
      { sha: remote.base, label: "main" },
      { sha: remote.head, label: "feature" },
    ]);
    expect(again.root).toBe(first.root);
    const r = await diffRevisions("params", again.trees[0]!, again.trees[1]!);
    expect(r.diff.size).toBe(0);
    expect(r.problems).toEqual([]);
    await again.close();
  });

  it("a cache whose set-up a crash cut short (the repository made, its remote not yet configured) is set up again", async () => {
    const remote = remoteWithHistory();
    const cacheDir = tempDir();
    const revs = [
      { sha: remote.base, label: "main" },
      { sha: remote.head, label: "feature" },
    ];
    const first = await openRemoteRevisions({ url: remote.url, cacheDir }, revs);
    await first.close();
    git(first.root, "config", "--unset", "remote.origin.url");
    git(first.root, "config", "--unset", "remote.origin.promisor");
    rmSync(join(first.root, "mlreview-remote-v1"));
    const again = await openRemoteRevisions({ url: remote.url, cacheDir }, revs);
    try {
      expect(again.root).toBe(first.root);
      const r = await diffRevisions("metrics", again.trees[0]!, again.trees[1]!);
      expect(r.problems).toEqual([]);
      expect([...r.diff.get("metrics.json")!.entries()]).toEqual([["step", { old: 29n, new: 39n, diff: 10n }]]);
      expect(git(again.root, "config", "remote.origin.url").trim()).toBe(remote.url);
    } finally {
      await again.close();
    }
  });
});

describe("remote revisions: what reaches git", () => {
  it("only http(s) URLs without credentials, only object ids as revisions, the token only on the forge's origin", async () => {
    const remote = remoteWithHistory();
    const cacheDir = tempDir();
    const open = (url: string, sha = remote.head, extra: { token?: string; forgeOrigin?: string } = {}) =>
      openRemoteRevisions({ url, cacheDir, ...extra }, [{ sha, label: "head" }]).then(
        async (r) => (await r.close(), "opened"),
        (e: Error) => e.message,
      );
    expect(await open(`file://${remote.bare}`)).toBe("clone URL scheme 'file:' refused: only http(s)");
    expect(await open(`ext::sh -c touch% /tmp/x`)).toMatch(/refused: only http\(s\)|not a URL/);
    expect(await open(remote.url.replace("://", "://user:pw@"))).toBe("clone URL with credentials refused");
    expect(await open(remote.url, "--upload-pack=touch /tmp/x;")).toBe("head: '--upload-pack=touch /tmp/x;' is not a commit id (40 or 64 hex digits)");
    expect(await open(remote.url, remote.head, { token: "t", forgeOrigin: "https://gitlab.example.com" })).toBe(`clone URL ${new URL(remote.url).origin} is not on the forge's origin https://gitlab.example.com: the token is not sent there`);
    expect(await open(remote.url, remote.head, { token: "t", forgeOrigin: new URL(remote.url).origin })).toBe("opened");
    expect(readdirSync(cacheDir).length).toBe(1); // nothing refused left a cache behind
  });
});
