/**
 * Plots as `dvc plots diff` shows them, as PNG files for a report: one per plot definition,
 * every revision as a labelled series, rendered in a sandboxed process pool.
 */
import type { PlotDefinition } from "../project/types.js";
import type { FileTree } from "../revisions/types.js";
import { isImagePath } from "./data.js";
import { readImageSide, type ImageSide } from "./images.js";
import { RenderPool } from "./pool.js";
import { preparePlots } from "./prepare.js";
import { telemetry } from "../telemetry.js";

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

let pool: RenderPool | undefined;
const renderer = (): RenderPool => (pool ??= new RenderPool());

/** Paths of plots that are images: DVC shows them as images, so they belong to collectImages. */
export function imagePlotPaths(defs: readonly PlotDefinition[]): string[] {
  return defs.flatMap((d) => d.files).filter(isImagePath);
}

/**
 * Render every data plot of `defs` (image plots are skipped: see imagePlotPaths). Revisions are
 * base first, head second; templates named by path are read from the head. Never throws for a
 * bad plot: it gets `error`. Specs are prepared one by one while earlier ones render.
 */
export async function renderPlots(
  defs: PlotDefinition[],
  revisions: PlotRevision[],
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<RenderedPlot[]> {
  const results: Array<Promise<RenderedPlot>> = [];
  for await (const p of preparePlots(defs, revisions)) {
    if (!p.ok) {
      results.push(Promise.resolve({ id: p.id, title: p.title, error: p.error }));
      continue;
    }
    const note = p.note;
    const started = performance.now();
    results.push(
      renderer()
        .render(p.plot.spec, opts)
        .finally(() => telemetry.renderSeconds((performance.now() - started) / 1000))
        .then(
          (r): RenderedPlot => ({ id: p.id, title: p.title, png: r.data, ...(note === undefined ? {} : { note }) }),
          (e: unknown): RenderedPlot => ({ id: p.id, title: p.title, error: (e as Error).message }),
        ),
    );
  }
  return Promise.all(results);
}

/** Each image at each revision (in the order given), for a base | head table. */
export async function collectImages(paths: string[], revisions: PlotRevision[]): Promise<RenderedImage[]> {
  const unique = [...new Set(paths)];
  return Promise.all(
    unique.map(async (path) => ({
      path,
      sides: await Promise.all(revisions.map((r) => readImageSide(path, r.label, r.tree, renderer))),
    })),
  );
}

/** Stop the render processes so that the CLI can exit. */
export async function closeRenderer(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.close();
}
