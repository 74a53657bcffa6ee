/**
 * A small pool of warm render processes (render-worker.ts). Each render has a deadline and each
 * process a capped V8 heap; a process that overruns either is killed and replaced, and only that
 * one render fails. Idle processes do not hold the event loop, so a CLI exits without closing the pool.
 * Waiting renders take turns by tenant (one report), not first come first served.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RenderError } from "./errors.js";
import { bundledFontDir, fontconfigFile } from "./fonts.js";
import type { OutputFormat, ReadyMessage, RenderInput, RenderReply, RenderRequest } from "./protocol.js";

export interface PoolOptions {
  /** Processes at most; default: the number of CPUs, capped at 2. */
  size?: number;
  /** Default per-render deadline. */
  timeoutMs?: number;
  /** V8 heap cap of each process. */
  maxOldSpaceMb?: number;
  /** Font directories for fontconfig; default the bundled DejaVu. */
  fontDirs?: string[];
}

export interface RenderOptions {
  format?: OutputFormat;
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Whose render this is (one report): the pool takes turns between tenants, so that one report's
   * many slow plots cannot make another report wait for all of them. Default: one shared tenant.
   */
  tenant?: object;
}

export interface RenderResult {
  data: Buffer;
  /** Peak RSS of the rendering process so far, in bytes. */
  workerMaxRss: number;
}

export const DEFAULT_TIMEOUT_MS = 20_000;
export const DEFAULT_MAX_OLD_SPACE_MB = 384;
const START_TIMEOUT_MS = 30_000;
/** The tenant of renders that name none. */
const SHARED = {};

interface Job {
  req: RenderRequest;
  tenant: object;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  resolve: (r: RenderResult) => void;
  reject: (e: Error) => void;
  onAbort?: () => void;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Last stderr bytes: V8 writes "heap out of memory" there before aborting. */
  stderr: string;
}

/** The compiled worker next to this module, or under dist/ when running from the TypeScript sources. */
function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, "render-worker.js"), join(here, "..", "..", "dist", "plots", "render-worker.js")]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new RenderError("the plot renderer is not built (dist/plots/render-worker.js missing): run `npm run build`");
}

export class RenderPool {
  private readonly slots: Slot[] = [];
  /** Waiting jobs by tenant, in order of arrival. */
  private readonly queues = new Map<object, Job[]>();
  /**
   * When each tenant was last served (a tick): the one served longest ago goes next, and one never
   * served goes first. Kept while a tenant's queue is empty, so that a report submitting its plots
   * one by one is not taken for a newcomer each time.
   */
  private readonly served = new WeakMap<object, number>();
  private tick = 0;
  private readonly size: number;
  private readonly timeoutMs: number;
  private readonly heapMb: number;
  private env: Promise<NodeJS.ProcessEnv> | undefined;
  private nextId = 1;
  private starting = 0;
  private closed = false;

  constructor(private readonly opts: PoolOptions = {}) {
    this.size = Math.max(1, opts.size ?? Math.min(2, availableParallelism()));
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.heapMb = opts.maxOldSpaceMb ?? DEFAULT_MAX_OLD_SPACE_MB;
  }

  /** A filled Vega-Lite spec → PNG (or SVG). */
  render(spec: unknown, opts: RenderOptions = {}): Promise<RenderResult> {
    return this.run({ kind: "vega-lite", spec }, opts);
  }

  /** A repository's SVG → PNG, in the sandbox too: librsvg on hostile input gets the same limits. */
  rasterise(svg: Buffer, opts: Omit<RenderOptions, "format"> = {}): Promise<RenderResult> {
    return this.run({ kind: "svg", data: svg }, { ...opts, format: "png" });
  }

  private run(input: RenderInput, opts: RenderOptions): Promise<RenderResult> {
    if (this.closed) return Promise.reject(new RenderError("the renderer is closed"));
    if (opts.signal?.aborted) return Promise.reject(new RenderError("render cancelled"));
    return new Promise((resolve, reject) => {
      const job: Job = {
        req: { id: this.nextId++, input, format: opts.format ?? "png" },
        tenant: opts.tenant ?? SHARED,
        timeoutMs: opts.timeoutMs ?? this.timeoutMs,
        signal: opts.signal,
        resolve,
        reject,
      };
      if (job.signal !== undefined) {
        job.onAbort = () => this.fail(job, new RenderError("render cancelled"));
        job.signal.addEventListener("abort", job.onAbort, { once: true });
      }
      const q = this.queues.get(job.tenant);
      if (q === undefined) this.queues.set(job.tenant, [job]);
      else q.push(job);
      this.pump();
    });
  }

  /** Start processes ahead of the first render (the bench measures warm renders). */
  async warm(): Promise<void> {
    while (this.slots.length + this.starting < this.size) await this.spawn();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.takeAll()) this.settle(job, new RenderError("the renderer is closed"));
    await Promise.all(this.slots.splice(0).map((s) => stop(s.child)));
  }

  private pump(): void {
    while (this.queues.size > 0) {
      const slot = this.slots.find((s) => s.ready && s.job === undefined);
      if (slot === undefined) {
        if (this.slots.length + this.starting < this.size && this.starting === 0) {
          this.spawn().then(
            () => this.pump(),
            (e: unknown) => this.failQueue(e instanceof Error ? e : new RenderError(String(e))),
          );
        }
        return;
      }
      this.dispatch(slot, this.next());
    }
  }

  /** The first job of the tenant whose turn it is: the one served longest ago (ties: first arrived). */
  private next(): Job {
    const last = (t: object) => this.served.get(t) ?? 0;
    let turn: [object, Job[]] | undefined;
    for (const entry of this.queues) if (turn === undefined || last(entry[0]) < last(turn[0])) turn = entry;
    const [tenant, q] = turn!;
    const job = q.shift()!;
    if (q.length === 0) this.queues.delete(tenant);
    this.served.set(tenant, ++this.tick);
    return job;
  }

  private takeAll(): Job[] {
    const all = [...this.queues.values()].flat();
    this.queues.clear();
    return all;
  }

  private dispatch(slot: Slot, job: Job): void {
    slot.job = job;
    setRef(slot.child, true);
    slot.timer = setTimeout(() => {
      this.kill(slot, new RenderError(`render took longer than ${job.timeoutMs / 1000} s and was stopped`));
    }, job.timeoutMs);
    slot.child.send(job.req);
  }

  /** Nothing can render (the worker script is missing, or processes do not start). */
  private failQueue(err: Error): void {
    if (this.slots.length > 0) return;
    for (const job of this.takeAll()) this.settle(job, err);
  }

  private async spawn(): Promise<void> {
    this.starting++;
    try {
      await this.start();
    } finally {
      this.starting--;
    }
  }

  private async start(): Promise<void> {
    this.env ??= fontconfigFile(this.opts.fontDirs).then((conf) => ({
      FONTCONFIG_FILE: conf,
      MLREVIEW_FONT_DIR: this.opts.fontDirs === undefined ? bundledFontDir() : "",
    }));
    const env = await this.env;
    if (this.closed) return;
    const child = fork(workerScript(), [], {
      // No eval/new Function at all in the child: expressions must go through vega-interpreter.
      execArgv: [`--max-old-space-size=${this.heapMb}`, "--disallow-code-generation-from-strings"],
      env,
      serialization: "advanced",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    const slot: Slot = { child, ready: false, job: undefined, timer: undefined, stderr: "" };
    this.slots.push(slot);
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (d: string) => {
      slot.stderr = (slot.stderr + d).slice(-2000);
    });
    child.on("message", (m: RenderReply | ReadyMessage) => this.onMessage(slot, m));
    child.on("exit", (code, signal) => this.onExit(slot, code, signal));
    child.on("error", () => undefined);
    try {
      await waitReady(child);
    } catch (e) {
      this.onExit(slot, null, null);
      throw e;
    }
  }

  private onMessage(slot: Slot, m: RenderReply | ReadyMessage): void {
    if ("ready" in m) {
      slot.ready = true;
      this.idle(slot);
      this.pump();
      return;
    }
    const job = slot.job;
    if (job === undefined || job.req.id !== m.id) return;
    clearTimeout(slot.timer);
    slot.job = undefined;
    this.idle(slot);
    if (m.ok) this.settle(job, { data: Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), workerMaxRss: m.maxRssKb * 1024 });
    else this.settle(job, new RenderError(m.error));
    this.pump();
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const i = this.slots.indexOf(slot);
    if (i === -1) return;
    this.slots.splice(i, 1);
    clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = undefined;
    if (job !== undefined) {
      const oom = /out of memory|allocation failed/i.test(slot.stderr) || signal === "SIGABRT" || code === 134;
      this.settle(job, new RenderError(oom ? `render ran out of memory (${this.heapMb} MB limit) and was stopped` : `renderer exited unexpectedly (${signal ?? `code ${code}`})`));
    }
    if (!this.closed) this.pump();
  }

  /** Fail a job: drop it from the queue, or kill the process running it. */
  private fail(job: Job, err: Error): void {
    const q = this.queues.get(job.tenant);
    const i = q?.indexOf(job) ?? -1;
    if (q !== undefined && i !== -1) {
      q.splice(i, 1);
      if (q.length === 0) this.queues.delete(job.tenant);
      this.settle(job, err);
      return;
    }
    const slot = this.slots.find((s) => s.job === job);
    if (slot !== undefined) this.kill(slot, err);
  }

  private kill(slot: Slot, err: Error): void {
    const job = slot.job;
    slot.job = undefined;
    const i = this.slots.indexOf(slot);
    if (i !== -1) this.slots.splice(i, 1);
    clearTimeout(slot.timer);
    slot.child.kill("SIGKILL");
    if (job !== undefined) this.settle(job, err);
    if (!this.closed) this.pump();
  }

  private settle(job: Job, result: RenderResult | Error): void {
    if (job.onAbort !== undefined) job.signal?.removeEventListener("abort", job.onAbort);
    if (result instanceof Error) job.reject(result);
    else job.resolve(result);
  }

  private idle(slot: Slot): void {
    setRef(slot.child, false);
  }
}

/**
 * Whether `child` keeps this process alive: the process, its IPC channel and its stderr pipe each hold
 * the event loop, so all three are let go while the process is idle.
 */
function setRef(child: ChildProcess, on: boolean): void {
  const handles = [child, child.channel as { ref?: () => void; unref?: () => void } | null | undefined, child.stderr as { ref?: () => void; unref?: () => void } | null];
  for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
}

function waitReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new RenderError("the plot renderer did not start"));
    }, START_TIMEOUT_MS);
    const onMessage = (m: unknown): void => {
      if (typeof m === "object" && m !== null && "ready" in m) done(resolve);
    };
    const onExit = (): void => done(() => reject(new RenderError("the plot renderer did not start")));
    const done = (f: () => void): void => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      f();
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    // An idle child is unref'd: ref it, or the loop may end before its exit is seen.
    child.ref();
    child.kill("SIGKILL");
  });
}
