import type { ProbotOctokit } from "probot";
import { MARKER } from "../../report/index.js";
import type { ChangeRequest, CheckResult, Forge } from "../types.js";

type Rest = InstanceType<typeof ProbotOctokit>;

interface IssueComment {
  id: number;
  body?: string;
  user: { login: string; type: string } | null;
  performed_via_github_app?: { id: number; slug?: string } | null;
}

export const CHECK_NAME = "mlreview";

/**
 * GitHub through an installation's Octokit (Probot's context.octokit). Only comments written by this
 * app count as the report: anyone (a user, another bot) can paste the marker into a comment, and
 * editing or deleting theirs would destroy their text.
 */
export class GitHubForge implements Forge {
  readonly name = "github";
  constructor(
    private readonly octokit: Rest,
    private readonly appId: number | undefined,
  ) {}

  async upsertReport(cr: ChangeRequest, body: string): Promise<{ id: number; action: "created" | "updated" | "unchanged" }> {
    const [owner, repo] = split(cr.repo);
    const ours: IssueComment[] = [];
    const pages = this.octokit.paginate.iterator(this.octokit.rest.issues.listComments, { owner, repo, issue_number: cr.number, per_page: 100 });
    for await (const page of pages) {
      for (const c of page.data as IssueComment[]) if (c.body?.includes(MARKER) && (await this.isOurs(c))) ours.push(c);
    }
    const [first, ...duplicates] = ours;
    // Two deliveries racing can each create a comment; the next run folds them back into one.
    for (const d of duplicates) await this.octokit.rest.issues.deleteComment({ owner, repo, comment_id: d.id });
    if (!first) {
      const { data } = await this.octokit.rest.issues.createComment({ owner, repo, issue_number: cr.number, body });
      return { id: data.id, action: "created" };
    }
    if (first.body === body) return { id: first.id, action: "unchanged" };
    await this.octokit.rest.issues.updateComment({ owner, repo, comment_id: first.id, body });
    return { id: first.id, action: "updated" };
  }

  async setCheck(cr: ChangeRequest, result: CheckResult): Promise<void> {
    const [owner, repo] = split(cr.repo);
    await this.octokit.rest.checks.create({
      owner,
      repo,
      name: CHECK_NAME,
      head_sha: cr.headSha,
      status: "completed",
      conclusion: result.conclusion,
      output: { title: result.title.slice(0, 255), summary: result.summary.slice(0, 65_535) },
    });
  }

  /**
   * Ours: written through this app (performed_via_github_app.id = APP_ID), or, where GitHub leaves that
   * field out, by this app's own bot user `<slug>[bot]`. Any other bot is someone else's, whatever its
   * comment says; without an app id nothing can be proven ours, so a new comment is made instead.
   */
  private async isOurs(c: IssueComment): Promise<boolean> {
    if (this.appId === undefined || c.user?.type !== "Bot") return false;
    if (c.performed_via_github_app) return c.performed_via_github_app.id === this.appId;
    return c.user.login === `${await this.slug()}[bot]`;
  }

  /** The app's slug, asked once per forge and only when a marked bot comment lacks the app field (GET /app signs with the app's JWT). */
  private slugOnce: Promise<string> | undefined;
  private slug(): Promise<string> {
    this.slugOnce ??= this.octokit.rest.apps.getAuthenticated().then(({ data }) => data?.slug ?? "");
    return this.slugOnce;
  }
}

function split(fullName: string): [string, string] {
  const [owner, repo] = fullName.split("/");
  if (!owner || !repo) throw new Error(`not an owner/name repository: ${fullName}`);
  return [owner, repo];
}
