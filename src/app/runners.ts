import type { Probot } from "probot";
import type { Capacity } from "../runners/capacity.js";
import { RedisCapacity } from "../runners/capacity-redis.js";
import { loadRunnersConfig } from "../runners/config.js";
import { Ec2Fleet } from "../runners/ec2.js";
import type { GitLabClient } from "../forges/gitlab/client.js";
import type { JobFacts } from "../runners/reaper.js";
import { RunnerService } from "../runners/service.js";
import { githubFacts } from "./facts.js";

export interface RunnersWiring {
  service: RunnerService;
  /**
   * Feed a GitLab Job Hook (X-Gitlab-Event: Job Hook, body already parsed and authenticated) to the
   * runners. Returns at once, so that the webhook can answer GitLab quickly; `idle()` waits for it.
   */
  onGitLabJob(payload: unknown): void;
  /** Resolves when no delivery is being handled and no launch or termination is in flight. */
  idle(): Promise<void>;
  stop(): void;
}

const REAP_EVERY_MS = 60_000;

/**
 * GPU runners, when the operator configured them (MLREVIEW_RUNNERS): the service that `workflow_job`
 * and Job Hook tasks are handed to (by the queue's worker, on any replica), and the reaper, at start-up
 * and every minute.
 */
export function wireRunners(
  probot: Probot,
  file: string,
  o: { fleet?: Ec2Fleet; facts?: JobFacts; gitlab?: GitLabClient | null; capacity?: Capacity; redisUrl?: string | undefined; redisPrefix?: string } = {},
): RunnersWiring {
  const config = loadRunnersConfig(file);
  // With REDIS_URL there may be other replicas: max_instances is counted in Redis, across all of them.
  const capacity = o.capacity ?? (o.redisUrl ? new RedisCapacity(o.redisUrl, config, o.redisPrefix ? { prefix: o.redisPrefix } : {}) : undefined);
  // The GitLab client the app built from settings.gitlab; none (or null): Job Hooks are ignored.
  const gitlab = o.gitlab ?? undefined;
  const service = new RunnerService(config, o.fleet ?? new Ec2Fleet({ region: config.region }), probot.log, Date.now, { gitlab, ...(capacity ? { capacity } : {}) });
  const facts = o.facts ?? githubFacts(probot);
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    const t = p.catch((e: unknown) => probot.log.error({ err: e }, "mlreview runners: failed"));
    pending.add(t);
    void t.finally(() => pending.delete(t));
  };
  track(service.start(facts));
  const timer = setInterval(() => track(service.reapNow(facts)), REAP_EVERY_MS);
  timer.unref();
  return {
    service,
    onGitLabJob: (payload) => track(service.onGitLabJob(payload)),
    idle: async () => {
      while (pending.size > 0) await Promise.all([...pending]);
      await service.scheduler.idle();
    },
    stop: () => {
      clearInterval(timer);
      service.scheduler.stop();
      void service.scheduler.capacity.close();
    },
  };
}
