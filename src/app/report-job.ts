import type { ProbotOctokit } from "probot";
import { GitHubForge } from "../forges/github/forge.js";
import { BranchImages } from "../forges/github/branch-images.js";
import type { ImageStore } from "../forges/image-store.js";
import type { Publish } from "../report/index.js";
import { discoverProject } from "../project/index.js";
import { runReport } from "../report/run.js";
import type { RevisionProblem } from "../compare/index.js";
import { ArtifactError } from "../revisions/artifact.js";
import { OverlayTree } from "../revisions/overlay.js";
import { openRemoteRevisions } from "../revisions/remote.js";
import type { FileTree } from "../revisions/types.js";
import { reposDir, type AppSettings } from "./settings.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

export interface PullRequestJob {
  octokit: Octokit;
  settings: AppSettings;
  images: ImageStore | undefined;
  repository: { full_name: string; clone_url: string; html_url: string; owner: { login: string }; name: string };
  pr: { number: number; head: { sha: string; ref: string }; base: { sha: string; ref: string } };
  /**
   * Results a CI run produced, laid over the two sides (workflow_run). Given the head's artifact
   * settings; returns undefined when this run is not the one the repository asked for.
   */
  artifacts?: (settings: { name: string; workflow?: string }) => Promise<{ base?: Map<string, Buffer>; head: Map<string, Buffer> } | undefined>;
  isStale(): boolean;
}

/** One report for one pull request head: read both sides, build, and publish unless a newer head came. */
export async function reportPullRequest(job: PullRequestJob): Promise<void> {
  const { octokit, repository, pr } = job;
  const [owner, repo] = [repository.owner.login, repository.name];
  // The base of a pull request is where the branch forked, not the base branch's tip.
  const { data: compare } = await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${pr.base.sha}...${pr.head.sha}`, per_page: 1 });
  const { token } = (await octokit.auth({ type: "installation" })) as { token: string };
  const revs = await openRemoteRevisions({ url: repository.clone_url, token, cacheDir: reposDir(job.settings) }, [
    { sha: compare.merge_base_commit.sha, label: pr.base.ref },
    { sha: pr.head.sha, label: pr.head.ref },
  ]);
  try {
    let base: FileTree = revs.trees[0]!;
    let head: FileTree = revs.trees[1]!;
    const problems: RevisionProblem[] = [];
    if (job.artifacts) {
      const project = await discoverProject(head);
      const wanted = "error" in project ? undefined : project.settings.artifacts;
      if (!wanted) return;
      try {
        const found = await job.artifacts(wanted);
        if (!found) return;
        head = new OverlayTree(head, found.head);
        if (found.base) base = new OverlayTree(base, found.base);
      } catch (e) {
        // A rejected artifact is reported in place of its results; the committed files still are compared.
        if (!(e instanceof ArtifactError)) throw e;
        problems.push({ rev: pr.head.ref, path: `artifact '${wanted.name}'`, message: e.message });
      }
    }
    const store = job.images;
    const branch = job.settings.images === "branch" ? new BranchImages(octokit, owner, repo, repository.html_url) : undefined;
    const publish: Publish = branch ? branch.publish : store ? (_name, data, type) => store.put(data, type) : async () => "";
    const report = await runReport(base, head, { drawPlots: branch !== undefined || store !== undefined, publish, problems });
    if (job.isStale()) return;
    await branch?.flush();
    const forge = new GitHubForge(octokit, job.settings.appId);
    const cr = { repo: repository.full_name, number: pr.number, headSha: pr.head.sha, baseRef: pr.base.ref };
    await forge.upsertReport(cr, report.markdown);
    await forge.setCheck(cr, {
      conclusion: report.conclusion,
      title: report.summary,
      summary: [report.summary, ...report.breaches.map((b) => `- ${b.reason}`)].join("\n"),
    });
  } finally {
    await revs.close();
  }
}
