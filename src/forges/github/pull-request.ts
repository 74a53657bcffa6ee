import type { Context, ProbotOctokit } from "probot";
import type { ImageStore } from "../forges/image-store.js";
import type { Task, TaskContext, TaskQueue } from "../queue/task.js";
import { isObjectId } from "../revisions/object-id.js";
import { gitOrigin, reportPullRequest, type PullRequestJob } from "./github-job.js";
import type { AppSettings } from "./settings.js";

export const PULL_REQUEST_EVENTS = ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"] as const;

export const prKey = (fullName: string, number: number) => `${fullName}#${number}`;
export const headMemory = (key: string) => `head:${key}`;

/** What a worker needs to report a pull request, as data (any replica may run it). */
export interface PullRequestTaskData {
  installation: number;
  repository: PullRequestJob["repository"];
  pr: PullRequestJob["pr"];
}

export function pullRequestData(payload: Context<"pull_request">["payload"]): PullRequestTaskData {
  const { repository: r, pull_request: pr } = payload;
  return {
    installation: (payload as { installation?: { id: number } }).installation!.id,
    repository: { full_name: r.full_name, clone_url: r.clone_url, html_url: r.html_url, owner: { login: r.owner.login }, name: r.name },
    pr: { number: pr.number, head: { sha: pr.head.sha, ref: pr.head.ref }, base: { sha: pr.base.sha, ref: pr.base.ref } },
  };
}

/** A signed delivery can still lack what a report needs, or carry shas that are not (a forged payload from a leaked secret). */
export function hasPullRequestFields(payload: unknown): boolean {
  const p = payload as { installation?: { id?: unknown }; repository?: { full_name?: unknown; clone_url?: unknown }; pull_request?: { number?: unknown; head?: { sha?: unknown }; base?: { sha?: unknown } } };
  return (
    typeof p?.installation?.id === "number" &&
    typeof p.repository?.full_name === "string" &&
    typeof p.repository.clone_url === "string" &&
    typeof p.pull_request?.number === "number" &&
    isObjectId(p.pull_request.head?.sha) &&
    isObjectId(p.pull_request.base?.sha)
  );
}

/** Is `url` on `origin` (a forge's own origin)? An unparsable URL is not. */
export function onOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

/** The delivery only enqueues the report of the pull request's newest head; a worker builds it. */
export function onPullRequest(queue: TaskQueue) {
  return async (context: Context<"pull_request">): Promise<void> => {
    if (!hasPullRequestFields(context.payload)) return context.log.warn({ delivery: context.id }, "mlreview: pull_request delivery without the fields a report needs: ignored");
    const data = pullRequestData(context.payload);
    // The installation token is sent to git at clone_url: only the GitHub host this app is configured for may be there.
    if (!onOrigin(data.repository.clone_url, gitOrigin(context.octokit))) {
      return context.log.warn({ delivery: context.id }, `mlreview: pull_request delivery whose clone_url is not on ${gitOrigin(context.octokit)}: ignored`);
    }
    const key = prKey(data.repository.full_name, data.pr.number);
    await queue.remember(headMemory(key), data.pr.head.sha);
    await queue.submit({ kind: "github.pull_request", key, version: data.pr.head.sha, delivery: context.id, data });
  };
}

export async function runPullRequest(octokit: InstanceType<typeof ProbotOctokit>, settings: AppSettings, images: ImageStore | undefined, task: Task, ctx: TaskContext): Promise<void> {
  const d = task.data as PullRequestTaskData;
  await reportPullRequest({ octokit, settings, images, repository: d.repository, pr: d.pr, ctx });
}
