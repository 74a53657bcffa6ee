import type { ReviewSession } from "../forges/types.js";
import { DeadlineError, type TaskContext } from "../queue/task.js";

/**
 * The failure check's own deadline: the task's has usually passed already, and a forge that is down must
 * not hold the worker for the report it could not build either.
 */
export const FAILURE_CHECK_DEADLINE_MS = 20_000;

/** The reason is a check title's one line (GitHub allows 255; GitLab's status description 255 too). */
export const MAX_REASON_CHARS = 200;

/**
 * Why a report could not be built, as one line for the PR: whitespace folded, the clone token and any
 * credentials in a URL or an Authorization header removed, cut to MAX_REASON_CHARS.
 */
export function failureReason(e: unknown, secrets: readonly string[] = []): string {
  const raw = e instanceof DeadlineError ? `the report did not finish within ${Math.round(e.ms / 1000)} s` : e instanceof Error ? e.message : String(e);
  let line = raw.replace(/\s+/g, " ").trim() || "unknown error";
  for (const s of secrets) {
    if (s.length < 4) continue;
    line = line.split(s).join("***");
    line = line.split(Buffer.from(s).toString("base64")).join("***");
  }
  line = line
    // user:password@ in any URL
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, "$1")
    .replace(/\b(authorization|private-token|x-api-key|token)\s*[:=]\s*(basic|bearer|token)?\s*\S+/gi, "$1: ***")
    // x-access-token:<token> pairs git or LFS may print
    .replace(/\b(x-access-token|oauth2|gitlab-ci-token):\S+/gi, "$1:***");
  return line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS - 1)}…` : line;
}

/**
 * A report that cannot be built reaches the change request as a `neutral` check with the reason, unless a
 * newer head came (its own review speaks for it). Never throws: the review's own error is what the queue
 * sees (and retries); a later success overwrites this check.
 */
export async function postFailure(session: ReviewSession, e: unknown, ctx: TaskContext, secrets: readonly string[]): Promise<boolean> {
  const signal = AbortSignal.timeout(FAILURE_CHECK_DEADLINE_MS);
  try {
    if (await ctx.isStale()) return false;
    const reason = failureReason(e, secrets);
    await session.setCheck(
      {
        conclusion: "neutral",
        title: `mlreview could not build the report: ${reason}`.slice(0, 255),
        summary: `The report could not be built: \`${reason.replace(/`/g, "'")}\`\n\nIt is retried; a report that succeeds replaces this check.`,
      },
      signal,
    );
    return true;
  } catch {
    return false;
  }
}
