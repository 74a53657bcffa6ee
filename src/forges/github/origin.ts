import type { ProbotOctokit } from "probot";

type Octokit = InstanceType<typeof ProbotOctokit>;

/**
 * Where this installation's git lives: github.com for the public API, else the GitHub Enterprise host
 * the API is on (GHE_HOST). The payload's clone_url must be there: the installation token goes nowhere else.
 */
export function gitOrigin(octokit: Octokit): string {
  const api = new URL(octokit.request.endpoint.DEFAULTS.baseUrl);
  return api.hostname === "api.github.com" ? "https://github.com" : api.origin;
}

/** Is `url` on `origin` (a forge's own origin)? An unparsable URL is not. */
export function onOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}
