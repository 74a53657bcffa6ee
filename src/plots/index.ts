/**
 * Plots as `dvc plots diff` shows them, as PNG files for a report: one per plot definition,
 * every revision as a labelled series, rendered in a sandboxed process pool.
 */
import { setMaxListeners } from "node:events";
import type { PlotDefinition } from "../project/types.js";
import type { FileTree } from "../revisions/types.js";
import { isImagePath } from "./data.js";
import { readImageSide, type ImageSide } from "./images.js";
import { RenderBudget } from "./budget.js";
import { RenderPool } from "./pool.js";
import { preparePlots } from "./prepare.js";
import { telemetry } from "../telemetry.js";

export { RenderBudget, RENDER_BUDGET_MS } from "./budget.js";
export { isImagePath } from "./data.js";
export { preparePlots, type PreparedDefinition } from "./prepare.js";

export interface PlotRevision {
  label: string;
  tree: FileTree;
}

export interface RenderedPlot {
  id: string;
  title: string;
  png?: Buffer;
  /** One line in place of the plot. */
  error?: string;
  /** Said under the plot: downsampling, a revision that could not be read. */
  note?: string;
}

export interface RenderedImage {
  path: string;
  sides: ImageSide[];
}

/**
 * One pool per process, not per instance of this module: a process that loads the module again (the
 * tests forget every module after each file; a host may bundle it twice) reuses the warm processes
 * instead of starting new ones, each about half a CPU-second of loading Vega and sharp.
 */
const POOL = Symbol.for("mlreview.renderPool");
const shared = globalThis as { [POOL]?: RenderPool };
const renderer = (): RenderPool => (shared[POOL] ??= new RenderPool());

/** Paths of plots that are images: DVC shows them as images, so they belong to collectImages. */
export function imagePlotPaths(defs: readonly PlotDefinition[]): string[] {
  return defs.flatMap((d) => d.files).filter(isImagePath);
}

/**
 * Plots drawn per report at most: more only cost render time that other reports wait for (8 slow
 * plots made another repository's one-plot report take 80 s). The rest are listed, not drawn.
 */
export const MAX_PLOTS_PER_REPORT = 20;

export interface RenderPlotsOptions {
  signal?: AbortSignal;
  /** Per plot (the pool's deadline). */
  timeoutMs?: number;
  /** The report's tenant and render budget; default: one of RENDER_BUDGET_MS for this call. */
  budget?: RenderBudget;
  /** Default MAX_PLOTS_PER_REPORT; the CLI's `plots diff` draws every plot, as DVC does. */
  maxPlots?: number;
}

/**
 * Render every data plot of `defs` (image plots are skipped: see imagePlotPaths), up to
 * MAX_PLOTS_PER_REPORT and within the render budget. Revisions are base first, head second;
 * templates named by path are read from the head. Never throws for a bad plot: it gets `error`.
 * Specs are prepared one by one while earlier ones render.
 */
export async function renderPlots(defs: PlotDefinition[], revisions: PlotRevision[], opts: RenderPlotsOptions = {}): Promise<RenderedPlot[]> {
  const data = defs.filter((d) => !(d.files.length > 0 && d.files.every(isImagePath)));
  const max = opts.maxPlots ?? MAX_PLOTS_PER_REPORT;
  const drawn = data.slice(0, max);
  const listed = (d: PlotDefinition, error: string): RenderedPlot => ({ id: d.id, title: d.title ?? d.id, error });
  const overCap = data.slice(max).map((d) => listed(d, `not drawn: over the cap of ${max} plots per report`));
  const budget = opts.budget ?? new RenderBudget();
  const signal = opts.signal ? AbortSignal.any([opts.signal, budget.signal]) : budget.signal;
  // Every render of the report listens to it: many listeners are expected, not a leak.
  setMaxListeners(0, signal);
  const render = { signal, tenant: budget.tenant, ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }) };
  const results: Array<Promise<RenderedPlot>> = [];
  try {
    for await (const p of preparePlots(drawn, revisions)) {
      if (budget.spent) break;
      if (!p.ok) {
        results.push(Promise.resolve({ id: p.id, title: p.title, error: p.error }));
        continue;
      }
      const note = p.note;
      const started = performance.now();
      results.push(
        renderer()
          .render(p.plot.spec, render)
          .finally(() => telemetry.renderSeconds((performance.now() - started) / 1000))
          .then(
            (r): RenderedPlot => ({ id: p.id, title: p.title, png: r.data, ...(note === undefined ? {} : { note }) }),
            (e: unknown): RenderedPlot => ({ id: p.id, title: p.title, error: budget.spent && !opts.signal?.aborted ? budget.message : (e as Error).message }),
          ),
      );
    }
    const done = await Promise.all(results);
    // Plots the budget ran out before preparing: listed by name, in their place.
    const unprepared = drawn.slice(done.length).map((d) => listed(d, budget.message));
    return [...done, ...unprepared, ...overCap];
  } finally {
    if (opts.budget === undefined) budget.close();
  }
}

/** Each image at each revision (in the order given), for a base | head table; SVGs are rasterised within `budget`. */
export async function collectImages(paths: string[], revisions: PlotRevision[], opts: { budget?: RenderBudget; signal?: AbortSignal } = {}): Promise<RenderedImage[]> {
  const unique = [...new Set(paths)];
  const budget = opts.budget ?? new RenderBudget();
  // The task's deadline stops a rasterisation waiting or running, as the budget does.
  const pool = opts.signal ? () => cancelledWith(renderer(), opts.signal!) : renderer;
  try {
    return await Promise.all(
      unique.map(async (path) => ({
        path,
        sides: await Promise.all(revisions.map((r) => readImageSide(path, r.label, r.tree, pool, budget))),
      })),
    );
  } finally {
    if (opts.budget === undefined) budget.close();
  }
}

/** The pool, each rasterisation also cancelled by `signal`. */
function cancelledWith(p: RenderPool, signal: AbortSignal): RenderPool {
  return {
    rasterise: (svg: Buffer, o: Parameters<RenderPool["rasterise"]>[1] = {}) => p.rasterise(svg, { ...o, signal: o.signal ? AbortSignal.any([o.signal, signal]) : signal }),
  } as RenderPool;
}

/**
 * Start the render processes now, while the revisions are still being read (a DVC remote, a blob-less
 * fetch): each loads Vega and sharp, about a second of CPU that would otherwise come after the reads.
 * Never fails: a renderer that cannot start says so at the first render.
 */
export function warmRenderer(): void {
  renderer()
    .warm()
    .catch(() => {});
}

/**
 * Stop the render processes (a server shutting down). Nothing else needs to: idle processes hold no
 * reference on the event loop, so a CLI exits without this, and they leave with it.
 */
export async function closeRenderer(): Promise<void> {
  const p = shared[POOL];
  delete shared[POOL];
  await p?.close();
}
