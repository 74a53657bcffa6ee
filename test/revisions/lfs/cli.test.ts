import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { mlreviewAsync as mlreview } from "../../helpers/cli.js";
import { git, gitEnv, gitScript, tempDir, writeFiles } from "../../helpers/git-repo.js";
import { lfsRepo, lfsServer, sha256, type LfsServer } from "../../helpers/git-lfs.js";

/**
 * Metrics and an image committed through the real git-lfs: git holds only pointers. main has acc 0.6
 * and a red PNG, feature acc 0.7 and a blue one. `big.json` is a hand-written pointer to 10 GB.
 */
const M1 = '{"acc": 0.6, "loss": 0.4}\n';
const M2 = '{"acc": 0.7, "loss": 0.3}\n';
const BIG_OID = "b".repeat(64);
const BIG = `version https://git-lfs.github.com/spec/v1\noid sha256:${BIG_OID}\nsize 10000000000\n`;
const EVAL = '{"f1": 0.5}\n';
const CONFIG = "metrics: [metrics.json]\nimages: [plot.png]\n";
let png1: Buffer;
let png2: Buffer;
let repo: { dir: string; shas: string[] };
let server: LfsServer;
let clone: string;
let closedPort: number;
const env = () => ({ MLREVIEW_DATA_DIR: tempDir(), GIT_LFS_SKIP_SMUDGE: "1" });

beforeAll(async () => {
  png1 = await sharp({ create: { width: 4, height: 3, channels: 3, background: { r: 255, g: 0, b: 0 } } })
    .png()
    .toBuffer();
  png2 = await sharp({ create: { width: 4, height: 3, channels: 3, background: { r: 0, g: 0, b: 255 } } })
    .png()
    .toBuffer();
  repo = lfsRepo(
    ["*.json", "*.png"],
    [
      { ".mlreview.yml": CONFIG, "metrics.json": M1, "plot.png": png1, "big.json": BIG, "eval.json": EVAL },
      { "metrics.json": M2, "plot.png": png2 },
    ],
  );
  server = await lfsServer();
  closedPort = await new Promise<number>((ok) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => ok(port));
    });
  });
  // A clone that has nothing of LFS but the pointers, whose origin is the loopback LFS server.
  clone = join(tempDir(), "clone");
  gitScript(tempDir(), 'GIT_LFS_SKIP_SMUDGE=1 git clone -q "$1" "$2"\ncd "$2"\ngit remote set-url origin "$3"\ngit checkout -q -b feature "$4"', [repo.dir, clone, `${server.origin}/acme/models.git`, repo.shas[1]!]);
}, 60_000);
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.behaviour.objects = new Map([M1, M2, EVAL, png1, png2].map((b) => [sha256(b), Buffer.from(b)]));
  server.behaviour.corrupt.clear();
});

const diff = async (cwd: string, ...args: string[]) => mlreview(["metrics", "diff", ...args, "--json"], { cwd, env: env() });
const batches = () => server.requests.filter((r) => r.method === "POST");
const downloads = () => server.requests.filter((r) => r.method === "GET");

describe("Git-LFS pointers are read as their content", () => {
  it("precondition: git holds pointers made by git-lfs, the clone has no LFS objects", () => {
    expect(git(repo.dir, "cat-file", "-p", `${repo.shas[1]}:metrics.json`)).toBe(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(M2)}\nsize ${M2.length}\n`);
    expect(existsSync(join(repo.dir, ".git/lfs/objects", sha256(M2).slice(0, 2), sha256(M2).slice(2, 4), sha256(M2)))).toBe(true);
    expect(existsSync(join(clone, ".git/lfs/objects", sha256(M2).slice(0, 2), sha256(M2).slice(2, 4), sha256(M2)))).toBe(false);
    expect(readFileSync(join(clone, "metrics.json"), "utf8")).toMatch(/^version https:\/\/git-lfs/);
  });

  it("the CLI in the repository git-lfs wrote: from .git/lfs/objects, no server asked", async () => {
    const r = await diff(repo.dir, repo.shas[0]!, repo.shas[1]!);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ "metrics.json": { acc: { old: 0.6, new: 0.7, diff: 0.7 - 0.6 }, loss: { old: 0.4, new: 0.3, diff: 0.3 - 0.4 } } });
    expect(server.requests).toEqual([]);
  });

  it("a clone without the objects: the batch API of origin's LFS endpoint, verified", async () => {
    const r = await diff(clone, repo.shas[0]!, repo.shas[1]!);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)["metrics.json"].acc).toEqual({ old: 0.6, new: 0.7, diff: 0.7 - 0.6 });
    expect(batches().length).toBeGreaterThan(0);
    for (const b of batches()) {
      expect(b.path).toBe("/acme/models.git/info/lfs/objects/batch");
      expect(b.accept).toBe("application/vnd.git-lfs+json");
      expect(b.contentType).toBe("application/vnd.git-lfs+json");
      expect(b.authorization).toBeUndefined();
    }
    expect(
      batches()
        .flatMap((b) => b.oids)
        .sort(),
    ).toEqual([sha256(M1), sha256(M2)].sort());
    expect(
      downloads()
        .map((d) => d.path)
        .sort(),
    ).toEqual([`/lfs-objects/${sha256(M1)}`, `/lfs-objects/${sha256(M2)}`].sort());
  });

  it("the pointers of one read are asked in one batch request, and each object once per run", async () => {
    const r = await diff(clone, repo.shas[1]!, repo.shas[1]!, "--all", "--targets", "metrics.json", "eval.json");
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)["eval.json"]).toEqual({ f1: { old: 0.5, new: 0.5, diff: 0 } });
    expect(JSON.parse(r.stdout)["metrics.json"].acc).toEqual({ old: 0.7, new: 0.7, diff: 0 });
    expect(batches()).toHaveLength(1);
    expect(batches()[0]!.oids!.sort()).toEqual([sha256(M2), sha256(EVAL)].sort());
    expect(downloads()).toHaveLength(2);
  });

  it("the workspace: a file still a pointer on disk (GIT_LFS_SKIP_SMUDGE) is resolved too", async () => {
    const r = await diff(clone, repo.shas[0]!);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)["metrics.json"].acc).toEqual({ old: 0.6, new: 0.7, diff: 0.7 - 0.6 });
  });

  it("an image behind a pointer is written as the real PNG for both sides", async () => {
    const out = join(tempDir(), "plots");
    const r = await mlreview(["plots", "diff", repo.shas[0]!, repo.shas[1]!, "--out", out], { cwd: clone, env: env() });
    expect(r.stderr).toBe("");
    const files = r.stdout.trim().split("\n");
    expect(files).toHaveLength(2);
    expect(files.map((f) => readFileSync(f).equals(png1) || readFileSync(f).equals(png2))).toEqual([true, true]);
    expect(readFileSync(files[0]!).equals(readFileSync(files[1]!))).toBe(false);
  });

  it("an object whose content does not match its sha256: an error line, not its values", async () => {
    server.behaviour.corrupt.add(sha256(M2));
    const r = await diff(clone, repo.shas[0]!, repo.shas[1]!);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`metrics.json: Git-LFS object ${sha256(M2).slice(0, 12)}…: the content does not match its sha256`);
    expect(r.stdout).not.toContain("0.7");
    expect(JSON.parse(r.stdout)["metrics.json"].acc).toEqual({ old: 0.6, new: null });
  });

  it("a pointer over the size limit: too large, and never asked of the server", async () => {
    const r = await mlreview(["metrics", "diff", repo.shas[0]!, repo.shas[1]!, "--json", "--targets", "big.json", "metrics.json"], { cwd: clone, env: env() });
    expect(r.stderr).toMatch(new RegExp(`big\\.json: Git-LFS object ${BIG_OID.slice(0, 12)}… is 9536\\.7 MB, over the 50 MB limit`));
    expect(JSON.parse(r.stdout)["metrics.json"].acc.new).toBe(0.7);
    expect(batches().flatMap((b) => b.oids)).not.toContain(BIG_OID);
    expect(downloads().some((d) => d.path.includes(BIG_OID))).toBe(false);
  });

  it("an object the server does not have: its per-object 404 is the file's line", async () => {
    server.behaviour.objects.delete(sha256(M1));
    const r = await diff(clone, repo.shas[0]!, repo.shas[1]!);
    expect(r.stderr).toContain(`metrics.json: Git-LFS object ${sha256(M1).slice(0, 12)}…: not on the server (404)`);
    expect(JSON.parse(r.stdout)["metrics.json"].acc).toEqual({ old: null, new: 0.7 });
    expect(downloads().some((d) => d.path.includes(sha256(M1)))).toBe(false);
  });

  it("an LFS server that cannot be reached: one line per file, the exit code stays 0", async () => {
    const dead = join(tempDir(), "dead");
    execFileSync("git", ["clone", "-q", "-c", `lfs.url=http://127.0.0.1:${closedPort}/lfs`, clone, dead], { env: { ...gitEnv(), GIT_LFS_SKIP_SMUDGE: "1" } });
    const r = await diff(dead, repo.shas[0]!, repo.shas[1]!);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Git-LFS object");
    expect(r.stderr).toContain(`the LFS server http://127.0.0.1:${closedPort}/lfs cannot be reached (ECONNREFUSED)`);
  });

  it("lfs.url in .lfsconfig names the server (the CLI uses the user's own configuration)", async () => {
    const other = join(tempDir(), "other");
    gitScript(tempDir(), 'GIT_LFS_SKIP_SMUDGE=1 git clone -q "$1" "$2"\ncd "$2"\ngit checkout -q "$3"', [clone, other, repo.shas[1]!]);
    writeFiles(other, { ".lfsconfig": `[lfs]\n\turl = ${server.origin}/custom/lfs\n` });
    const r = await diff(other, repo.shas[0]!, repo.shas[1]!);
    expect(r.stderr).toBe("");
    expect(batches().map((b) => b.path)).toContain("/custom/lfs/objects/batch");
  });

  it("a 401: the credentials `git credential fill` gives for the host, and never printed", async () => {
    const auth = `Basic ${Buffer.from("alice:s3cret").toString("base64")}`;
    server.behaviour.requireAuth = auth;
    try {
      const store = join(tempDir(), "creds");
      writeFiles(store, { store: `${server.origin.replace("http://", "http://alice:s3cret@")}\n` });
      const dir = join(tempDir(), "authed");
      const setUp = 'GIT_LFS_SKIP_SMUDGE=1 git clone -q -c credential.helper="$4" "$1" "$2"\ngit -C "$2" remote set-url origin "$3"';
      gitScript(tempDir(), setUp, [clone, dir, `${server.origin}/acme/models.git`, `store --file=${join(store, "store")}`]);
      const r = await diff(dir, repo.shas[0]!, repo.shas[1]!);
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout)["metrics.json"].acc.new).toBe(0.7);
      expect(batches()[0]!.authorization).toBeUndefined();
      expect(batches().some((b) => b.authorization === auth)).toBe(true);
      expect(downloads().every((d) => d.authorization === undefined)).toBe(true);
      expect(r.stdout + r.stderr).not.toContain("s3cret");
    } finally {
      delete server.behaviour.requireAuth;
    }
  });
});
