// Interim (github branch): the review helper's zod envelope in src/queue/task.ts replaces this file;
// the worker in index.ts only needs `parseTask` and `zodLine` under whatever names it lands.
import { z } from "zod";
import type { Task } from "../queue/task.js";

/** A key or version is a Redis key part and a log field: bounded, so a forged task cannot bloat either. */
const MAX_KEY = 1024;
const MAX_VERSION = 256;

/** A task as it comes off the queue (it went through Redis: anything may be in it). */
export const taskEnvelope = z.object({
  kind: z.enum(["review", "runner"], { error: "kind is not review or runner" }),
  forge: z.string({ error: "forge is not a string" }).regex(/^[a-z][a-z0-9-]{0,31}$/, "forge is not a forge id"),
  key: z.string({ error: "key is not a string" }).min(1, "key is empty").max(MAX_KEY, `key is longer than ${MAX_KEY} characters`),
  version: z.string({ error: "version is not a string" }).min(1, "version is empty").max(MAX_VERSION, `version is longer than ${MAX_VERSION} characters`),
  delivery: z.string({ error: "delivery is not a string" }).max(MAX_KEY, "delivery is too long").optional(),
  tenant: z.string({ error: "tenant is not a string" }).max(MAX_KEY, "tenant is too long").optional(),
  data: z.unknown(),
});
export type TaskEnvelope = z.infer<typeof taskEnvelope>;

/**
 * Kinds queued by the release before forge modules (still in Redis during an upgrade): same keys,
 * versions and data, so they are run, not dropped. Remove after one release.
 */
const LEGACY_KINDS: Record<string, { kind: "review" | "runner"; forge: string }> = {
  "github.pull_request": { kind: "review", forge: "github" },
  "github.workflow_run": { kind: "review", forge: "github" },
  "runner.github": { kind: "runner", forge: "github" },
  "gitlab.merge_request": { kind: "review", forge: "gitlab" },
  "gitlab.pipeline": { kind: "review", forge: "gitlab" },
  "runner.gitlab": { kind: "runner", forge: "gitlab" },
};

/** The envelope of a task taken off the queue, or the one line saying why it is dropped. */
export function parseTask(task: Task): { task: TaskEnvelope } | { problem: string } {
  const raw = task as unknown;
  const legacy = typeof task?.kind === "string" && Object.hasOwn(LEGACY_KINDS, task.kind) && (task as { forge?: unknown }).forge === undefined ? LEGACY_KINDS[task.kind] : undefined;
  const parsed = taskEnvelope.safeParse(legacy ? { ...(raw as object), ...legacy } : raw);
  return parsed.success ? { task: parsed.data } : { problem: zodLine(parsed.error) };
}

/** The first problem of a failed parse as one line: `pr.head.sha is not a commit id (40 or 64 hex digits)`. */
export function zodLine(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  const where = issue.path.map(String).join(".");
  return where && !issue.message.startsWith(where) ? `${where} ${issue.message}` : issue.message;
}
