import type { Context } from "probot";
import type { ForgeHost } from "../types.js";
import { submitRunner } from "./submit.js";

/**
 * workflow_job (queued, in_progress, completed) → a runner task; the worker validates it against
 * runnerTaskSchema and hands it to the runner service. Key and version as the bot always used.
 */
export function onWorkflowJob(host: ForgeHost) {
  return async (context: Context<"workflow_job">): Promise<void> => {
    const p = context.payload;
    const job = p.workflow_job;
    const installation = (p as { installation?: { id?: unknown } }).installation?.id;
    if (typeof installation !== "number" || !job || typeof p.repository?.full_name !== "string") {
      return context.log.warn({ delivery: context.id }, "mlreview: workflow_job delivery without the fields a runner needs: ignored");
    }
    await submitRunner(host, {
      key: `${p.repository.full_name}#${job.id}@${job.run_attempt}:${p.action}`,
      version: p.action,
      delivery: context.id,
      data: { installation, payload: p },
    });
  };
}
