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
  retries?: number;
  [k: string]: unknown;
}

/**
 * Every request of this installation's Octokit under the task's deadline, each attempt under
 * GITHUB_REQUEST_TIMEOUT_MS. Probot's Octokit already retries 5xx (plugin-retry) and waits out rate
 * limits (plugin-throttling); once the deadline has fired, no further attempt is made (plugin-retry
 * would otherwise retry the aborted request three times, after 1, 4 and 9 s).
 */
export function withDeadline(octokit: Octokit, deadline: AbortSignal, attemptMs = GITHUB_REQUEST_TIMEOUT_MS): Octokit {
  octokit.hook.wrap("request", (request, options) => {
    const given = options.request as RequestOptions | undefined;
    const signal = given?.signal ? AbortSignal.any([given.signal, deadline]) : deadline;
    const inner: Fetch = given?.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const streamed = given?.parseSuccessResponseBody === false;
    const wrapped: RequestOptions = {
      ...given,
      signal,
      // Per attempt: the retry plugin calls fetch again for each attempt, with the same options.
      fetch: ((input, init) => inner(input, streamed ? init : { ...init, signal: AbortSignal.any([signal, AbortSignal.timeout(attemptMs)]) })) as Fetch,
    };
    // Read by plugin-retry when an attempt fails: none left once the deadline has fired.
    Object.defineProperty(wrapped, "retries", { get: () => (signal.aborted ? 0 : given?.retries), enumerable: false });
    return request({ ...options, request: wrapped } as typeof options);
  });
  return octokit;
}
