import { execFile, execFileSync, spawn } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll } from "vitest";

export type Files = Record<string, string | Buffer | { symlink: string }>;

const created: string[] = [];
afterAll(() => {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" },
  });
}

export function tempDir(prefix = "mlreview-test-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  created.push(d);
  return d;
}

/** Write `files` into `dir`, replacing what is there except .git. */
export function writeFiles(dir: string, files: Files): void {
  for (const [path, content] of Object.entries(files)) {
    const abs = join(dir, path);
    mkdirSync(dirname(abs), { recursive: true });
    rmSync(abs, { force: true });
    if (typeof content === "object" && !Buffer.isBuffer(content)) symlinkSync(content.symlink, abs);
    else writeFileSync(abs, content);
  }
}

export function clearWorktree(dir: string): void {
  for (const line of git(dir, "ls-files", "-z").split("\0").filter(Boolean)) rmSync(join(dir, line), { force: true });
}

export interface RepoSpec {
  /** Commits, oldest first; each is the complete set of tracked files at that commit. */
  commits: Files[];
  /** The files on disk after the last commit (complete set); omit to keep the last commit's. */
  workspace?: Files;
  branch?: string;
}

/** A real git repository with the given history, in a temp directory removed after the test file. */
export function makeRepo(spec: RepoSpec): string {
  const dir = tempDir();
  git(dir, "init", "-q", "-b", spec.branch ?? "main");
  for (const files of spec.commits) {
    clearWorktree(dir);
    writeFiles(dir, files);
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "--allow-empty", "-m", "commit");
  }
  if (spec.workspace) {
    clearWorktree(dir);
    writeFiles(dir, spec.workspace);
  }
  return dir;
}

const gitEnv = () => ({ ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" });

function gitAsync(dir: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile("git", args, { cwd: dir, encoding: "utf8", env: gitEnv() }, (e, out) => (e ? reject(e) : resolve(out))));
}

/** `rel`'s path as fast-import reads it: C-style quoted only where it must be. */
const importPath = (rel: string): string => (rel.startsWith('"') || rel.includes("\n") ? JSON.stringify(rel) : rel);

/** Every file under `root` (but a .git), as fast-import's `M` commands with their data: the tree `git add -A -f` would record. */
function snapshotCommands(root: string): Buffer[] {
  const out: Buffer[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      if (name === ".git") continue;
      const p = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, p));
      if (st.isDirectory()) walk(p);
      else {
        const [mode, data] = st.isSymbolicLink() ? ["120000", Buffer.from(readlinkSync(join(root, p)))] : [st.mode & 0o100 ? "100755" : "100644", readFileSync(join(root, p))];
        out.push(Buffer.from(`M ${mode} inline ${importPath(p)}\ndata ${data.length}\n`), data, Buffer.from("\n"));
      }
    }
  };
  walk("");
  return out;
}

/**
 * A real git repository at `dir` with one commit per snapshot directory (oldest first), each commit the
 * complete content of its directory (as `git add -A -f` of a copy of it would record), written by one
 * `git fast-import` instead of an add and a commit per revision; the last commit is checked out (index
 * and work tree), as after committing it. Same trees as makeRepo-style building, far fewer processes.
 */
export async function importSnapshots(dir: string, snapshots: { dir: string; message: string }[], branch = "main"): Promise<void> {
  await gitAsync(dir, "init", "-q", "-b", branch);
  const chunks: Buffer[] = [];
  snapshots.forEach((s, i) => {
    const message = Buffer.from(`${s.message}\n`);
    chunks.push(Buffer.from(`commit refs/heads/${branch}\ncommitter t <t@t> ${1_700_000_000 + i} +0000\ndata ${message.length}\n`), message, Buffer.from("deleteall\n"), ...snapshotCommands(s.dir), Buffer.from("\n"));
  });
  await new Promise<void>((resolve, reject) => {
    const child = spawn("git", ["fast-import", "--quiet", "--done"], { cwd: dir, env: gitEnv(), stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import exited ${code}: ${stderr}`))));
    child.stdin.on("error", reject);
    for (const c of chunks) child.stdin.write(c);
    child.stdin.end("done\n");
  });
  if (snapshots.length > 0) await gitAsync(dir, "read-tree", "--reset", "-u", "HEAD");
}
