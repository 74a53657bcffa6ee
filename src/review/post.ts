import type { ReviewSession } from "../forges/types.js";
import type { TaskContext } from "../queue/task.js";
import type { BuiltReview } from "./build.js";

/**
 * Post the report (comment, then check) if this is still the newest head and it was not posted before,
 * exclusively per change across replicas (ctx.publish). True when posted.
 */
export async function postReview(session: ReviewSession, report: BuiltReview, ctx: TaskContext, signal: AbortSignal): Promise<boolean> {
  if (await ctx.isStale()) return false;
  const posted = await ctx.publish(async () => {
    // Past the deadline the attempt is abandoned (its retry may already run): it must not post.
    signal.throwIfAborted();
    await session.beforePost?.(signal);
    await session.upsertReport(report.markdown, signal);
    await session.setCheck({ conclusion: report.conclusion, ...report.check }, signal);
    return true;
  });
  return posted === true;
}
