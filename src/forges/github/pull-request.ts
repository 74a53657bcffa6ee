import type { Context } from "probot";
import { isObjectId } from "../../revisions/object-id.js";
import type { ForgeHost } from "../types.js";
import { gitOrigin, onOrigin } from "./origin.js";
import type { PullRequestTaskData } from "./schemas.js";
import { submitReview } from "./submit.js";

export const PULL_REQUEST_EVENTS = ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"] as const;

export const prKey = (fullName: string, number: number) => `${fullName}#${number}`;
export const headMemory = (key: string) => `head:${key}`;

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

/** The delivery only enqueues the report of the pull request's newest head; a worker builds it. */
export function onPullRequest(host: ForgeHost) {
  return async (context: Context<"pull_request">): Promise<void> => {
    if (!hasPullRequestFields(context.payload)) return context.log.warn({ delivery: context.id }, "mlreview: pull_request delivery without the fields a report needs: ignored");
    const data = pullRequestData(context.payload);
    // The installation token is sent to git at clone_url: only the GitHub host this app is configured for may be there.
    if (!onOrigin(data.repository.clone_url, gitOrigin(context.octokit))) {
      return context.log.warn({ delivery: context.id }, `mlreview: pull_request delivery whose clone_url is not on ${gitOrigin(context.octokit)}: ignored`);
    }
    const key = prKey(data.repository.full_name, data.pr.number);
    await host.remember(headMemory(key), data.pr.head.sha);
    await submitReview(host, { key, version: data.pr.head.sha, delivery: context.id, data });
  };
}
