import type { ForgeHost, ForgeTask } from "../types.js";
import { parseMergeRequestHook, parsePipelineHook, type MergeRequestTaskData } from "./payloads.js";

/** The registry id, on every task this forge submits. */
export const FORGE_ID = "gitlab";

/** Work on one merge request is coalesced under this key (the queue keeps only its newest version). */
const key = (project: number, iid: number) => `gitlab:${project}!${iid}`;

type Submit = ForgeHost["submit"];

/** What goes on the queue: a forge-neutral task, named for this forge. */
function task<D>(t: Omit<ForgeTask<D>, "forge">): ForgeTask<D> {
  return { ...t, forge: FORGE_ID };
}

const withDelivery = (delivery: string | undefined) => (delivery ? { delivery } : {});

/** Merge Request Hook: opened, reopened, or updated with new commits → the report of its newest head. */
export async function onMergeRequestHook(submit: Submit, payload: Record<string, unknown>, delivery: string | undefined): Promise<void> {
  const attrs = payload.object_attributes as { action?: unknown; oldrev?: unknown; state?: unknown } | undefined;
  if (attrs?.state !== "opened") return;
  const codeChanged = attrs.action === "open" || attrs.action === "reopen" || (attrs.action === "update" && attrs.oldrev !== undefined);
  if (!codeChanged) return;
  const data: MergeRequestTaskData = parseMergeRequestHook(payload);
  await submit(task({ kind: "review", key: key(data.projectId, data.mr.iid), version: data.mr.sha, ...withDelivery(delivery), data }));
}

/**
 * Pipeline Hook: a successful merge request pipeline → the report with the artifact of the job that
 * produced the results (named as `artifacts.name` says: the job's name or its archive's name) and the
 * same job's artifact from the latest successful pipeline of the target branch.
 */
export async function onPipelineHook(submit: Submit, payload: Record<string, unknown>, delivery: string | undefined): Promise<void> {
  const status = (payload.object_attributes as { status?: unknown } | undefined)?.status;
  const mrState = (payload.merge_request as { state?: unknown } | null | undefined)?.state;
  if (status !== "success" || mrState !== "opened") return;
  const { pipelineId, builds, ...fields } = parsePipelineHook(payload);
  const data: MergeRequestTaskData = { ...fields, builds };
  await submit(task({ kind: "review", key: key(data.projectId, data.mr.iid), version: `${data.mr.sha}+pipeline${pipelineId}`, ...withDelivery(delivery), data }));
}

/**
 * Job Hook → a runner task (GPU runners), as the runners' schema (runners.ts) validates it when it comes
 * off the queue. One version per status: pending launches, the end of the job deregisters.
 */
export async function onJobHook(submit: Submit, payload: Record<string, unknown>, delivery: string | undefined): Promise<void> {
  const build = payload as { build_id?: unknown; build_status?: unknown; project_id?: unknown };
  await submit(task({ kind: "runner", key: `gitlab:${build.project_id}#${build.build_id}:${build.build_status}`, version: String(build.build_status), ...withDelivery(delivery), data: payload }));
}
