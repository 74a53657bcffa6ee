import type { Context } from "probot";
import type { ImageStore } from "../forges/image-store.js";
import type { LatestPerKey } from "../queue/latest.js";
import { reportPullRequest } from "./github-job.js";
import type { AppSettings } from "./settings.js";

export const PULL_REQUEST_EVENTS = ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"] as const;

export const prKey = (fullName: string, number: number) => `${fullName}#${number}`;

/** Enqueue the report of a pull request's newest head; the delivery is answered at once. */
export function onPullRequest(settings: AppSettings, queue: LatestPerKey, images: ImageStore | undefined, heads: Map<string, string>) {
  return async (context: Context<"pull_request">): Promise<void> => {
    const { pull_request: pr, repository } = context.payload;
    const key = prKey(repository.full_name, pr.number);
    heads.set(key, pr.head.sha);
    void queue.submit(key, pr.head.sha, ({ isStale }) => reportPullRequest({ octokit: context.octokit, settings, images, repository, pr, isStale }));
  };
}
