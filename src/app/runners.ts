import type { ForgeHost } from "../forges/types.js";
import type { Capacity } from "../runners/capacity.js";
import { RedisCapacity } from "../runners/capacity-redis.js";
import { loadRunnersConfig } from "../runners/config.js";
import { Ec2Fleet } from "../runners/ec2/fleet.js";
import type { JobFacts } from "../runners/reaper.js";
import { RunnerService, type RunnerForge } from "../runners/service.js";

export interface RunnersWiring {
  /** The service `runner` tasks are handed to: `service.handle(forge, data, signal)`. */
  service: RunnerService;
  /** Resolves when the reaper is not running and no launch or termination is in flight. */
  idle(): Promise<void>;
  stop(): void;
}

export interface RunnersDeps {
  /** Every registered forge (FORGES): the reaper asks each instance's forge about its job. */
  forges: readonly RunnerForge[];
  fleet?: Ec2Fleet;
  /** The reaper's questions per forge id, instead of the forge's own (tests, the bench). */
  facts?: Readonly<Record<string, JobFacts | undefined>>;
  capacity?: Capacity;
  redisPrefix?: string;
}

const REAP_EVERY_MS = 60_000;

/**
 * GPU runners, when the operator configured them (MLREVIEW_RUNNERS): the service that `runner` tasks
 * are handed to (by the queue's worker, on any replica), and the reaper, at start-up and every minute.
 */
export function wireRunners(host: ForgeHost, file: string, deps: RunnersDeps): RunnersWiring {
  const config = loadRunnersConfig(file);
  const redisUrl = host.settings.redisUrl;
  // With REDIS_URL there may be other replicas: max_instances is counted in Redis, across all of them.
  const capacity = deps.capacity ?? (redisUrl ? new RedisCapacity(redisUrl, config, deps.redisPrefix ? { prefix: deps.redisPrefix } : {}) : undefined);
  const service = new RunnerService(config, deps.fleet ?? new Ec2Fleet({ region: config.region }), host.log, Date.now, {
    host,
    forges: deps.forges,
    ...(deps.facts ? { facts: deps.facts } : {}),
    ...(capacity ? { capacity } : {}),
  });
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    const t = p.catch((e: unknown) => host.log.error({ err: e }, "mlreview runners: failed"));
    pending.add(t);
    void t.finally(() => pending.delete(t));
  };
  track(service.start());
  const timer = setInterval(() => track(service.reapNow()), REAP_EVERY_MS);
  timer.unref();
  return {
    service,
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
