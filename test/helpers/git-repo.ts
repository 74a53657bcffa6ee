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

/**
 * What fixture git needs, not the worker's whole environment: PATH (read per call, as tests put wrappers
 * first on it), HOME (the user's git config, as before) and a fixed identity.
 */
export function gitEnv(): Record<string, string> {
  const env: Record<string, string> = { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
  if (process.env.PATH !== undefined) env.PATH = process.env.PATH;
  if (process.env.HOME !== undefined) env.HOME = process.env.HOME;
  return env;
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8", env: gitEnv() });
}

/**
 * `script` run by one `sh -c` in `dir` (its positional parameters `args`, its stdin `input`), with
 * gitEnv: several git commands for one fork of this (large) process instead of one each.
 */
export function gitScript(dir: string, script: string, args: string[] = [], input?: Buffer | string): string {
  return execFileSync("sh", ["-c", `set -e\n${script}`, "sh", ...args], { cwd: dir, encoding: "utf8", env: gitEnv(), input, stdio: ["pipe", "pipe", "pipe"] });
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
  /** Branches off the last commit, one commit each (its complete tree, its name the message); `branch` stays checked out. */
  branches?: Record<string, Files>;
  /** Build by `git add -A` and `git commit` per commit, as makeRepo does when a tree has a .gitignore or .gitattributes (git-repo.test.ts: both ways agree). */
  byAdding?: boolean;
}

/** A real git repository with the given history, in a temp directory removed after the test file. */
export function makeRepo(spec: RepoSpec): string {
  const dir = tempDir();
  const branch = spec.branch ?? "main";
  // git add honours .gitignore and .gitattributes in the tree; fast-import records every file as given.
  const branches = Object.entries(spec.branches ?? {});
  const trees = [...spec.commits, ...branches.map(([, files]) => files)];
  const tracked = spec.byAdding || trees.some((files) => Object.keys(files).some(needsGitAdd)) ? commitByAdding(dir, spec.commits, branch, branches) : commitByImport(dir, spec.commits, branch, branches);
  if (spec.workspace) {
    for (const path of tracked) rmSync(join(dir, path), { force: true });
    writeFiles(dir, spec.workspace);
  }
  return dir;
}

const needsGitAdd = (path: string): boolean => /(^|\/)\.git(ignore|attributes)$/.test(path);

/** The old way, one add and one commit per commit; returns the tracked paths. */
function commitByAdding(dir: string, commits: Files[], branch: string, branches: [string, Files][]): string[] {
  git(dir, "init", "-q", "--template=", "-b", branch);
  const commit = (files: Files, message: string) => {
    clearWorktree(dir);
    writeFiles(dir, files);
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "--allow-empty", "-m", message);
  };
  for (const files of commits) commit(files, "commit");
  for (const [name, files] of branches) {
    git(dir, "checkout", "-q", "-b", name, branch);
    commit(files, name);
    git(dir, "checkout", "-q", branch);
  }
  return git(dir, "ls-files", "-z").split("\0").filter(Boolean);
}

/**
 * All commits by one `git fast-import` (each blob once), then the last one checked out: one process for
 * what `git add -A` and `git commit` per commit record (files 100644, symlinks 120000, an empty commit
 * as an empty tree). Returns the tracked paths.
 */
function commitByImport(dir: string, commits: Files[], branch: string, branches: [string, Files][]): string[] {
  if (commits.length === 0) {
    git(dir, "init", "-q", "--template=", "-b", branch);
    return [];
  }
  gitScript(
    dir,
    'git init -q --template= -b "$1"\ngit -c fastimport.unpackLimit=0 fast-import --quiet --done\ngit read-tree --reset -u HEAD',
    [branch],
    importCommands([...commits.map((files) => ({ branch, files })), ...branches.map(([name, files]) => ({ branch: name, files, message: name, from: branch }))]),
  );
  return Object.keys(commits.at(-1)!);
}

/** One commit for importCommands: its complete tree on `branch`, on top of the branch's tip so far or of `from` (a branch of the stream). */
interface ImportCommit {
  branch: string;
  files: Files;
  message?: string;
  from?: string;
}

/** `commits` (in order) as one fast-import stream; each distinct content (a string, or a Buffer object) is written once. */
function importCommands(commits: ImportCommit[]): Buffer {
  const out: Buffer[] = [];
  const marks = new Map<string | Buffer, number>();
  const mark = (data: string | Buffer): number => {
    let m = marks.get(data);
    if (m === undefined) {
      const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
      marks.set(data, (m = marks.size + 1));
      out.push(Buffer.from(`blob\nmark :${m}\ndata ${bytes.length}\n`), bytes, Buffer.from("\n"));
    }
    return m;
  };
  // As `git commit` stamps them: now, in the local zone.
  const now = new Date();
  const offset = -now.getTimezoneOffset();
  const tz = `${offset < 0 ? "-" : "+"}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0")}${String(Math.abs(offset) % 60).padStart(2, "0")}`;
  for (const c of commits) {
    const entries = Object.entries(c.files).map(([path, content]) =>
      typeof content === "object" && !Buffer.isBuffer(content) ? `M 120000 :${mark(content.symlink)} ${importPath(path)}\n` : `M 100644 :${mark(content)} ${importPath(path)}\n`,
    );
    const msg = Buffer.from(`${c.message ?? "commit"}\n`);
    const from = c.from === undefined ? "" : `from refs/heads/${c.from}\n`;
    out.push(Buffer.from(`commit refs/heads/${c.branch}\ncommitter t <t@t> ${Math.floor(now.getTime() / 1000)} ${tz}\ndata ${msg.length}\n`), msg, Buffer.from(`${from}deleteall\n${entries.join("")}\n`));
  }
  out.push(Buffer.from("done\n"));
  return Buffer.concat(out);
}

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
 * and work tree), as after committing it, unless `checkout` is false (a caller that only reads commits).
 * Same trees as makeRepo-style building, far fewer processes.
 */
export async function importSnapshots(dir: string, snapshots: { dir: string; message: string }[], branch = "main", checkout = true): Promise<void> {
  await gitAsync(dir, "init", "-q", "--template=", "-b", branch);
  const chunks: Buffer[] = [];
  snapshots.forEach((s, i) => {
    const message = Buffer.from(`${s.message}\n`);
    chunks.push(Buffer.from(`commit refs/heads/${branch}\ncommitter t <t@t> ${1_700_000_000 + i} +0000\ndata ${message.length}\n`), message, Buffer.from("deleteall\n"), ...snapshotCommands(s.dir), Buffer.from("\n"));
  });
  await new Promise<void>((resolve, reject) => {
    const child = spawn("git", ["-c", "fastimport.unpackLimit=0", "fast-import", "--quiet", "--done"], { cwd: dir, env: gitEnv(), stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import exited ${code}: ${stderr}`))));
    child.stdin.on("error", reject);
    for (const c of chunks) child.stdin.write(c);
    child.stdin.end("done\n");
  });
  if (checkout && snapshots.length > 0) await gitAsync(dir, "read-tree", "--reset", "-u", "HEAD");
}

export interface ChangeSpec {
  /** The complete tree of `branch`'s one commit. */
  base: Files;
  /** The complete tree of `feature`'s commit on top of it. */
  head: Files;
  branch?: string;
  feature?: string;
  message?: string;
}

/** The fast-import stream of a ChangeSpec, or undefined when its trees need git add (a .gitignore or .gitattributes). */
export function changeCommands(spec: ChangeSpec): Buffer | undefined {
  if ([spec.base, spec.head].some((files) => Object.keys(files).some(needsGitAdd))) return undefined;
  const branch = spec.branch ?? "main";
  return importCommands([
    { branch, files: spec.base },
    { branch: spec.feature ?? "feature", files: spec.head, message: spec.message, from: branch },
  ]);
}

/**
 * A repository with a change under review: `branch` (main) at `base`, `feature` one commit on top at
 * `head`, checked out. One process where checkout, add and commit on a makeRepo took six.
 */
export function makeChange(spec: ChangeSpec): { dir: string; base: string; head: string } {
  const [branch, feature] = [spec.branch ?? "main", spec.feature ?? "feature"];
  const input = changeCommands(spec);
  if (!input) {
    const dir = makeRepo({ commits: [spec.base], branch });
    git(dir, "checkout", "-q", "-b", feature);
    clearWorktree(dir);
    writeFiles(dir, spec.head);
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "--allow-empty", "-m", spec.message ?? "commit");
    const [base, head] = git(dir, "rev-parse", branch, feature).trim().split("\n");
    return { dir, base: base!, head: head! };
  }
  const dir = tempDir();
  const [base, head] = gitScript(
    dir,
    'git init -q --template= -b "$2"\ngit -c fastimport.unpackLimit=0 fast-import --quiet --done\ngit read-tree --reset -u HEAD\ngit rev-parse "refs/heads/$1" "refs/heads/$2"',
    [branch, feature],
    input,
  ).split("\n");
  return { dir, base: base!, head: head! };
}
