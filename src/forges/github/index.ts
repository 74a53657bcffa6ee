import { CONFIG_FILES } from "../../project/index.js";
import type { ForgeModule } from "../types.js";
import { claimsGitHub } from "./claims.js";
import { onPullRequest, PULL_REQUEST_EVENTS } from "./pull-request.js";
import { runners, runnerTaskSchema, type RunnerTask } from "./runners.js";
import { reviewTaskSchema, type GitHubReviewData } from "./schemas.js";
import { reviewSession } from "./session.js";
import { GITHUB_ID } from "./submit.js";
import { onWorkflowJob } from "./workflow-job.js";
import { onWorkflowRun } from "./workflow-run.js";

export type { GitHubReviewData } from "./schemas.js";
/** A workflow_job runner task (the runner side is runners.ts). */
export type GitHubRunnerData = RunnerTask;

/** GitHub and GitHub Enterprise Server, as a GitHub App through Probot. */
export const github: ForgeModule<GitHubReviewData, GitHubRunnerData> = {
  id: GITHUB_ID,
  configFiles: CONFIG_FILES,
  claims: claimsGitHub,
  // Probot itself needs APP_ID (and the private key, validated at start-up); without it, no GitHub.
  enabled: (settings) => settings.appId !== undefined,
  schemas: { review: reviewTaskSchema, runner: runnerTaskSchema },
  listen(host) {
    host.probot.on([...PULL_REQUEST_EVENTS], onPullRequest(host));
    host.probot.on("workflow_run.completed", onWorkflowRun(host));
    // Runner tasks only when the operator configured runners: otherwise workflow_job costs nothing.
    if (host.settings.runnersFile) host.probot.on("workflow_job", onWorkflowJob(host));
  },
  review: reviewSession,
  runners,
};
