// Reading two revisions of a repository with a large history: mlreview's blob-less fetch of just the two
// commits (and then just the files the report reads) against a full `git clone`, in time and bytes.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const { openRemoteRevisions } = await import(new URL("../dist/revisions/remote.js", import.meta.url).href);
const { diffRevisions } = await import(new URL("../dist/compare/index.js", import.meta.url).href);
const COMMITS = 400;
const env = { ...process.env, GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@b", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@b" };
const du = (dir) => readdirSync(dir, { withFileTypes: true, recursive: true }).reduce((n, e) => n + (e.isFile() ? statSync(join(e.parentPath, e.name)).size : 0), 0);
const mb = (n) => (n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

const root = mkdtempSync(join(tmpdir(), "mlreview-bench-fetch-"));
try {
  const work = join(root, "work");
  mkdirSync(join(work, "data"), { recursive: true });
  const git = (...a) => execFileSync("git", a, { cwd: work, env, stdio: "pipe" }).toString().trim();
  git("init", "-q", "-b", "main");
  // A training repository's history: every commit replaces a 200 KB checkpoint-like blob and the metrics.
  for (let i = 0; i < COMMITS; i++) {
    writeFileSync(join(work, "data", `shard${i % 20}.bin`), randomBytes(200_000));
    writeFileSync(join(work, "metrics.json"), JSON.stringify({ acc: i / COMMITS, loss: 1 - i / COMMITS }));
    git("add", "-A");
    git("commit", "-qm", `step ${i}`);
  }
  const head = git("rev-parse", "HEAD");
  const base = git("rev-parse", "HEAD~1");
  const bare = join(root, "remote.git");
  execFileSync("git", ["clone", "-q", "--bare", work, bare]);
  execFileSync("git", ["-C", bare, "config", "uploadpack.allowFilter", "true"]);
  execFileSync("git", ["-C", bare, "config", "uploadpack.allowAnySHA1InWant", "true"]);
  execFileSync("git", ["-C", bare, "gc", "-q"]);

  let t0 = performance.now();
  const revs = await openRemoteRevisions({ url: `file://${bare}`, cacheDir: join(root, "cache") }, [
    { sha: base, label: "main" },
    { sha: head, label: "feature" },
  ]);
  const diff = await diffRevisions("metrics", revs.trees[0], revs.trees[1]);
  await revs.close();
  const partialMs = performance.now() - t0;
  const partialBytes = du(revs.root);
  if (!diff.diff.get("metrics.json")) throw new Error("the diff did not read metrics.json");

  t0 = performance.now();
  execFileSync("git", ["clone", "-q", `file://${bare}`, join(root, "full")]);
  const fullMs = performance.now() - t0;
  const fullBytes = du(join(root, "full", ".git"));

  console.log(`\nreading two revisions of a ${COMMITS}-commit repository (${mb(du(bare))} of history), over file:// on loopback:`);
  console.table([
    { method: "mlreview: blob-less fetch of 2 commits + the files read", ms: Math.round(partialMs), fetched: mb(partialBytes) },
    { method: "git clone (full history)", ms: Math.round(fullMs), fetched: mb(fullBytes) },
  ]);
  console.log(`mlreview fetched ${(fullBytes / partialBytes).toFixed(0)}× fewer bytes, ${(fullMs / partialMs).toFixed(1)}× faster`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
