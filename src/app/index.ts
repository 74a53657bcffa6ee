import type { ApplicationFunction, Probot } from "probot";
import { ImageStore } from "../forges/image-store.js";
import { MemoryQueue } from "../queue/memory.js";
import { RedisQueue } from "../queue/redis.js";
import { DEFAULT_CONCURRENCY, type Task, type TaskContext, type TaskQueue } from "../queue/task.js";
// Until src/forges/registry.ts lands (the github helper's rewrite): the runner sides of the two forges.
import { runners as githubRunners } from "../forges/github/runners.js";
import { runners as gitlabRunners } from "../forges/gitlab/runners.js";
import type { ForgeHost } from "../forges/types.js";
import type { RunnerForge } from "../runners/service.js";
import { gitlabContext, gitlabRoute, type GitLabListener } from "./gitlab/index.js";
import { runGitLabTask, type GitLabContext } from "./gitlab/merge-request.js";
import { onPullRequest, PULL_REQUEST_EVENTS, runPullRequest } from "./pull-request.js";
import { addReadinessCheck } from "./lifecycle.js";
import { metrics } from "./metrics.js";
import { routes } from "./routes.js";
import { wireRunners, type RunnersDeps, type RunnersWiring } from "./runners.js";
import { imagesDir, settingsFromEnv, type AppSettings } from "./settings.js";
import { onWorkflowRun, runWorkflowRun } from "./workflow-run.js";

const RUNNER_FORGES: readonly RunnerForge[] = [
  { id: "github", runners: githubRunners },
  { id: "gitlab", runners: gitlabRunners },
];
/** A runner task only reads its event and asks its forge a question or two (the launch is the scheduler's). */
const RUNNER_TASK_DEADLINE_MS = 60_000;

export interface MlreviewApp {
  app: ApplicationFunction;
  /** Resolves when no report, launch or termination is running or waiting (tests, shutdown). */
  idle(): Promise<void>;
  /** The runner wiring once the app is loaded with a runners file. */
  runners(): RunnersWiring | undefined;
  queue: TaskQueue;
}

export interface AppDeps {
  runners?: Partial<RunnersDeps>;
  gitlabListeners?: GitLabListener[];
  queue?: TaskQueue;
}

/**
 * The Probot app: event handlers only turn deliveries into tasks; the queue's worker (on this or any
 * replica) runs them through the pipeline, the forges and the runner service.
 */
export function createApp(settings: AppSettings = settingsFromEnv(), deps: AppDeps = {}): MlreviewApp {
  let runners: RunnersWiring | undefined;
  let log: Probot["log"] | undefined;
  const onError = (task: Task, e: unknown) => log?.error({ err: e, kind: task.kind, key: task.key }, "mlreview: task failed");
  const concurrency = settings.concurrency ?? DEFAULT_CONCURRENCY;
  const queue = deps.queue ?? (settings.redisUrl ? new RedisQueue(settings.redisUrl, { onError, concurrency }) : new MemoryQueue(onError, { concurrency }));
  // /healthz answers 503 while Redis is unreachable: a load balancer then sends webhooks elsewhere.
  if (queue instanceof RedisQueue) addReadinessCheck("redis", () => queue.ready());
  const images = settings.images !== "branch" && settings.publicUrl ? new ImageStore(imagesDir(settings), settings.publicUrl, settings.imageKey, settings.imageLimits) : undefined;
  if (images) metrics.imageStore(() => images.usage());

  const app: ApplicationFunction = (probot, { addHandler }) => {
    log = probot.log;
    const gitlab: GitLabContext | undefined = settings.gitlab ? gitlabContext({ ...settings, gitlab: settings.gitlab }) : undefined;
    probot.on([...PULL_REQUEST_EVENTS], onPullRequest(queue));
    probot.on("workflow_run.completed", onWorkflowRun(queue));
    if (settings.runnersFile) {
      const host: ForgeHost = {
        settings,
        probot,
        addHandler,
        submit: (task) => queue.submit(task),
        remember: (name, value) => queue.remember(name, value),
        recall: (name) => queue.recall(name),
        images,
        log: probot.log,
      };
      runners = wireRunners(host, settings.runnersFile, { forges: RUNNER_FORGES, ...deps.runners });
      probot.on("workflow_job", async (context) => {
        const p = context.payload;
        const job = p.workflow_job;
        await queue.submit({
          kind: "runner.github",
          key: `${p.repository.full_name}#${job.id}@${job.run_attempt}:${p.action}`,
          version: p.action,
          delivery: context.id,
          data: { installation: p.installation!.id, payload: p },
        });
      });
    }
    if (settings.gitlab) {
      // The GPU runners take the Job Hook from the same endpoint, through the same queue.
      const jobs: GitLabListener = async (event, payload, delivery) => {
        if (event !== "Job Hook" || !runners) return;
        const build = payload as { build_id?: number; build_status?: string; project_id?: number };
        await queue.submit({ kind: "runner.gitlab", key: `gitlab:${build.project_id}#${build.build_id}:${build.build_status}`, version: String(build.build_status), ...(delivery ? { delivery } : {}), data: payload });
      };
      addHandler?.(gitlabRoute(probot, settings.gitlab.secret, queue, [jobs, ...(deps.gitlabListeners ?? [])]));
    }
    addHandler?.(routes(images));

    const runTask = async (task: Task, ctx: TaskContext): Promise<void> => {
      const installation = (task.data as { installation?: number }).installation;
      switch (task.kind) {
        case "github.pull_request":
          return runPullRequest(await probot.auth(installation), settings, images, task, ctx);
        case "github.workflow_run":
          return runWorkflowRun(await probot.auth(installation), settings, images, task, ctx);
        case "gitlab.merge_request":
        case "gitlab.pipeline":
          if (gitlab) await runGitLabTask(gitlab, task, ctx);
          return;
        case "runner.github":
        case "runner.gitlab":
          await runners?.service.handle(RUNNER_FORGES.find((f) => `runner.${f.id}` === task.kind)!, task.data, AbortSignal.timeout(RUNNER_TASK_DEADLINE_MS));
          return;
        default:
          probot.log.warn({ kind: task.kind }, "mlreview: unknown task kind");
      }
    };
    queue.work(runTask);
  };
  return { app, queue, idle: async () => (await queue.idle(), await runners?.idle()), runners: () => runners };
}

/** For `probot run`: the app is created when Probot loads it, not when this module is imported. */
const lazyApp: ApplicationFunction = (probot, options) => createApp().app(probot, options);
export default lazyApp;
