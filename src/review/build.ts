import { diffRevisions, type RevisionProblem } from "../compare/index.js";
import type { Limits } from "../formats/limits.js";
import { collectImages, RenderBudget, renderPlots, warmRenderer, type PlotRevision } from "../plots/index.js";
import { discoverProject, type DiscoverOptions } from "../project/index.js";
import { buildReport, type Publish, type Report } from "../report/index.js";
import { budgetProblems } from "../revisions/budget.js";
import type { FileTree } from "../revisions/types.js";
import { layered, type ArtifactOverlay, type TreeLayers } from "./layers.js";

export interface BuildReviewOptions {
  /** Both revisions, open (git trees, the workspace), without layers yet. */
  base: FileTree;
  head: FileTree;
  /** LFS and DVC over each side (the bot's operator layers, the CLI's user layers); none: the trees as they are. */
  layers?: TreeLayers;
  /** A CI run's files over each side, between LFS and DVC (layers.ts). */
  artifact?: ArtifactOverlay;
  /** Where the repository config may live, first found wins (the forge module's configFiles). */
  configFiles?: DiscoverOptions["configFiles"];
  /** false: plots are listed, not drawn (the CLI without --out, a forge without image publishing). */
  drawPlots?: boolean;
  publish: Publish;
  limits?: Limits;
  /** Problems found before the pipeline ran (e.g. a rejected CI artifact), shown with the others. */
  problems?: RevisionProblem[];
  /** The task's deadline: waiting and running renders stop when it fires (the render budget still holds). */
  signal?: AbortSignal;
  /** Render time for this report's plots and SVG images; default RENDER_BUDGET_MS (src/plots/budget.ts). */
  renderBudgetMs?: number;
}

export type BuiltReview = Report & { plotCount: number };

/**
 * The whole pipeline for two open trees, as the bot, the CLI's `report` and CI mode run it: the layers,
 * each revision's project, the metrics (with unchanged entries, for thresholds) and params diffs, the
 * head's plots and images, and the report. The head's config decides the settings; a head that cannot be
 * read falls back to the base's.
 */
export async function buildReview(o: BuildReviewOptions): Promise<BuiltReview> {
  const drawPlots = o.drawPlots ?? true;
  if (drawPlots) warmRenderer();
  const base = layered(o.base, o.layers, o.artifact?.base);
  const head = layered(o.head, o.layers, o.artifact?.head);
  const discover = { ...(o.limits ? { limits: o.limits } : {}), ...(o.configFiles ? { configFiles: o.configFiles } : {}) };
  const [baseProject, headProject] = await Promise.all([discoverProject(base, discover), discoverProject(head, discover)]);
  const diffOpts = { ...discover, projects: { base: baseProject, head: headProject } };
  const [metrics, params] = await Promise.all([diffRevisions("metrics", base, head, { ...diffOpts, all: true }), diffRevisions("params", base, head, diffOpts)]);
  const project = "error" in headProject ? undefined : headProject;
  const revisions: PlotRevision[] = [
    { label: base.label, tree: base },
    { label: head.label, tree: head },
  ];
  const draw = drawPlots && project !== undefined && !o.signal?.aborted;
  // This report's plots and SVG images share one render budget, and take turns with other reports'.
  const budget = new RenderBudget(o.renderBudgetMs);
  const signal = o.signal ? { signal: o.signal } : {};
  const [plots, images] = await Promise.all([draw ? renderPlots(project.plots, revisions, { budget, ...signal }) : [], draw ? collectImages(project.images, revisions, { budget, ...signal }) : []]).finally(() => budget.close());
  o.signal?.throwIfAborted();
  const report = await buildReport({
    base: { label: base.label, commit: base.commit },
    head: { label: head.label, commit: head.commit },
    metrics,
    params,
    plots,
    images,
    settings: project?.settings ?? ("error" in baseProject ? { direction: {}, thresholds: [] } : baseProject.settings),
    publish: o.publish,
    // After every read (plots and images included), so that each budget that ran out is said once.
    problems: [...(o.problems ?? []), ...budgetProblems(base), ...budgetProblems(head)],
  });
  return { ...report, plotCount: project?.plots.length ?? 0 };
}
