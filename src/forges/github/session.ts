import type { Publish } from "../../report/index.js";
import { ARTIFACT_DOWNLOAD_DEADLINE_MS } from "../../revisions/artifact.js";
import { lfsUrlFromClone } from "../../revisions/lfs/endpoint.js";
import { redactError } from "../redact.js";
import type { CloneAccess, ForgeHost, ReviewSession } from "../types.js";
import { workflowRunArtifacts } from "./artifacts.js";
import { BranchImages } from "./branch-images.js";
import { setCheckRun } from "./check-run.js";
import { gitOrigin } from "./origin.js";
import { ReportComment } from "./report-comment.js";
import { withDeadline } from "./request-deadline.js";
import type { GitHubReviewData } from "./schemas.js";

/**
 * A GitHub pull request as a review session: the compare API for the merge-base, the installation
 * token for git, the one report comment, the check run, images (the server's store, or the
 * repository's own branch with MLREVIEW_IMAGES=branch) and, for a workflow_run task, its artifacts.
 * Every request is under the task's deadline; no error leaves this session with the token in it.
 */
export async function reviewSession(data: GitHubReviewData, host: ForgeHost, deadline: AbortSignal): Promise<ReviewSession> {
  // Whatever a request authenticated with (installation token, app JWT) is kept out of every error.
  const credentials = new Set<string>();
  let used: string | undefined;
  const octokit = withDeadline(await host.probot.auth(data.installation), deadline, { credentials, onInstallationToken: (t) => (used = t) });
  const { repository, pr } = data;
  const [owner, repo] = [repository.owner.login, repository.name];
  const settings = host.settings;
  const cr = { repo: repository.full_name, number: pr.number, headSha: pr.head.sha, baseRef: pr.base.ref };
  const branch = settings.images === "branch" ? new BranchImages(octokit, owner, repo, repository.html_url, settings.imageLimits) : undefined;
  const publish: Publish | undefined = branch ? branch.publish : host.images?.forReport();
  const comment = new ReportComment(octokit, settings.appId);
  let token: string | undefined;
  const secrets = (): string[] => [...credentials, ...(token ? [token, Buffer.from(`x-access-token:${token}`).toString("base64")] : [])];
  const guarded =
    <A extends unknown[], T>(f: (...a: A) => Promise<T>) =>
    async (...a: A): Promise<T> => {
      try {
        return await f(...a);
      } catch (e) {
        throw redactError(e, secrets());
      }
    };
  const artifacts = data.run ? workflowRunArtifacts(octokit, { ...data, run: data.run }, settings.artifactDeadlineMs ?? ARTIFACT_DOWNLOAD_DEADLINE_MS) : undefined;
  return {
    cr,
    labels: { base: pr.base.ref, head: pr.head.ref },
    // The base of a pull request is where the branch forked, not the base branch's tip.
    mergeBase: guarded(async (signal: AbortSignal) => {
      const { data: compared } = await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${pr.base.sha}...${pr.head.sha}`, per_page: 1, request: { signal } });
      return compared.merge_base_commit.sha;
    }),
    // The token the compare call was sent with (minted through the request hook, which honours GHE_HOST):
    // octokit.auth() on a cache miss mints against api.github.com instead, whatever the app's host.
    clone: guarded(async (): Promise<CloneAccess> => {
      token ??= used ?? ((await octokit.auth({ type: "installation" })) as { token: string }).token;
      return { url: repository.clone_url, forgeOrigin: gitOrigin(octokit), token, username: "x-access-token" };
    }),
    // GitHub serves LFS at the clone URL's own `/info/lfs` (git-lfs's default for an https remote).
    lfsEndpoint: (clone) => lfsUrlFromClone(clone.url),
    ...(artifacts ? { artifacts: guarded(artifacts) } : {}),
    publish,
    ...(branch ? { beforePost: guarded(async (_signal: AbortSignal) => branch.flush()) } : {}),
    upsertReport: guarded((body: string, signal: AbortSignal) => comment.upsert(cr, body, signal)),
    setCheck: guarded((result, signal: AbortSignal) => setCheckRun(octokit, cr, result, signal)),
  };
}
