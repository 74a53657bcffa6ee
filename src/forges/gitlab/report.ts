import { MARKER, type Publish } from "../../report/index.js";
import type { ChangeRequest, CheckResult } from "../types.js";
import type { GitLabClient } from "./client.js";
import { gitlabPath } from "./path.js";

interface Note {
  id: number;
  body: string;
  system: boolean;
  author: { id: number; username: string };
}

/**
 * What a merge request shows of a review: the report is one note (found by its marker among the notes
 * of the bot's own user, on any page), the check is a commit status named "mlreview", and images go
 * through the project's uploads, linked relatively so that they work on any host and behind a sub-path.
 */
export class MergeRequestReport {
  private me: Promise<{ id: number }> | undefined;

  constructor(
    private readonly api: GitLabClient,
    private readonly cr: ChangeRequest,
  ) {}

  async upsert(body: string, signal?: AbortSignal): Promise<{ id: number; action: "created" | "updated" | "unchanged" }> {
    const path = gitlabPath`/projects/${this.cr.repo}/merge_requests/${this.cr.number}/notes`;
    const [me, notes] = await Promise.all([this.whoami(signal), this.api.all<Note>(`${path}?sort=asc&order_by=created_at`, undefined, signal)]);
    const [first, ...duplicates] = notes.filter((n) => !n.system && n.author?.id === me.id && typeof n.body === "string" && n.body.includes(MARKER));
    for (const d of duplicates) await this.api.request("DELETE", path + gitlabPath`/${d.id}`, undefined, signal);
    if (!first) return { id: (await this.api.request<{ id: number }>("POST", path, { body }, signal)).id, action: "created" };
    if (first.body === body) return { id: first.id, action: "unchanged" };
    await this.api.request("PUT", path + gitlabPath`/${first.id}`, { body }, signal);
    return { id: first.id, action: "updated" };
  }

  async setStatus(result: CheckResult, signal?: AbortSignal): Promise<void> {
    // GitLab statuses have no "neutral": a report whose metrics could not be read does not block a merge
    // (a pipeline that must succeed), and its description starts with the ⚠️ line that says why.
    const state = result.conclusion === "failure" ? "failed" : "success";
    await this.api.request("POST", gitlabPath`/projects/${this.cr.repo}/statuses/${this.cr.headSha}`, { state, name: "mlreview", description: result.title.slice(0, 255) }, signal);
  }

  /** Uploads each image to the project; the link GitLab returns is relative (/uploads/<secret>/<name>). */
  publisher(signal?: AbortSignal): Publish {
    return async (name, data, type) => {
      const form = new FormData();
      form.append("file", new Blob([data], { type }), name.replace(/[^A-Za-z0-9._-]+/g, "_").slice(-100) || "image.png");
      const up = await this.api.request<{ url: string }>("POST", gitlabPath`/projects/${this.cr.repo}/uploads`, form, signal);
      return up.url;
    };
  }

  /** The token's own user: only its notes are the report, whoever else pastes the marker. */
  private whoami(signal?: AbortSignal): Promise<{ id: number }> {
    this.me ??= this.api.request<{ id: number }>("GET", "/user", undefined, signal);
    this.me.catch(() => (this.me = undefined));
    return this.me;
  }
}
