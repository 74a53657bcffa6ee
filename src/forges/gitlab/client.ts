import { getFollowingRedirects, RedirectError } from "../redirects.js";
import { causeCode } from "../../revisions/http.js";
import { gitlabPath } from "./path.js";

/**
 * The one GitLab REST client: the review's calls (request, all, raw, download) and the runners'
 * (createRunner, deleteRunner, job, …), over fetch. GITLAB_URL may carry a sub-path
 * (https://git.example.com/gitlab): the API lives under it, at /api/v4. The token (GITLAB_TOKEN: `api`,
 * or `create_runner` + `manage_runner` + `read_api`; its user a Maintainer of the projects) goes only
 * into the PRIVATE-TOKEN header, to GITLAB_URL's origin: never into an error, a log line, or across a
 * redirect. Paths are built with gitlabPath (path.ts).
 *
 * Why not @gitbeaker/rest: its requester (packages/rest/src/Requester.ts) retries only 429 and 502, ten
 * times, with a delay of 2^i × 0.1 ms (no real backoff, no jitter, no Retry-After), not on a reset
 * connection; it calls fetch with the default `redirect: "follow"`, which keeps PRIVATE-TOKEN on a hop
 * to another origin; it has no per-request timeout and console.logs GitLab's error bodies. We would
 * wrap it in all of this anyway, for eight endpoints.
 */

/** A GitLab call that does not answer within this is abandoned: a stalled API must not hold a worker forever. */
export const API_TIMEOUT_MS = 30_000;
/**
 * Tries of one call, the first included. Bounded so that an outage ends in one clear error within
 * seconds and the queue's own retry (a later, fresh task run) takes over.
 */
export const MAX_ATTEMPTS = 4;
/** The first retry's delay; each next one doubles, with jitter so that replicas do not retry in step. */
export const RETRY_BASE_DELAY_MS = 500;
/** A Retry-After longer than this is not waited for: a broken or hostile header must not park a worker for hours. */
export const MAX_RETRY_AFTER_MS = 60_000;
/** Pages of one list: x-next-page that never ends (a loop, a broken proxy) must not make the bot page forever. */
export const MAX_PAGES = 200;

/** A project: its numeric id or its path_with_namespace. */
export type ProjectRef = number | string;

export interface GitLabJob {
  id: number;
  /** created, pending, running, success, failed, canceled, skipped, manual, … */
  status: string;
  ref: string;
  tag_list: string[];
}

export interface GitLabClientOptions {
  /** GITLAB_URL, with a relative URL root if GitLab has one: https://git.example.com/gitlab. */
  url: string;
  token: string;
  fetch?: typeof fetch;
  /** One attempt's limit (API_TIMEOUT_MS). */
  timeoutMs?: number;
  retry?: {
    /** MAX_ATTEMPTS. */
    attempts?: number;
    /** RETRY_BASE_DELAY_MS. */
    baseDelayMs?: number;
    /** How to wait (tests record the delays instead of waiting them). */
    sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
    /** [0, 1): the jitter. */
    random?: () => number;
  };
  /** Where a retry is said, one line (the token never in it). */
  log?: { warn(obj: object, msg: string): void };
}

/** A failed GitLab call: `status` is GitLab's answer, 0 when none came (connection, timeout). */
export class GitLabApiError extends Error {
  override readonly name = "GitLabApiError";
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    reason: string,
    /** How many times the call was sent. */
    readonly attempts = 1,
  ) {
    super(`GitLab ${method} ${path}: ${reason}`);
  }
}

type Body = FormData | object | undefined;

/** Connection failures after which the request certainly never reached GitLab: safe to send again, POST included. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);
/** Methods whose repetition does what one call does (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

export class GitLabClient {
  /** The instance URL without a trailing slash (what a runner is given). */
  readonly url: string;
  /** GITLAB_URL's origin: the only one the token, and git's Authorization header, ever go to. */
  readonly origin: string;
  /** The REST API's root: `${url}/api/v4`. */
  readonly base: string;
  private readonly token: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  private readonly random: () => number;
  private readonly log: GitLabClientOptions["log"];

  constructor(o: GitLabClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(o.url);
    } catch {
      throw new TypeError(`GITLAB_URL "${o.url}" is not a URL`);
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new TypeError(`GITLAB_URL "${o.url}" is not http(s)`);
    if (parsed.username || parsed.password) throw new TypeError("GITLAB_URL must not carry credentials: GITLAB_TOKEN is the token");
    if (!o.token) throw new TypeError("GITLAB_TOKEN is empty");
    this.token = o.token;
    this.url = `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
    this.origin = parsed.origin;
    this.base = `${this.url}/api/v4`;
    this.fetch = o.fetch ?? fetch;
    this.timeoutMs = o.timeoutMs ?? API_TIMEOUT_MS;
    this.attempts = Math.max(1, o.retry?.attempts ?? MAX_ATTEMPTS);
    this.baseDelayMs = o.retry?.baseDelayMs ?? RETRY_BASE_DELAY_MS;
    this.sleep = o.retry?.sleep ?? abortableSleep;
    this.random = o.retry?.random ?? Math.random;
    this.log = o.log;
  }

  // ── the review's calls ──

  /** The parsed JSON body (undefined for 204). */
  async request<T>(method: string, path: string, body?: Body, signal?: AbortSignal): Promise<T> {
    const res = await this.raw(method, path, body, signal);
    if (res.status === 204) return undefined as T;
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw signal?.aborted ? this.aborted(method, bare(path), signal, 1) : new GitLabApiError(0, method, bare(path), `the answer broke off (${this.redact(causeCode(e))})`);
    }
    try {
      return (text ? JSON.parse(text) : undefined) as T;
    } catch {
      throw new GitLabApiError(res.status, method, bare(path), "the answer is not JSON");
    }
  }

  /** Every page of a list (GitLab's x-next-page header), stopping early when `stop` says so. */
  async all<T>(path: string, stop?: (item: T) => boolean, signal?: AbortSignal): Promise<T[]> {
    const out: T[] = [];
    let page: string | undefined = "1";
    for (let n = 0; page; n++) {
      if (n >= MAX_PAGES) throw new GitLabApiError(200, "GET", bare(path), `more than ${MAX_PAGES} pages`);
      const sep = path.includes("?") ? "&" : "?";
      const res = await this.raw("GET", `${path}${sep}per_page=100&page=${page}`, undefined, signal);
      const items = (await res.json().catch(() => undefined)) as T[] | undefined;
      if (!Array.isArray(items)) throw new GitLabApiError(res.status, "GET", bare(path), "the answer is not a list");
      out.push(...items);
      if (stop && items.some(stop)) break;
      const next = res.headers.get("x-next-page");
      page = next && /^[1-9][0-9]{0,8}$/.test(next) ? next : undefined;
    }
    return out;
  }

  /** The response itself (headers, binary bodies), once it is a 2xx; redirects are errors. */
  async raw(method: string, path: string, body?: Body, signal?: AbortSignal): Promise<Response> {
    return this.send(method, path, body, signal);
  }

  /**
   * A download (job artifacts) that may redirect to object storage: the token goes to GitLab's origin
   * only, never across a redirect; `signal` is the caller's deadline, body included. Retried as any GET.
   */
  async download(path: string, signal: AbortSignal): Promise<Response> {
    return this.send("GET", path, undefined, signal, (url) => getFollowingRedirects(url, { "PRIVATE-TOKEN": this.token }, signal));
  }

  // ── the runners' calls ──

  /**
   * A runner for one project that takes only jobs with exactly these tags: created through the
   * runner-creation API, which returns a runner authentication token (glrt-…); registration tokens
   * are deprecated and never used. A 5xx/429 is retried: a lost runner would leave the job waiting.
   */
  async createRunner(o: { projectId: number; description: string; tags: string[]; maximumTimeoutSeconds: number }, signal?: AbortSignal): Promise<{ id: number; token: string }> {
    const body = {
      runner_type: "project_type",
      project_id: o.projectId,
      description: o.description,
      tag_list: o.tags,
      run_untagged: false,
      locked: true,
      maximum_timeout: o.maximumTimeoutSeconds,
    };
    const data = await this.request<{ id?: unknown; token?: unknown } | undefined>("POST", "/user/runners", body, signal);
    if (!data || !Number.isSafeInteger(data.id) || (data.id as number) <= 0 || typeof data.token !== "string") {
      throw new GitLabApiError(502, "POST", "/user/runners", "the answer has no runner id and token");
    }
    return { id: data.id as number, token: data.token };
  }

  /** Delete a runner; one that is already gone is fine. */
  async deleteRunner(id: number, signal?: AbortSignal): Promise<void> {
    await this.absentOk("DELETE", gitlabPath`/runners/${id}`, signal);
  }

  /** A job as GitLab has it now, or undefined when the job (or its project) is gone. */
  async job(project: ProjectRef, jobId: number, signal?: AbortSignal): Promise<GitLabJob | undefined> {
    const data = (await this.absentOk("GET", gitlabPath`/projects/${project}/jobs/${jobId}`, signal)) as Partial<GitLabJob> | undefined;
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
  async pathWithNamespace(projectId: number, signal?: AbortSignal): Promise<string | undefined> {
    const data = (await this.absentOk("GET", gitlabPath`/projects/${projectId}`, signal)) as { path_with_namespace?: unknown } | undefined;
    return typeof data?.path_with_namespace === "string" ? data.path_with_namespace : undefined;
  }

  /** Is the runner running a job now? */
  async runnerBusy(id: number, signal?: AbortSignal): Promise<boolean> {
    const data = await this.absentOk("GET", gitlabPath`/runners/${id}/jobs` + "?status=running&per_page=1", signal);
    return Array.isArray(data) && data.length > 0;
  }

  async mergeRequest(project: ProjectRef, iid: number, signal?: AbortSignal): Promise<{ source_project_id: number; target_project_id: number }> {
    const data = await this.request<{ source_project_id?: unknown; target_project_id?: unknown }>("GET", gitlabPath`/projects/${project}/merge_requests/${iid}`, undefined, signal);
    return { source_project_id: Number(data?.source_project_id), target_project_id: Number(data?.target_project_id) };
  }

  // ── the one way a call is sent ──

  /** The parsed body, or undefined when GitLab answers 404 (the thing is gone). */
  private async absentOk(method: string, path: string, signal?: AbortSignal): Promise<unknown> {
    try {
      return await this.request<unknown>(method, path, undefined, signal);
    } catch (e) {
      if (e instanceof GitLabApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /**
   * One call, retried on 5xx, 429 and a failed connection with exponential backoff and jitter (or as
   * Retry-After says), at most `attempts` times. A call that may have reached GitLab with no answer (a
   * reset, a timeout) is sent again only when it is idempotent: a POST is repeated only when GitLab said
   * it failed (5xx/429) or the connection was never made.
   */
  private async send(method: string, path: string, body: Body, signal: AbortSignal | undefined, get?: (url: string) => Promise<Response>): Promise<Response> {
    const what = bare(path);
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw this.aborted(method, what, signal, attempt - 1);
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
      let res: Response;
      try {
        res = get ? await get(`${this.base}${path}`) : await this.fetch(`${this.base}${path}`, this.init(method, body, both));
      } catch (e) {
        if (signal?.aborted) throw this.aborted(method, what, signal, attempt);
        // A redirect chain refused by getFollowingRedirects is the answer, not a lost connection.
        if (e instanceof RedirectError) throw e;
        const timedOut = timeout.aborted;
        const code = timedOut ? `no answer within ${duration(this.timeoutMs)}` : this.redact(errorCode(e));
        const again = attempt < this.attempts && (IDEMPOTENT.has(method) || (!timedOut && NOT_SENT.has(code)));
        if (!again) throw new GitLabApiError(0, method, what, code + tries(attempt), attempt);
        await this.pause(method, what, code, attempt, undefined, signal);
        continue;
      }
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel().catch(() => {});
        throw new GitLabApiError(res.status, method, what, `HTTP ${res.status} redirect not followed`, attempt);
      }
      if (res.ok) return res;
      const retryable = res.status >= 500 || res.status === 429;
      if (!retryable || attempt >= this.attempts) {
        const detail = await this.detail(res);
        throw new GitLabApiError(res.status, method, what, `HTTP ${res.status}${detail ? ` ${detail}` : ""}${retryable ? tries(attempt) : ""}`, attempt);
      }
      await res.body?.cancel().catch(() => {});
      await this.pause(method, what, `HTTP ${res.status}`, attempt, retryAfterMs(res.headers.get("retry-after")), signal);
    }
  }

  private init(method: string, body: Body, signal: AbortSignal): RequestInit {
    const headers: Record<string, string> = { "PRIVATE-TOKEN": this.token, accept: "application/json" };
    const init: RequestInit = {
      method,
      headers,
      // fetch keeps PRIVATE-TOKEN on a redirect to another origin (it drops only Authorization): a 3xx is an error.
      redirect: "manual",
      signal,
    };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      headers["content-type"] = "application/json";
    }
    return init;
  }

  private async pause(method: string, path: string, why: string, attempt: number, retryAfter: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    const backoff = this.baseDelayMs * 2 ** (attempt - 1);
    // Half fixed, half random ("equal jitter"): never sooner than half the backoff.
    const ms = retryAfter ?? Math.round(backoff / 2 + (this.random() * backoff) / 2);
    this.log?.warn({ method, path, attempt, delayMs: ms }, `GitLab ${method} ${path}: ${why}, try ${attempt + 1} of ${this.attempts} in ${ms} ms`);
    try {
      await this.sleep(ms, signal);
    } catch {
      throw this.aborted(method, path, signal, attempt);
    }
  }

  private aborted(method: string, path: string, signal: AbortSignal | undefined, attempts: number): GitLabApiError {
    const reason = signal?.reason instanceof Error && signal.reason.name === "TimeoutError" ? "the task's deadline passed" : "aborted";
    return new GitLabApiError(0, method, path, reason, attempts);
  }

  /** GitLab's own message helps ("403 Forbidden", "project_id is invalid"): kept short and redacted. */
  private async detail(res: Response): Promise<string> {
    const text = await res.text().catch(() => "");
    let detail: string;
    try {
      const j = JSON.parse(text) as { message?: unknown; error?: unknown };
      detail = JSON.stringify(j.message ?? j.error ?? "");
      if (detail === '""') detail = "";
    } catch {
      detail = text;
    }
    return this.redact(detail.replace(/\s+/g, " ").trim()).slice(0, 300);
  }

  private redact(s: string): string {
    return s.split(this.token).join("[redacted]");
  }
}

/** The path without its query: what an error names. */
const bare = (path: string) => path.split("?")[0]!;

/** undici wraps the socket's error as `cause`; other fetches (and interceptors) throw it as is. */
function errorCode(e: unknown): string {
  const own = (e as { code?: unknown } | null)?.code;
  return typeof own === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(own) ? own : causeCode(e);
}

const duration = (ms: number) => (ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`);

const tries = (n: number) => (n > 1 ? ` (gave up after ${n} attempts)` : "");

/** Retry-After in ms (seconds or an HTTP date), capped; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const v = header.trim();
  const ms = /^\d{1,10}$/.test(v) ? Number(v) * 1000 : Date.parse(v) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => (signal?.removeEventListener("abort", onAbort), resolve()), ms);
    const onAbort = () => (clearTimeout(t), reject(signal!.reason as Error));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** One client per server settings object (GITLAB_URL, GITLAB_TOKEN), shared by its reviews and its runners. */
const clients = new WeakMap<object, GitLabClient>();

/** The server's GitLab client, or undefined when GitLab is not configured; its retries are said in `log`. */
export function sharedClient(settings: { gitlab?: { url: string; token: string } | undefined }, log?: GitLabClientOptions["log"]): GitLabClient | undefined {
  const gl = settings.gitlab;
  if (!gl) return undefined;
  let client = clients.get(settings);
  if (!client) clients.set(settings, (client = new GitLabClient({ url: gl.url, token: gl.token, ...(log ? { log } : {}) })));
  return client;
}
