import { z } from "zod";

/**
 * Background work as data, so that whichever replica picks it up can run it: handlers only submit
 * tasks; a task runner does the work with the credentials it re-creates (installation tokens, etc.).
 * Everything but the envelope is the forge module's (`data`, validated by its `schemas[kind]`).
 */
export interface Task {
  /** "review": one report for a change request; "runner": a CI job that may want a GPU runner. */
  kind: TaskKind;
  /** The forge module's registry id ("github", "gitlab"). */
  forge: string;
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

export const TASK_KINDS = ["review", "runner"] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** A registry id: what a forge folder is called (src/forges/<id>/). */
export const FORGE_ID = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Keys, versions and deliveries become Redis keys and log fields: bounded so that a hostile payload
 * (a 1 MB branch name in a version) cannot bloat Redis or the logs.
 */
const MAX_FIELD = 1_024;

const field = (name: string) =>
  z
    .string({ message: `${name} is not a string` })
    .min(1, `${name} is empty`)
    .max(MAX_FIELD, `${name} is over ${MAX_FIELD} characters`);

/** The envelope every task has on the wire; `data` is the forge module's to validate. */
export const taskSchema = z.object(
  {
    kind: z.enum(TASK_KINDS, { message: `kind is not one of ${TASK_KINDS.join(", ")}` }),
    forge: z.string({ message: "forge is not a string" }).regex(FORGE_ID, "forge is not a registry id"),
    key: field("key"),
    version: field("version"),
    delivery: field("delivery").optional(),
    tenant: field("tenant").optional(),
    data: z.unknown(),
  },
  { message: "a task is not an object" },
);

/**
 * Kinds queued by the release before forge modules (still in Redis during an upgrade): same keys,
 * versions and data, so they are run, not dropped. Remove after one release.
 */
const LEGACY_KINDS: Readonly<Record<string, { kind: TaskKind; forge: string }>> = {
  "github.pull_request": { kind: "review", forge: "github" },
  "github.workflow_run": { kind: "review", forge: "github" },
  "runner.github": { kind: "runner", forge: "github" },
  "gitlab.merge_request": { kind: "review", forge: "gitlab" },
  "gitlab.pipeline": { kind: "review", forge: "gitlab" },
  "runner.gitlab": { kind: "runner", forge: "gitlab" },
};

/** A task as taken off the queue (Redis gives back whatever was stored): typed, or one line saying why not. */
export function parseTask(raw: unknown): { task: Task } | { error: string } {
  const r0 = raw as { kind?: unknown; forge?: unknown } | null;
  const legacy = typeof r0?.kind === "string" && r0.forge === undefined && Object.hasOwn(LEGACY_KINDS, r0.kind) ? LEGACY_KINDS[r0.kind] : undefined;
  const r = taskSchema.safeParse(legacy ? { ...(raw as object), ...legacy } : raw);
  return r.success ? { task: r.data as Task } : { error: `invalid task: ${zodLine(r.error)}`.slice(0, 200) };
}

/** The first problem of a failed parse as one line: `pr.head.sha is not a commit id (40 or 64 hex digits)`. */
export function zodLine(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "unreadable";
  const where = issue.path.map(String).join(".");
  return where && !issue.message.startsWith(where) ? `${where} ${issue.message}` : issue.message;
}

/**
 * Each attempt's deadline (TaskContext.signal): git, HTTP and the renderer stop when it fires, so one
 * stalled fetch or forge call cannot hold a worker slot (and that pull request's later reports). A
 * review fetches two revisions, their DVC/LFS objects, and renders within RENDER_BUDGET_MS (60 s).
 */
export const REVIEW_DEADLINE_MS = 10 * 60_000;
/** A runner task is a few forge and cloud calls. */
export const RUNNER_DEADLINE_MS = 3 * 60_000;

export const DEFAULT_DEADLINES: Readonly<Record<TaskKind, number>> = Object.freeze({ review: REVIEW_DEADLINE_MS, runner: RUNNER_DEADLINE_MS });

/** The abort reason of a task whose deadline passed (`signal.reason`). */
export class DeadlineError extends Error {
  override readonly name = "DeadlineError";
  constructor(readonly ms: number) {
    super(`the task's deadline of ${Math.round(ms / 1000)} s passed`);
  }
}

/** A task that failed its envelope's validation: reported once through onError, dropped, never retried. */
export class InvalidTaskError extends Error {
  override readonly name = "InvalidTaskError";
}

/** What onError is told of a task that is not one: short strings only (the raw fields are hostile). */
export function invalidTaskStub(raw: unknown): Task {
  const r = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const text = (v: unknown, n: number) => (typeof v === "string" ? v.slice(0, n) : "?");
  return { kind: text(r.kind, 20) as TaskKind, forge: text(r.forge, 32), key: text(r.key, 200), version: text(r.version, 100), data: undefined };
}

/**
 * `run`, or a rejection with the deadline's reason as soon as `signal` fires: a runner that does not
 * honour the signal must not hold the key (and its newer versions) past the deadline either.
 */
export function untilAborted<T>(run: Promise<T>, signal: AbortSignal): Promise<T> {
  // The abandoned work's own failure, after the deadline, is nobody's to handle.
  run.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason);
  let stop = () => {};
  const aborted = new Promise<never>((_, reject) => {
    stop = () => reject(signal.reason);
    signal.addEventListener("abort", stop, { once: true });
  });
  return Promise.race([run, aborted]).finally(() => signal.removeEventListener("abort", stop));
}

/** One attempt's signal; `clear()` when the attempt ends so that the timer does not keep the process up. */
export function attemptSignal(ms: number): { signal: AbortSignal; clear(): void } {
  const c = new AbortController();
  const timer = setTimeout(() => c.abort(new DeadlineError(ms)), ms);
  timer.unref?.();
  return { signal: c.signal, clear: () => clearTimeout(timer) };
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
  /** This attempt's deadline (DEFAULT_DEADLINES by kind, or the queue's `deadlineMs`): pass it to git, HTTP and the renderer. */
  signal: AbortSignal;
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
