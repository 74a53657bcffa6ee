import { MARKER, type Publish } from "../../report/index.js";
import type { ChangeRequest, CheckResult, Forge } from "../types.js";
import type { GitLabApi } from "./api.js";
import { gitlabPath } from "./path.js";

interface Note {
  id: number;
  body: string;
  system: boolean;
  author: { id: number; username: string };
}

/**
 * GitLab merge requests: the report is one note (found by its marker among the notes of the bot's own
 * user, on any page), the check is a commit status named "mlreview", and images go through the
 * project's uploads, linked relatively so that they work on any host and behind a sub-path.
 */
export class GitLabForge implements Forge {
  readonly name = "gitlab";
  private me: Promise<{ id: number }> | undefined;

  constructor(private readonly api: GitLabApi) {}

  async upsertReport(cr: ChangeRequest, body: string): Promise<{ id: number; action: "created" | "updated" | "unchanged" }> {
    const path = gitlabPath`/projects/${cr.repo}/merge_requests/${cr.number}/notes`;
    const [me, notes] = await Promise.all([this.whoami(), this.api.all<Note>(`${path}?sort=asc&order_by=created_at`)]);
    const [first, ...duplicates] = notes.filter((n) => !n.system && n.author.id === me.id && n.body.includes(MARKER));
    for (const d of duplicates) await this.api.request("DELETE", path + gitlabPath`/${d.id}`);
    if (!first) return { id: (await this.api.request<{ id: number }>("POST", path, { body })).id, action: "created" };
    if (first.body === body) return { id: first.id, action: "unchanged" };
    await this.api.request("PUT", path + gitlabPath`/${first.id}`, { body });
    return { id: first.id, action: "updated" };
  }

  async setCheck(cr: ChangeRequest, result: CheckResult): Promise<void> {
    // GitLab statuses have no "neutral": a report whose metrics could not be read does not block a merge
    // (a pipeline that must succeed), and its description starts with the ⚠️ line that says why.
    const state = result.conclusion === "failure" ? "failed" : "success";
    await this.api.request("POST", gitlabPath`/projects/${cr.repo}/statuses/${cr.headSha}`, {
      state,
      name: "mlreview",
      description: result.title.slice(0, 255),
    });
  }

  /** Uploads each image to the project; the link GitLab returns is relative (/uploads/<secret>/<name>). */
  publisher(project: number | string): Publish {
    return async (name, data, type) => {
      const form = new FormData();
      form.append("file", new Blob([data], { type }), name.replace(/[^A-Za-z0-9._-]+/g, "_").slice(-100) || "image.png");
      const up = await this.api.request<{ url: string }>("POST", gitlabPath`/projects/${project}/uploads`, form);
      return up.url;
    };
  }

  /** The token's own user: only its notes are the report, whoever else pastes the marker. */
  private whoami(): Promise<{ id: number }> {
    this.me ??= this.api.request<{ id: number }>("GET", "/user");
    this.me.catch(() => (this.me = undefined));
    return this.me;
  }
}
