import type { ProbotOctokit } from "probot";

type Octokit = InstanceType<typeof ProbotOctokit>;

/**
 * One GitHub request attempt may take this long before it is abandoned (and retried by Probot's retry
 * plugin): a connection that accepted and then went silent must not hold the task until its deadline.
 * Streamed downloads (artifacts) are left to their own deadline.
 */
export const GITHUB_REQUEST_TIMEOUT_MS = 30_000;

type Fetch = typeof globalThis.fetch;
interface RequestOptions {
  signal?: AbortSignal;
  fetch?: Fetch;
  parseSuccessResponseBody?: boolean;
  [k: string]: unknown;
}

/**
 * Every request of this installation's Octokit under the task's deadline, each attempt under
 * GITHUB_REQUEST_TIMEOUT_MS; `credentials` collects what each attempt authenticated with (the
 * installation token, the app's JWT), so that an error can be redacted of it whichever call failed.
 * Probot's Octokit already retries 5xx (plugin-retry) and waits out rate limits (plugin-throttling):
 * an attempt that timed out is a 5xx to it and is retried; once the deadline has fired, fetch fails
 * with an AbortError, which neither plugin retries.
 */
export function withDeadline(octokit: Octokit, deadline: AbortSignal, o: { attemptMs?: number; credentials?: Set<string>; onInstallationToken?: (token: string) => void } = {}): Octokit {
  const attemptMs = o.attemptMs ?? GITHUB_REQUEST_TIMEOUT_MS;
  octokit.hook.wrap("request", (request, options) => {
    const given = options.request as RequestOptions | undefined;
    const signal = given?.signal ? AbortSignal.any([given.signal, deadline]) : deadline;
    const inner: Fetch = given?.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const streamed = given?.parseSuccessResponseBody === false;
    const wrapped: RequestOptions = {
      ...given,
      signal,
      // Per attempt: the retry plugin calls fetch again for each attempt, with the same options.
      fetch: ((input, init) => {
        const auth = new Headers(init?.headers).get("authorization");
        if (auth) o.credentials?.add(auth.replace(/^(token|bearer|basic)\s+/i, ""));
        // auth-app sends an installation token as `token <t>` (the app's JWT as `bearer`).
        if (auth && /^token\s+/i.test(auth)) o.onInstallationToken?.(auth.replace(/^token\s+/i, ""));
        return inner(input, streamed ? init : { ...init, signal: attemptSignal(signal, attemptMs) });
      }) as Fetch,
    };
    // In place: before-after-hook hands every inner hook the options object it was first called with.
    (options as { request?: unknown }).request = wrapped;
    return request(options);
  });
  return octokit;
}

/**
 * `signal`, or the attempt's own timeout, whichever comes first. A controller and a timer, not
 * AbortSignal.any([signal, AbortSignal.timeout(ms)]): nothing else would hold that timeout signal,
 * and Node 20 may collect it before it fires (the attempt then never times out). The timer is not
 * cleared when the headers arrive: the body is read under the same timeout.
 */
function attemptSignal(signal: AbortSignal, ms: number): AbortSignal {
  const attempt = new AbortController();
  if (signal.aborted) attempt.abort(signal.reason);
  else signal.addEventListener("abort", () => attempt.abort(signal.reason), { once: true });
  setTimeout(() => attempt.abort(new DOMException(`GitHub did not answer within ${ms} ms`, "TimeoutError")), ms).unref();
  return attempt.signal;
}
