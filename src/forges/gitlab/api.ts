import { getFollowingRedirects } from "../redirects.js";

/**
 * The few GitLab REST calls mlreview makes, over fetch. GITLAB_URL may carry a sub-path
 * (https://git.example.com/gitlab): the API lives under it, at /api/v4. The token is sent as
 * PRIVATE-TOKEN and never appears in an error or a log line. Paths are built with gitlabPath (path.ts).
 */

/** A GitLab call that does not answer within this is abandoned: a stalled API must not hold a worker forever. */
export const API_TIMEOUT_MS = 30_000;
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
  /** GITLAB_URL's origin: the only one the token, and git's Authorization header, ever go to. */
  readonly origin: string;

  constructor(
    gitlabUrl: string,
    private readonly token: string,
  ) {
    this.base = `${gitlabUrl.replace(/\/+$/, "")}/api/v4`;
    this.origin = new URL(gitlabUrl).origin;
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
    // fetch would follow a redirect with PRIVATE-TOKEN still set, to any host: API calls never follow one.
    const init: RequestInit = { method, headers: { "PRIVATE-TOKEN": this.token }, redirect: "manual", signal: AbortSignal.timeout(API_TIMEOUT_MS) };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    return this.checked(method, path, await fetch(`${this.base}${path}`, init));
  }

  /**
   * A download (job artifacts) that may redirect to object storage: the token goes to GitLab's origin
   * only, never across a redirect; `signal` is the caller's deadline, body included.
   */
  async download(path: string, signal: AbortSignal): Promise<Response> {
    return this.checked("GET", path, await getFollowingRedirects(`${this.base}${path}`, { "PRIVATE-TOKEN": this.token }, signal));
  }

  private async checked(method: string, path: string, res: Response): Promise<Response> {
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => {});
      throw new GitLabApiError(res.status, method, path.split("?")[0]!, "redirect not followed");
    }
    if (!res.ok) {
      const detail = await res.text().then((t) => t.slice(0, 200).replace(/\s+/g, " "), () => "");
      throw new GitLabApiError(res.status, method, path.split("?")[0]!, detail);
    }
    return res;
  }
}
