import { childEnv } from "../child-env.js";
import { killGroup } from "./kill-group.js";
import { spawnChild, type Child } from "./spawn-host.js";

/**
 * The one way mlreview starts git (the CLI and the bot): the environment is child-env.ts's allow list
 * plus what the caller adds (credentials only as GIT_CONFIG_* headers, never in a URL or an argument),
 * a timeout, and the task's AbortSignal, which kills the process: a stalled `git fetch` must end with
 * its task, not hold that pull request's later reports.
 */
export interface GitOptions {
  cwd: string;
  /** Added to the allow-listed environment (wins over it). */
  env?: Record<string, string>;
  /** Written to stdin, then stdin is closed. */
  input?: string;
  signal?: AbortSignal;
  /** Default GIT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** false for commands that never connect (no proxy or CA variables passed). Default true. */
  network?: boolean;
}

/**
 * A git command taking longer than this is killed: a server that accepts the connection and then sends
 * nothing (or trickles) would otherwise hold a worker forever. Long enough for a large blob-less fetch.
 */
export const GIT_TIMEOUT_MS = 10 * 60_000;

/** Stderr kept for the error line: a chatty failure must not grow memory. */
const MAX_STDERR = 16 * 1024;
/** Stdout kept by `git()`: the commands run this way print one line or a short list. */
const MAX_STDOUT = 4 * 1024 * 1024;

export class GitError extends Error {
  override readonly name = "GitError";
}

/** The environment every git child gets: the allow list, git's prompt off, C locale, then `extra`. */
export function gitChildEnv(extra: Record<string, string> = {}, network = true): Record<string, string> {
  return childEnv({ GIT_TERMINAL_PROMPT: "0", ...extra }, { network });
}

/**
 * Run git to completion; its stdout (trimmed of the final newline), or a GitError with git's last
 * stderr line. Aborted or timed out: the child is killed and the error says so.
 */
export function git(args: readonly string[], o: GitOptions): Promise<string> {
  // The subcommand, for the error line (past `-c key=value` options).
  const name = args.find((a, i) => !a.startsWith("-") && args[i - 1] !== "-c") ?? "";
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new GitError(`git ${name} not started: the task's deadline passed`));
    const p = spawnChild("git", args, { cwd: o.cwd, env: gitChildEnv(o.env, o.network ?? true), detached: true });
    let out = "";
    let err = "";
    let why: string | undefined;
    const stop = (reason: string) => {
      why ??= reason;
      killGroup(p, true, "SIGKILL");
    };
    const timeoutMs = o.timeoutMs ?? GIT_TIMEOUT_MS;
    const timer = setTimeout(() => stop(`took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`), timeoutMs);
    const onAbort = () => stop("stopped: the task's deadline passed");
    o.signal?.addEventListener("abort", onAbort, { once: true });
    p.stdout.on("data", (d: Buffer) => out.length < MAX_STDOUT && (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => err.length < MAX_STDERR && (err += d.toString()));
    p.stdin.on("error", () => {});
    p.on("error", (e) => finish(new GitError(`git could not start: ${e.message}`)));
    p.on("close", (code) => finish(code === 0 && !why ? undefined : new GitError(`git ${name} ${why ?? `failed: ${err.trim().split("\n").pop() || `exit ${code}`}`}`)));
    let done = false;
    function finish(e: GitError | undefined) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      if (e) reject(e);
      else resolve(out.replace(/\n$/, ""));
    }
    p.stdin.end(o.input ?? "");
  });
}

/** The same, undefined instead of an error (a config key that is not set, a ref that does not exist). */
export function gitMaybe(args: readonly string[], o: GitOptions): Promise<string | undefined> {
  return git(args, o).then(
    (out) => out.trim() || undefined,
    () => undefined,
  );
}

/**
 * A long-running git process (cat-file --batch) under the same environment policy; killed when `signal`
 * fires. No timeout: it lives as long as the revisions it serves, and each caller bounds its own wait.
 */
export function spawnGit(args: readonly string[], o: Omit<GitOptions, "input" | "timeoutMs">): Child {
  const p = spawnChild("git", args, { cwd: o.cwd, env: gitChildEnv(o.env, o.network ?? true), detached: true });
  if (o.signal) {
    const kill = () => killGroup(p, true, "SIGKILL");
    if (o.signal.aborted) kill();
    else {
      o.signal.addEventListener("abort", kill, { once: true });
      p.on("close", () => o.signal!.removeEventListener("abort", kill));
    }
  }
  return p;
}
