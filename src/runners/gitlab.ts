import { gitlabPath } from "../forges/gitlab/path.js";

/**
 * The few GitLab REST calls the runners need, over fetch. GITLAB_TOKEN needs `create_runner` (POST
 * /user/runners), `manage_runner` (DELETE /runners/:id, GET /runners/:id/jobs) and `read_api` (jobs,
 * merge requests), or simply `api`; its user must be a Maintainer of the projects. The token goes
 * only into the PRIVATE-TOKEN header: never into a log line or an error message.
 */
export interface GitLabClientOptions {
  /** GITLAB_URL, with a relative URL root if GitLab has one: https://git.example.com/gitlab. */
  url: string;
  token: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** A project: its numeric id or its path_with_namespace. */
export type ProjectRef = number | string;

export interface GitLabJob {
  id: number;
  /** created, pending, running, success, failed, canceled, skipped, manual, … */
  status: string;
  ref: string;
  tag_list: string[];
}

export class GitLabApiError extends Error {
  override readonly name = "GitLabApiError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class GitLabClient {
  /** The instance URL without a trailing slash (what a runner is given). */
  readonly url: string;
  private readonly api: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly o: GitLabClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(o.url);
    } catch {
      throw new TypeError(`GITLAB_URL "${o.url}" is not a URL`);
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new TypeError(`GITLAB_URL "${o.url}" is not http(s)`);
    if (!o.token) throw new TypeError("GITLAB_TOKEN is empty");
    this.url = `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
    this.api = `${this.url}/api/v4`;
    this.fetch = o.fetch ?? fetch;
    this.timeoutMs = o.timeoutMs ?? 30_000;
  }

  /**
   * A runner for one project that takes only jobs with exactly these tags: created through the
   * runner-creation API, which returns a runner authentication token (glrt-…); registration tokens
   * are deprecated and never used.
   */
  async createRunner(o: { projectId: number; description: string; tags: string[]; maximumTimeoutSeconds: number }): Promise<{ id: number; token: string }> {
    const body = {
      runner_type: "project_type",
      project_id: o.projectId,
      description: o.description,
      tag_list: o.tags,
      run_untagged: false,
      locked: true,
      maximum_timeout: o.maximumTimeoutSeconds,
    };
    const data = (await this.call("POST", "/user/runners", body)) as { id?: unknown; token?: unknown } | undefined;
    if (!data || !Number.isSafeInteger(data.id) || (data.id as number) <= 0 || typeof data.token !== "string") {
      throw new GitLabApiError("POST /user/runners: the answer has no runner id and token", 502);
    }
    return { id: data.id as number, token: data.token };
  }

  /** Delete a runner; one that is already gone is fine. */
  async deleteRunner(id: number): Promise<void> {
    await this.call("DELETE", gitlabPath`/runners/${id}`, undefined, [404]);
  }

  /** A job as GitLab has it now, or undefined when the job (or its project) is gone. */
  async job(project: ProjectRef, jobId: number): Promise<GitLabJob | undefined> {
    const data = (await this.call("GET", gitlabPath`/projects/${project}/jobs/${jobId}`, undefined, [404])) as Partial<GitLabJob> | undefined;
    if (!data) return undefined;
    return {
      id: Number(data.id),
      status: typeof data.status === "string" ? data.status : "unknown",
      ref: typeof data.ref === "string" ? data.ref : "",
      tag_list: Array.isArray(data.tag_list) ? data.tag_list.filter((t): t is string => typeof t === "string") : [],
    };
  }

  /**
   * The project's path_with_namespace as GitLab has it for this id, or undefined when it is gone: a
   * hook's `project.path_with_namespace` is only what the sender claims.
   */
  async pathWithNamespace(projectId: number): Promise<string | undefined> {
    const data = (await this.call("GET", gitlabPath`/projects/${projectId}`, undefined, [404])) as { path_with_namespace?: unknown } | undefined;
    return typeof data?.path_with_namespace === "string" ? data.path_with_namespace : undefined;
  }

  /** Is the runner running a job now? */
  async runnerBusy(id: number): Promise<boolean> {
    const data = await this.call("GET", gitlabPath`/runners/${id}/jobs` + "?status=running&per_page=1", undefined, [404]);
    return Array.isArray(data) && data.length > 0;
  }

  async mergeRequest(project: ProjectRef, iid: number): Promise<{ source_project_id: number; target_project_id: number }> {
    const data = (await this.call("GET", gitlabPath`/projects/${project}/merge_requests/${iid}`)) as { source_project_id?: unknown; target_project_id?: unknown };
    return { source_project_id: Number(data.source_project_id), target_project_id: Number(data.target_project_id) };
  }

  /** The parsed JSON body; undefined for 204 and for the statuses the caller accepts as "not there". */
  private async call(method: string, path: string, body?: unknown, absentOk: number[] = []): Promise<unknown> {
    const what = `${method} ${path.replace(/\?.*$/, "")}`;
    let res: Response;
    try {
      res = await this.fetch(`${this.api}${path}`, {
        method,
        headers: { "PRIVATE-TOKEN": this.o.token, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // fetch keeps PRIVATE-TOKEN on a redirect to another origin (it drops only Authorization): a 3xx is an error.
        redirect: "manual",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new GitLabApiError(`GitLab ${what}: ${this.redact((e as Error).message)}`, 0);
    }
    if (absentOk.includes(res.status)) return undefined;
    if (!res.ok) {
      // GitLab's own message helps ("403 Forbidden", "project_id is invalid"); kept short and redacted.
      const text = await res.text().catch(() => "");
      let detail = "";
      try {
        const j = JSON.parse(text) as { message?: unknown; error?: unknown };
        detail = JSON.stringify(j.message ?? j.error ?? "");
      } catch {
        /* not JSON: the status says enough */
      }
      throw new GitLabApiError(`GitLab ${what}: HTTP ${res.status}${detail && detail !== '""' ? ` ${this.redact(detail).slice(0, 300)}` : ""}`, res.status);
    }
    if (res.status === 204) return undefined;
    const text = await res.text();
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  private redact(s: string): string {
    return s.split(this.o.token).join("[redacted]");
  }
}

/** GITLAB_URL (default https://gitlab.com) and GITLAB_TOKEN, or undefined when no token is set. */
export function gitlabClientFromEnv(env: NodeJS.ProcessEnv = process.env): GitLabClient | undefined {
  if (!env.GITLAB_TOKEN) return undefined;
  return new GitLabClient({ url: env.GITLAB_URL || "https://gitlab.com", token: env.GITLAB_TOKEN });
}
