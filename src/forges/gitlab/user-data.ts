import { fillBlanks, minutes, UserDataError } from "../../runners/user-data.js";

/**
 * The GitLab runner's EC2 user data: templates/runner/bootstrap-gitlab.sh with its blanks filled.
 * The token comes from GitLab but is treated as untrusted text: a glrt- token or nothing.
 */
export interface GitLabUserDataOptions {
  /** The GitLab instance the runner talks to, with its relative URL root (https://git.example.com/gitlab). */
  gitlabUrl: string;
  /** The runner authentication token that POST /user/runners returned. */
  runnerToken: string;
  maxRuntimeMinutes: number;
  idleMinutes: number;
}

/** Runner authentication tokens: `glrt-` then URL-safe characters (routable tokens add dots). */
export const RUNNER_TOKEN = /^glrt-[A-Za-z0-9_.-]{20,255}$/;
/** Goes between single quotes in the script: no quote, space, `$` or backslash can pass. */
const SAFE_URL = /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~-]+)*$/;

export function renderGitLabUserData(o: GitLabUserDataOptions): string {
  // Never quote the token in an error: it is a credential.
  if (typeof o.runnerToken !== "string" || !RUNNER_TOKEN.test(o.runnerToken)) {
    throw new UserDataError("the runner token is not a glrt- runner authentication token; refusing to put it in user data");
  }
  const url = typeof o.gitlabUrl === "string" ? o.gitlabUrl.replace(/\/+$/, "") : "";
  if (!SAFE_URL.test(url)) throw new UserDataError(`GITLAB_URL "${url}" is not a plain http(s) URL (letters, digits and . _ ~ - in its path)`);
  return fillBlanks("bootstrap-gitlab.sh", {
    MAX_RUNTIME_MINUTES: minutes("maxRuntimeMinutes", o.maxRuntimeMinutes, 7 * 24 * 60),
    IDLE_MINUTES: minutes("idleMinutes", o.idleMinutes, 24 * 60),
    GITLAB_URL: url,
    RUNNER_TOKEN: o.runnerToken,
  });
}
