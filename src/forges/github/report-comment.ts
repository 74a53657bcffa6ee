import type { ProbotOctokit } from "probot";
import { MARKER } from "../../report/index.js";
import type { ChangeRequest } from "../types.js";
import { splitFullName } from "./full-name.js";

type Rest = InstanceType<typeof ProbotOctokit>;

interface IssueComment {
  id: number;
  body?: string;
  user: { login: string; type: string } | null;
  performed_via_github_app?: { id: number; slug?: string } | null;
}

/**
 * The one report comment of a pull request, through an installation's Octokit. Only comments written
 * by this app count as the report: anyone (a user, another bot) can paste the marker into a comment,
 * and editing or deleting theirs would destroy their text.
 */
export class ReportComment {
  constructor(
    private readonly octokit: Rest,
    private readonly appId: number | undefined,
  ) {}

  async upsert(cr: ChangeRequest, body: string, signal?: AbortSignal): Promise<{ id: number; action: "created" | "updated" | "unchanged" }> {
    const [owner, repo] = splitFullName(cr.repo);
    const request = signal ? { request: { signal } } : {};
    const ours: IssueComment[] = [];
    const pages = this.octokit.paginate.iterator(this.octokit.rest.issues.listComments, { owner, repo, issue_number: cr.number, per_page: 100, ...request });
    for await (const page of pages) {
      for (const c of page.data as IssueComment[]) if (c.body?.includes(MARKER) && (await this.isOurs(c))) ours.push(c);
    }
    const [first, ...duplicates] = ours;
    // Two deliveries racing can each create a comment; the next run folds them back into one.
    for (const d of duplicates) await this.octokit.rest.issues.deleteComment({ owner, repo, comment_id: d.id, ...request });
    if (!first) {
      const { data } = await this.octokit.rest.issues.createComment({ owner, repo, issue_number: cr.number, body, ...request });
      return { id: data.id, action: "created" };
    }
    if (first.body === body) return { id: first.id, action: "unchanged" };
    await this.octokit.rest.issues.updateComment({ owner, repo, comment_id: first.id, body, ...request });
    return { id: first.id, action: "updated" };
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

  /** The app's slug, asked once per instance and only when a marked bot comment lacks the app field (GET /app signs with the app's JWT). */
  private slugOnce: Promise<string> | undefined;
  private slug(): Promise<string> {
    this.slugOnce ??= this.octokit.rest.apps.getAuthenticated().then(({ data }) => data?.slug ?? "");
    return this.slugOnce;
  }
}
