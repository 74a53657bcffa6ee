/**
 * Readiness (GET /healthz) and graceful shutdown for the server (src/server.ts). Module state: one
 * server per process. Other parts of the app register here without knowing about the server:
 * `addReadinessCheck("redis", () => connected)`, `onShutdown("queue worker", () => worker.close())`.
 */

export type ReadinessCheck = () => boolean | Promise<boolean>;
export type ShutdownHook = () => unknown;

const started = Date.now();
let draining = false;
const checks = new Map<string, ReadinessCheck>();
const hooks = new Map<string, ShutdownHook>();

/** From now on /healthz answers 503: a load balancer stops sending work here. */
export function setDraining(value = true): void {
  draining = value;
}

export function isDraining(): boolean {
  return draining;
}

/** A dependency the server needs to do its work (e.g. the queue's Redis connection); false → /healthz 503. */
export function addReadinessCheck(name: string, check: ReadinessCheck): void {
  checks.set(name, check);
}

/**
 * Work to stop at shutdown, run after the server stopped accepting connections and before the
 * process waits for the app to be idle (e.g. a queue worker that stops taking jobs and finishes or
 * hands back its active ones). Hooks run concurrently within the shutdown deadline.
 */
export function onShutdown(name: string, hook: ShutdownHook): void {
  hooks.set(name, hook);
}

export interface Readiness {
  ready: boolean;
  body: { status: "ok" | "shutting down" | "not ready"; uptime_seconds: number; failing?: string[] };
}

/** What /healthz says: ready unless shutting down or a registered check fails (or throws, or takes over 2 s). */
export async function readiness(): Promise<Readiness> {
  const uptime_seconds = Math.round((Date.now() - started) / 1000);
  if (draining) return { ready: false, body: { status: "shutting down", uptime_seconds } };
  const failing: string[] = [];
  await Promise.all(
    [...checks].map(async ([name, check]) => {
      const ok = await withTimeout(Promise.resolve().then(check), 2_000).catch(() => false);
      if (ok !== true) failing.push(name);
    }),
  );
  if (failing.length > 0) return { ready: false, body: { status: "not ready", uptime_seconds, failing: failing.sort() } };
  return { ready: true, body: { status: "ok", uptime_seconds } };
}

export interface ShutdownLog {
  info(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export interface ShutdownPlan {
  /** Stop accepting connections; resolves when open connections have ended. */
  stopAccepting(): Promise<unknown>;
  /** Stop timers that start new work (the reaper, the runner scheduler's retries). */
  stopTimers?(): unknown;
  /** Resolves when no report, launch or termination is running or waiting. */
  idle(): Promise<unknown>;
  /** Release what the process holds (the render workers). */
  close?(): Promise<unknown>;
  /** Said in the log when the deadline passes, e.g. runner jobs still waiting for capacity. */
  describeLeft?(): Record<string, unknown> | Promise<Record<string, unknown>>;
  timeoutMs: number;
  log: ShutdownLog;
}

/**
 * Mark not ready, stop accepting connections, run the shutdown hooks, stop the timers, wait for the
 * app to be idle, close; all within `timeoutMs`. Resolves to the exit code: 0 when everything
 * finished in time, 1 when the deadline passed (after logging what was left). Never rejects.
 */
export async function gracefulShutdown(plan: ShutdownPlan): Promise<0 | 1> {
  setDraining(true);
  const t0 = Date.now();
  const pending = new Set<string>();
  const step = async (name: string, f: () => unknown): Promise<void> => {
    pending.add(name);
    try {
      await f();
    } catch (e) {
      plan.log.error({ err: e, step: name }, "mlreview: shutdown step failed");
    } finally {
      pending.delete(name);
    }
  };
  plan.log.info({ timeout_ms: plan.timeoutMs }, "mlreview: shutting down: no new connections, finishing the work in progress");
  const work = (async () => {
    const closed = step("http connections", plan.stopAccepting);
    await Promise.all([...hooks].map(([name, hook]) => step(name, hook)));
    await step("timers", () => plan.stopTimers?.());
    await step("reports and runner launches", plan.idle);
    await closed;
    await step("render workers", () => plan.close?.());
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), plan.timeoutMs);
  });
  const outcome = await Promise.race([work.then(() => "done" as const), deadline]);
  clearTimeout(timer);
  if (outcome === "done") {
    plan.log.info({ ms: Date.now() - t0 }, "mlreview: shutdown complete");
    return 0;
  }
  let left: Record<string, unknown> = {};
  try {
    left =
      (await withTimeout(
        Promise.resolve().then(() => plan.describeLeft?.()),
        1_000,
      )) ?? {};
  } catch {
    // best effort
  }
  plan.log.error({ unfinished: [...pending], ...left, timeout_ms: plan.timeoutMs }, "mlreview: shutdown deadline passed; exiting with work unfinished");
  // The render workers are child processes: end them even so, briefly.
  if (!pending.has("render workers") && plan.close) await withTimeout(Promise.resolve().then(plan.close), 1_000).catch(() => {});
  return 1;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out")), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
