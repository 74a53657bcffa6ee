import type { ProbotOctokit } from "probot";
import { BranchImages } from "../forges/github/branch-images.js";
import { GitHubForge } from "../forges/github/forge.js";
import type { ImageStore } from "../forges/image-store.js";
import type { Publish } from "../report/index.js";
import type { TaskContext } from "../queue/task.js";
import { runReportJob, type ArtifactSource } from "../review/legacy.js";
import { dvcSources, reposDir, type AppSettings } from "./settings.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

export interface PullRequestJob {
  octokit: Octokit;
  settings: AppSettings;
  images: ImageStore | undefined;
  repository: { full_name: string; clone_url: string; html_url: string; owner: { login: string }; name: string };
  pr: { number: number; head: { sha: string; ref: string }; base: { sha: string; ref: string } };
  artifacts?: ArtifactSource;
  ctx: TaskContext;
}

/** A GitHub pull request as a report job: compare API for the merge-base, the installation token for git. */
export async function reportPullRequest(job: PullRequestJob): Promise<void> {
  const { octokit, repository, pr } = job;
  const [owner, repo] = [repository.owner.login, repository.name];
  const store = job.images;
  const branch = job.settings.images === "branch" ? new BranchImages(octokit, owner, repo, repository.html_url, job.settings.imageLimits) : undefined;
  const publish: Publish | undefined = branch ? branch.publish : store ? store.forReport() : undefined;
  await runReportJob({
    forge: new GitHubForge(octokit, job.settings.appId),
    cr: { repo: repository.full_name, number: pr.number, headSha: pr.head.sha, baseRef: pr.base.ref },
    // The base of a pull request is where the branch forked, not the base branch's tip.
    mergeBase: async () =>
      (await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${pr.base.sha}...${pr.head.sha}`, per_page: 1 })).data.merge_base_commit.sha,
    labels: { base: pr.base.ref, head: pr.head.ref },
    // After the compare call: the installation token is then already minted through the request hook,
    // which honours GHE_HOST; asking octokit.auth() first mints it against api.github.com instead.
    clone: { url: async () => repository.clone_url, forgeOrigin: gitOrigin(octokit), token: async () => ((await octokit.auth({ type: "installation" })) as { token: string }).token, username: "x-access-token", cacheDir: reposDir(job.settings) },
    publish,
    ...(branch ? { beforePost: () => branch.flush() } : {}),
    ...(job.artifacts ? { artifacts: job.artifacts } : {}),
    dvc: dvcSources(job.settings),
    ctx: job.ctx,
  });
}

/**
 * Where this installation's git lives: github.com for the public API, else the GitHub Enterprise host
 * the API is on (GHE_HOST). The payload's clone_url must be there: the installation token goes nowhere else.
 */
export function gitOrigin(octokit: Octokit): string {
  const api = new URL(octokit.request.endpoint.DEFAULTS.baseUrl);
  return api.hostname === "api.github.com" ? "https://github.com" : api.origin;
}
