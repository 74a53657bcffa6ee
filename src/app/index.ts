import type { ApplicationFunction, Probot } from "probot";
import { ImageStore } from "../forges/image-store.js";
import { LatestPerKey } from "../queue/latest.js";
import { onPullRequest, PULL_REQUEST_EVENTS } from "./pull-request.js";
import { onWorkflowRun } from "./workflow-run.js";
import { GitLabClient } from "../runners/gitlab.js";
import { gitlabRoute, type GitLabListener } from "./gitlab/index.js";
import { routes } from "./routes.js";
import { wireRunners, type RunnersWiring } from "./runners.js";
import { imagesDir, settingsFromEnv, type AppSettings } from "./settings.js";

export interface MlreviewApp {
  app: ApplicationFunction;
  /** Resolves when no report, launch or termination is running or waiting (tests, shutdown). */
  idle(): Promise<void>;
  /** The runner wiring once the app is loaded with a runners file. */
  runners(): RunnersWiring | undefined;
}

/** The Probot app: wiring only; the work is in the pipeline (report/run.ts) and the forge. */
export function createApp(settings: AppSettings = settingsFromEnv(), deps: { runners?: Parameters<typeof wireRunners>[2]; gitlabListeners?: GitLabListener[] } = {}): MlreviewApp {
  let runners: RunnersWiring | undefined;
  const images = settings.images !== "branch" && settings.publicUrl ? new ImageStore(imagesDir(settings), settings.publicUrl, settings.imageKey) : undefined;
  let log: Probot["log"] | undefined;
  const queue = new LatestPerKey((key, e) => log?.error({ err: e, key }, "mlreview: report failed"));
  const app: ApplicationFunction = (probot, { addHandler }) => {
    log = probot.log;
    // The newest head seen per pull request, so that a late workflow run for an old push is ignored.
    const heads = new Map<string, string>();
    probot.on([...PULL_REQUEST_EVENTS], onPullRequest(settings, queue, images, heads));
    probot.on("workflow_run.completed", onWorkflowRun(settings, queue, images, heads));
    if (settings.runnersFile) {
      const gitlab = settings.gitlab ? new GitLabClient({ url: settings.gitlab.url, token: settings.gitlab.token }) : null;
      runners = wireRunners(probot, settings.runnersFile, { gitlab, ...deps.runners });
    }
    if (settings.gitlab) {
      // The GPU runners take the Job Hook from the same endpoint.
      const jobs: GitLabListener = (event, payload) => event === "Job Hook" && runners?.onGitLabJob(payload);
      addHandler?.(gitlabRoute(probot, { ...settings, gitlab: settings.gitlab }, queue, [jobs, ...(deps.gitlabListeners ?? [])]));
    }
    addHandler?.(routes(images));
  };
  return { app, idle: async () => (await queue.idle(), await runners?.idle()), runners: () => runners };
}

export default createApp().app;
