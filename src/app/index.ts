import type { ApplicationFunction, Probot } from "probot";
import { ImageStore } from "../forges/image-store.js";
import { MemoryQueue } from "../queue/memory.js";
import { RedisQueue } from "../queue/redis.js";
import { DEFAULT_CONCURRENCY, type Task, type TaskContext, type TaskQueue } from "../queue/task.js";
// Interim (until the runners' ForgeRunners reach the service through the module): the one GitLab client for wireRunners.
import { GitLabClient } from "../forges/gitlab/client.js";
import { FORGES, forgeById } from "../forges/registry.js";
import type { ForgeHost } from "../forges/types.js";
import { reviewChange } from "../review/index.js";
import type { WorkflowJobPayload } from "../runners/service.js";
import { onPullRequest, PULL_REQUEST_EVENTS, runPullRequest } from "./pull-request.js";
import { addReadinessCheck } from "../server/lifecycle.js";
import { metrics } from "../server/metrics.js";
import { routes } from "../server/routes.js";
import { wireRunners, type RunnersWiring } from "./runners.js";
import { dvcSources, imagesDir, reposDir, settingsFromEnv, type AppSettings } from "./settings.js";
import { onWorkflowRun, runWorkflowRun } from "./workflow-run.js";

export interface MlreviewApp {
  app: ApplicationFunction;
  /** Resolves when no report, launch or termination is running or waiting (tests, shutdown). */
  idle(): Promise<void>;
  /** The runner wiring once the app is loaded with a runners file. */
  runners(): RunnersWiring | undefined;
  queue: TaskQueue;
}

export interface AppDeps {
  runners?: Parameters<typeof wireRunners>[2];
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
    const host: ForgeHost = {
      settings,
      probot,
      addHandler,
      submit: (task) => queue.submit(task as Task),
      remember: (name, value) => queue.remember(name, value),
      recall: (name) => queue.recall(name),
      images,
      log: probot.log,
    };
    probot.on([...PULL_REQUEST_EVENTS], onPullRequest(queue));
    probot.on("workflow_run.completed", onWorkflowRun(queue));
    if (settings.runnersFile) {
      const client = settings.gitlab ? new GitLabClient({ url: settings.gitlab.url, token: settings.gitlab.token }) : null;
      runners = wireRunners(probot, settings.runnersFile, { gitlab: client, redisUrl: settings.redisUrl, ...deps.runners });
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
    for (const f of FORGES) if (f.enabled(settings)) f.listen(host);
    addHandler?.(routes(images));

    const runTask = async (task: Task, ctx: TaskContext): Promise<void> => {
      const installation = (task.data as { installation?: number }).installation;
      switch (task.kind) {
        case "github.pull_request":
          return runPullRequest(await probot.auth(installation), settings, images, task, ctx);
        case "github.workflow_run":
          return runWorkflowRun(await probot.auth(installation), settings, images, task, ctx);
        case "review": {
          const forge = forgeById((task as Task & { forge?: string }).forge ?? "");
          if (!forge) return probot.log.warn({ kind: task.kind, key: task.key }, "mlreview: task of an unknown forge dropped");
          const data = forge.schemas.review.safeParse(task.data);
          if (!data.success) return probot.log.warn({ forge: forge.id, key: task.key }, `mlreview: invalid ${forge.id} review task dropped: ${data.error.issues[0]?.message ?? "bad data"}`);
          // Interim until TaskContext carries the task's deadline.
          const signal = (ctx as TaskContext & { signal?: AbortSignal }).signal ?? new AbortController().signal;
          const session = await forge.review(data.data, host, signal);
          await reviewChange(session, { configFiles: forge.configFiles, dvc: dvcSources(settings), reposDir: reposDir(settings), ctx, signal });
          return;
        }
        case "runner":
          // Interim: the runner service's forge-neutral handle(forge, data, signal) replaces this.
          if ((task as Task & { forge?: string }).forge === "gitlab") await runners?.service.onGitLabJob(task.data);
          return;
        case "runner.github":
          await runners?.service.onWorkflowJob(await probot.auth(installation), (task.data as { payload: WorkflowJobPayload }).payload);
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
