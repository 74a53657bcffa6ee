import type { Context } from "probot";
import { isObjectId } from "../../revisions/object-id.js";
import type { ForgeHost } from "../types.js";
import { gitOrigin, onOrigin } from "./origin.js";
import { headMemory, prKey } from "./pull-request.js";
import type { GitHubReviewData } from "./schemas.js";
import { submitReview } from "./submit.js";

/**
 * A completed, successful workflow run of a pull request: the report with the run's artifact as the
 * head's results and, as the base's, the artifact of a successful `push` run of the same workflow in
 * this repository at the merge-base (see artifacts.ts). Runs of other workflows, failed runs, and runs
 * for a head that is no longer the pull request's are ignored.
 */
export function onWorkflowRun(host: ForgeHost) {
  return async (context: Context<"workflow_run.completed">): Promise<void> => {
    const { workflow_run: run, repository: r } = context.payload;
    if (!run || !r?.clone_url || typeof (context.payload as { installation?: { id?: unknown } }).installation?.id !== "number") {
      return context.log.warn({ delivery: context.id }, "mlreview: workflow_run delivery without the fields a report needs: ignored");
    }
    if (run.conclusion !== "success") return;
    // As for pull_request: the token goes to git at clone_url, and the shas reach git's argv.
    if (!onOrigin(r.clone_url, gitOrigin(context.octokit))) {
      return context.log.warn({ delivery: context.id }, `mlreview: workflow_run delivery whose clone_url is not on ${gitOrigin(context.octokit)}: ignored`);
    }
    for (const pr of run.pull_requests ?? []) {
      if (!isObjectId(pr?.head?.sha) || !isObjectId(pr.base?.sha)) {
        context.log.warn({ delivery: context.id }, "mlreview: workflow_run pull request without valid head and base shas: ignored");
        continue;
      }
      const key = prKey(r.full_name, pr.number);
      const known = await host.recall(headMemory(key));
      if (known !== undefined && known !== pr.head.sha) continue;
      const data: GitHubReviewData = {
        installation: context.payload.installation!.id,
        repository: { full_name: r.full_name, clone_url: r.clone_url, html_url: r.html_url, owner: { login: r.owner.login }, name: r.name },
        pr: { number: pr.number, head: { sha: pr.head.sha, ref: pr.head.ref }, base: { sha: pr.base.sha, ref: pr.base.ref } },
        run: { id: run.id, workflow_id: run.workflow_id, path: run.path },
        ...(typeof r.id === "number" ? { repositoryId: r.id } : {}),
      };
      await submitReview(host, { key, version: `${pr.head.sha}+run${run.id}`, delivery: `${context.id}#${pr.number}`, data });
    }
  };
}
