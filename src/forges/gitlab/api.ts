/**
 * The few GitLab REST calls mlreview makes, over fetch. GITLAB_URL may carry a sub-path
 * (https://git.example.com/gitlab): the API lives under it, at /api/v4. The token is sent as
 * PRIVATE-TOKEN and never appears in an error or a log line.
 */
export class GitLabApiError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    detail: string,
  ) {
    super(`GitLab ${method} ${path}: ${status}${detail ? ` ${detail}` : ""}`);
  }
}

export class GitLabApi {
  readonly base: string;

  constructor(
    gitlabUrl: string,
    private readonly token: string,
  ) {
    this.base = `${gitlabUrl.replace(/\/+$/, "")}/api/v4`;
  }

  /** A project id or path as GitLab wants it in a URL ("group/sub/repo" is escaped). */
  static project(id: number | string): string {
    return encodeURIComponent(String(id));
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.raw(method, path, body);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  /** Every page of a list (GitLab's x-next-page header), stopping early when `stop` says so. */
  async all<T>(path: string, stop?: (item: T) => boolean): Promise<T[]> {
    const out: T[] = [];
    for (let page: string | null = "1"; page; ) {
      const sep = path.includes("?") ? "&" : "?";
      const res = await this.raw("GET", `${path}${sep}per_page=100&page=${page}`);
      const items = (await res.json()) as T[];
      out.push(...items);
      if (stop && items.some(stop)) break;
      page = res.headers.get("x-next-page") || null;
    }
    return out;
  }

  /** The response itself, for binary bodies (artifacts) and headers. */
  async raw(method: string, path: string, body?: unknown): Promise<Response> {
    const init: RequestInit = { method, headers: { "PRIVATE-TOKEN": this.token } };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    const res = await fetch(`${this.base}${path}`, init);
    if (!res.ok) {
      const detail = await res.text().then((t) => t.slice(0, 200).replace(/\s+/g, " "), () => "");
      throw new GitLabApiError(res.status, method, path.split("?")[0]!, detail);
    }
    return res;
  }
}
