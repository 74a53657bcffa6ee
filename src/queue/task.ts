/**
 * Background work as data, so that whichever replica picks it up can run it: handlers only submit
 * tasks; a task runner does the work with the credentials it re-creates (installation tokens, etc.).
 */
export interface Task {
  /** Which handler runs it ("github.pull_request", "runner.github", ...). */
  kind: string;
  /** Work under one key is coalesced: only its newest version is done. */
  key: string;
  /** A version already queued, running or done is not queued again. */
  version: string;
  /**
   * The delivery (webhook) that produced the task. A delivery seen before is ignored entirely, so a
   * redelivered old push never makes an old head "newest" again; a new delivery of an older head (a
   * force-push back) still counts.
   */
  delivery?: string;
  /**
   * Whose work it is, for fair scheduling (see fair-slots.ts). Unset: the GitHub installation in
   * `data.installation`, else the repository (GitLab: project) part of the key.
   */
  tenant?: string;
  data: unknown;
}

/**
 * Tasks run at once per replica, unless MLREVIEW_CONCURRENCY says otherwise: each report holds a git
 * fetch, two trees and a render, and a burst of pull requests must not open a git request per PR.
 */
export const DEFAULT_CONCURRENCY = 4;

/** The tenant a task is scheduled under (see Task.tenant). */
export function tenantOf(task: Task): string {
  if (task.tenant) return task.tenant;
  const installation = (task.data as { installation?: unknown } | null | undefined)?.installation;
  if (typeof installation === "number" || typeof installation === "string") return `installation:${installation}`;
  // The repository or project part of a key: `acme/model#12`, `gitlab:42!7`, `gitlab:42#job`.
  return `key:${task.key.split(/[#!]/)[0]}`;
}

export interface TaskContext {
  /** Has a newer version of this key been submitted since? */
  isStale(): Promise<boolean>;
  /**
   * Run `post` only if this is still the newest version and it was not posted before, exclusively
   * per key across replicas; then remember it as done. Returns undefined when skipped.
   */
  publish<T>(post: () => Promise<T>): Promise<T | undefined>;
}

export type TaskRunner = (task: Task, ctx: TaskContext) => Promise<void>;

export interface TaskQueue {
  readonly backend: "memory" | "redis";
  submit(task: Task): Promise<void>;
  /** Process tasks with this runner (every replica runs a worker). */
  work(run: TaskRunner): void;
  /** Small shared memory (the newest head of a pull request), in-process or in Redis. */
  remember(name: string, value: string): Promise<void>;
  recall(name: string): Promise<string | undefined>;
  /** Tasks waiting or running, for /metrics. */
  depth(): Promise<number>;
  /** Resolves when nothing waits or runs (tests, graceful shutdown). */
  idle(): Promise<void>;
  close(): Promise<void>;
}
