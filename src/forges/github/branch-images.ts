import { createHash } from "node:crypto";
import type { ProbotOctokit } from "probot";
import { PublishRefused, type Publish } from "../../report/index.js";
import { IMAGE_STORE_LIMITS, ReportImageBudget, type ImageStoreLimits } from "../image-store.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

export const ASSETS_BRANCH = "mlreview-assets";
const EXT: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif" };

/**
 * Report images committed to an orphan branch of the repository itself, for private repositories:
 * they are visible to exactly the people who can read the code. Paths are content-addressed, so a link
 * can name the branch before the commit exists; `flush` then commits everything new in one commit.
 * One instance is one report: it keeps to the per-report caps, so a push cannot commit hundreds of MB.
 */
export class BranchImages {
  private readonly pending = new Map<string, Buffer>();
  private readonly budget: ReportImageBudget;

  constructor(
    private readonly octokit: Octokit,
    private readonly owner: string,
    private readonly repo: string,
    /** The repository's web URL from the payload (github.com or the Enterprise host). */
    private readonly htmlUrl: string,
    limits: Partial<ImageStoreLimits> = {},
  ) {
    this.budget = new ReportImageBudget({ ...IMAGE_STORE_LIMITS, ...limits });
  }

  readonly publish: Publish = async (_name, data, type) => {
    const ext = EXT[type];
    if (!ext) throw new PublishRefused(`not published: only PNG, JPEG and GIF, not ${type}`);
    const path = `images/${createHash("sha256").update(data).digest("hex")}.${ext}`;
    this.budget.admit(path, data.length);
    this.pending.set(path, data);
    return `${this.htmlUrl}/blob/${ASSETS_BRANCH}/${path}?raw=true`;
  };

  /** Commit the images not yet on the branch; another report racing on the same branch is retried. */
  async flush(attempts = 3): Promise<void> {
    if (this.pending.size === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.commitOnce();
      } catch (e) {
        const status = (e as { status?: number }).status;
        if (attempt >= attempts || (status !== 409 && status !== 422)) throw e;
      }
    }
  }

  private async commitOnce(): Promise<void> {
    const { owner, repo } = this;
    const head = await this.octokit.rest.git.getRef({ owner, repo, ref: `heads/${ASSETS_BRANCH}` }).then(
      (r) => r.data.object.sha,
      (e: { status?: number }) => (e.status === 404 ? undefined : Promise.reject(e)),
    );
    let baseTree: string | undefined;
    const existing = new Set<string>();
    if (head) {
      const { data: commit } = await this.octokit.rest.git.getCommit({ owner, repo, commit_sha: head });
      baseTree = commit.tree.sha;
      const { data: tree } = await this.octokit.rest.git.getTree({ owner, repo, tree_sha: baseTree, recursive: "true" });
      for (const e of tree.tree) if (e.path) existing.add(e.path);
    }
    const fresh = [...this.pending].filter(([path]) => !existing.has(path));
    if (fresh.length > 0) {
      const entries = await Promise.all(
        fresh.map(async ([path, data]) => {
          const { data: blob } = await this.octokit.rest.git.createBlob({ owner, repo, content: data.toString("base64"), encoding: "base64" });
          return { path, mode: "100644" as const, type: "blob" as const, sha: blob.sha };
        }),
      );
      const { data: tree } = await this.octokit.rest.git.createTree({ owner, repo, tree: entries, ...(baseTree ? { base_tree: baseTree } : {}) });
      const { data: commit } = await this.octokit.rest.git.createCommit({ owner, repo, message: `mlreview: ${fresh.length} report image(s)`, tree: tree.sha, parents: head ? [head] : [] });
      if (head) await this.octokit.rest.git.updateRef({ owner, repo, ref: `heads/${ASSETS_BRANCH}`, sha: commit.sha, force: false });
      else await this.octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${ASSETS_BRANCH}`, sha: commit.sha });
    }
    this.pending.clear();
  }
}
