import picomatch from "picomatch";
import type { RunnersConfig } from "./config.js";

/** Why a repository may not ask for runners, or undefined when it may. Checked before any AWS call. */
export function repoRefusal(config: RunnersConfig, repo: string): string | undefined {
  const allowed = config.allow.some((glob) => picomatch(glob, { nocase: true })(repo));
  return allowed ? undefined : `${repo} is not in the runners file's allow list`;
}

export function forkRefusal(config: RunnersConfig, fromFork: boolean): string | undefined {
  return fromFork && !config.fork_pull_requests ? "jobs of code from forks may not start runners, nor jobs whose head repository is unknown (fork_pull_requests: false)" : undefined;
}
