import type { ProbotOctokit } from "probot";
import type { ChangeRequest, CheckResult } from "../types.js";
import { splitFullName } from "./full-name.js";

type Rest = InstanceType<typeof ProbotOctokit>;

export const CHECK_NAME = "mlreview";
/** GitHub refuses a check run whose title or summary is longer (422). */
const MAX_TITLE = 255;
const MAX_SUMMARY = 65_535;

/** The completed "mlreview" check run on the head commit. */
export async function setCheckRun(octokit: Rest, cr: ChangeRequest, result: CheckResult, signal?: AbortSignal): Promise<void> {
  const [owner, repo] = splitFullName(cr.repo);
  await octokit.rest.checks.create({
    owner,
    repo,
    name: CHECK_NAME,
    head_sha: cr.headSha,
    status: "completed",
    conclusion: result.conclusion,
    output: { title: result.title.slice(0, MAX_TITLE), summary: result.summary.slice(0, MAX_SUMMARY) },
    ...(signal ? { request: { signal } } : {}),
  });
}
