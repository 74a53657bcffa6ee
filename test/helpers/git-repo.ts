import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
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
