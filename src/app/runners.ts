import type { Probot } from "probot";
import { loadRunnersConfig } from "../runners/config.js";
import { Ec2Fleet } from "../runners/ec2.js";
import type { JobFacts } from "../runners/reaper.js";
import { RunnerService, type WorkflowJobPayload } from "../runners/service.js";
import { githubFacts } from "./facts.js";

export interface RunnersWiring {
  service: RunnerService;
  /** Resolves when no delivery is being handled and no launch or termination is in flight. */
  idle(): Promise<void>;
  stop(): void;
}

const REAP_EVERY_MS = 60_000;

/**
 * GPU runners, when the operator configured them (MLREVIEW_RUNNERS): `workflow_job` events feed the
 * service without holding up the delivery, and the reaper runs at start-up and every minute.
 */
export function wireRunners(probot: Probot, file: string, o: { fleet?: Ec2Fleet; facts?: JobFacts } = {}): RunnersWiring {
  const config = loadRunnersConfig(file);
  const service = new RunnerService(config, o.fleet ?? new Ec2Fleet({ region: config.region }), probot.log);
  const facts = o.facts ?? githubFacts(probot);
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    const t = p.catch((e: unknown) => probot.log.error({ err: e }, "mlreview runners: failed"));
    pending.add(t);
    void t.finally(() => pending.delete(t));
  };
  probot.on("workflow_job", (ctx) => track(service.onWorkflowJob(ctx.octokit, ctx.payload as unknown as WorkflowJobPayload)));
  track(service.start(facts));
  const timer = setInterval(() => track(service.reapNow(facts)), REAP_EVERY_MS);
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
    },
  };
}
