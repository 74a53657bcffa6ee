import type { Context } from "probot";
import { GitHubForge } from "../forges/github/forge.js";
import type { ImageStore } from "../forges/image-store.js";
import type { LatestPerKey } from "../queue/latest.js";
import { runReport } from "../report/run.js";
import { openRemoteRevisions } from "../revisions/remote.js";
import { reposDir, type AppSettings } from "./settings.js";

export const PULL_REQUEST_EVENTS = ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"] as const;

/** Enqueue the report of a pull request's newest head; the delivery is answered at once. */
export function onPullRequest(settings: AppSettings, queue: LatestPerKey, images: ImageStore | undefined) {
  return async (context: Context<"pull_request">): Promise<void> => {
    const { pull_request: pr, repository } = context.payload;
    const cr = { repo: repository.full_name, number: pr.number, headSha: pr.head.sha, baseRef: pr.base.ref };
    void queue.submit(`${repository.full_name}#${pr.number}`, pr.head.sha, async ({ isStale }) => {
      const [owner, repo] = [repository.owner.login, repository.name];
      // The base of a pull request is where the branch forked, not the base branch's tip.
      const { data: compare } = await context.octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${pr.base.sha}...${pr.head.sha}`, per_page: 1 });
      const { token } = (await context.octokit.auth({ type: "installation" })) as { token: string };
      const revs = await openRemoteRevisions({ url: repository.clone_url, token, cacheDir: reposDir(settings) }, [
        { sha: compare.merge_base_commit.sha, label: pr.base.ref },
        { sha: pr.head.sha, label: pr.head.ref },
      ]);
      try {
        const report = await runReport(revs.trees[0]!, revs.trees[1]!, {
          drawPlots: images !== undefined,
          publish: images ? (_name, data, type) => images.put(data, type) : async () => "",
        });
        if (isStale()) return;
        const forge = new GitHubForge(context.octokit, settings.appId);
        await forge.upsertReport(cr, report.markdown);
        await forge.setCheck(cr, {
          conclusion: report.conclusion,
          title: report.summary,
          summary: [report.summary, ...report.breaches.map((b) => `- ${b.reason}`)].join("\n"),
        });
      } finally {
        await revs.close();
      }
    });
  };
}
