import type { ApplicationFunction, Probot } from "probot";
import { ImageStore } from "../forges/image-store.js";
import { forgeById, FORGES } from "../forges/registry.js";
import type { ForgeHost } from "../forges/types.js";
import { MemoryQueue } from "../queue/memory.js";
import { RedisQueue } from "../queue/redis.js";
import { DEFAULT_CONCURRENCY, InvalidTaskError, zodLine, type Task, type TaskContext, type TaskQueue } from "../queue/task.js";
import { reviewChange } from "../review/index.js";
import { addReadinessCheck } from "../server/lifecycle.js";
import { metrics } from "../server/metrics.js";
import { routes } from "../server/routes.js";
import { wireRunners, type RunnersDeps, type RunnersWiring } from "./runners.js";
import { dvcSources, imagesDir, reposDir, settingsFromEnv, type AppSettings } from "./settings.js";

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
  queue?: TaskQueue;
}

/**
 * The Probot app: each enabled forge module subscribes to its events and only turns deliveries into
 * tasks; the queue's worker (on this or any replica) validates each task and runs it through the
 * forge module and the review step, or the runner service.
 */
export function createApp(settings: AppSettings = settingsFromEnv(), deps: AppDeps = {}): MlreviewApp {
  let runners: RunnersWiring | undefined;
  let log: Probot["log"] | undefined;
  const onError = (task: Task, e: unknown) =>
    e instanceof InvalidTaskError ? log?.warn({ kind: task.kind, key: task.key }, `mlreview: task dropped: ${e.message.replace(/^invalid task: /, "")}`) : log?.error({ err: e, kind: task.kind, key: task.key }, "mlreview: task failed");
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
      submit: (task) => queue.submit(task),
      remember: (name, value) => queue.remember(name, value),
      recall: (name) => queue.recall(name),
      images,
      log: probot.log,
    };
    if (settings.runnersFile) {
      runners = wireRunners(host, settings.runnersFile, { forges: FORGES, ...deps.runners });
    }
    for (const f of FORGES) if (f.enabled(settings)) f.listen(host);

    addHandler?.(routes(images));

    const runTask = async (task: Task, ctx: TaskContext): Promise<void> => {
      // The queue checked the envelope as it took the task off (src/queue/task.ts); `data` is the forge
      // module's to check. An invalid one is one line and dropped (returning, not throwing: a retry fails alike).
      const { kind, key } = task;
      const forge = forgeById(task.forge);
      if (!forge) return probot.log.warn({ kind, key }, `mlreview: task dropped: no forge '${task.forge.slice(0, 32)}'`);
      const data = forge.schemas[kind].safeParse(task.data);
      if (!data.success) return probot.log.warn({ kind, key, forge: forge.id }, `mlreview: ${forge.id} ${kind} task dropped: ${zodLine(data.error)}`);
      const { signal } = ctx;
      if (kind === "runner") return runners?.service.handle(forge, data.data, signal);
      const session = await forge.review(data.data, host, signal);
      await reviewChange(session, { configFiles: forge.configFiles, dvc: dvcSources(settings), reposDir: reposDir(settings), ctx, signal });
    };
    queue.work(runTask);
  };
  return { app, queue, idle: async () => (await queue.idle(), await runners?.idle()), runners: () => runners };
}

/** For `probot run`: the app is created when Probot loads it, not when this module is imported. */
const lazyApp: ApplicationFunction = (probot, options) => createApp().app(probot, options);
export default lazyApp;
