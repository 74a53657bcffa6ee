import { z } from "zod";
import { OBJECT_ID } from "../../revisions/object-id.js";

/**
 * The data of GitHub's queue tasks, validated when a worker takes one off the queue: a task has been
 * through Redis, and whoever can write there must not reach git's argv or another host with it.
 */

/** GitHub's ids are positive integers well inside 2^53. */
const id = z.number({ error: "must be a number" }).int("must be a whole number").positive("must be positive").max(Number.MAX_SAFE_INTEGER, "is too large");
/** A sha reaches git's argv: 40 or 64 lower-case hex digits, nothing else ("--upload-pack=…" would be an option). */
const sha = z.string({ error: "must be a string" }).regex(OBJECT_ID, "is not a commit id (40 or 64 hex digits)");
/** Branch names are labels in the report and query parameters, never argv; GitHub caps refs at 255 bytes. */
const ref = z.string({ error: "must be a string" }).min(1, "is empty").max(255, "is longer than 255 characters");
/** owner/name, each part what GitHub allows (letters, digits, `-`, `_`, `.`). */
const ownerName = z.string({ error: "must be a string" }).regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, "is not an owner/name repository");
const part = z.string({ error: "must be a string" }).regex(/^[A-Za-z0-9_.-]{1,100}$/, "is not a GitHub owner or repository name");
const url = z
  .string({ error: "must be a string" })
  .max(2048, "is longer than 2048 characters")
  .refine((s) => /^https?:\/\//.test(s) && URL.canParse(s), "is not an http(s) URL");

const side = z.object({ sha, ref });

export const pullRequestTaskSchema = z.object({
  installation: id,
  repository: z.object({ full_name: ownerName, clone_url: url, html_url: url, owner: z.object({ login: part }), name: part }),
  pr: z.object({ number: id, head: side, base: side }),
});

/** workflow_run: the run whose artifact is the head's results (repositoryId: older queued tasks lack it, full_name is compared then). */
export const reviewTaskSchema = pullRequestTaskSchema.extend({
  run: z.object({ id, workflow_id: id, path: z.string({ error: "must be a string" }).max(1024, "is longer than 1024 characters") }).optional(),
  repositoryId: id.optional(),
});

export type PullRequestTaskData = z.infer<typeof pullRequestTaskSchema>;
/** A GitHub review task: a pull request's head, with the workflow run when the task came from one. */
export type GitHubReviewData = z.infer<typeof reviewTaskSchema>;
