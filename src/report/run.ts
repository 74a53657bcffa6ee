import { diffRevisions, type RevisionProblem } from "../compare/index.js";
import type { Limits } from "../formats/limits.js";
import { collectImages, RenderBudget, renderPlots, warmRenderer, type PlotRevision } from "../plots/index.js";
import { discoverProject, type DiscoverOptions } from "../project/index.js";
import { budgetProblems } from "../revisions/budget.js";
import type { FileTree } from "../revisions/types.js";
import { buildReport, type Publish, type Report } from "./index.js";

export interface RunReportOptions {
  limits?: Limits;
  configFiles?: DiscoverOptions["configFiles"];
  /** false: plots are listed, not drawn (the CLI without --out). */
  drawPlots?: boolean;
  publish: Publish;
  /** Problems found before the pipeline ran (e.g. a rejected CI artifact), shown with the others. */
  problems?: RevisionProblem[];
  /** Render time for this report's plots and SVG images; default RENDER_BUDGET_MS (src/plots/budget.ts). */
  renderBudgetMs?: number;
}

/**
 * The whole pipeline for two trees, as both the CLI and the bot run it: each revision's project, the
 * metrics (with unchanged entries, for thresholds) and params diffs, the head's plots and images, and
 * the report. The head's config decides the settings; a head that cannot be read falls back to the base's.
 */
export async function runReport(base: FileTree, head: FileTree, opts: RunReportOptions): Promise<Report & { plotCount: number }> {
  if (opts.drawPlots ?? true) warmRenderer();
  const discover = { ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.configFiles ? { configFiles: opts.configFiles } : {}) };
  const [baseProject, headProject] = await Promise.all([discoverProject(base, discover), discoverProject(head, discover)]);
  const diffOpts = { ...discover, projects: { base: baseProject, head: headProject } };
  const [metrics, params] = await Promise.all([
    diffRevisions("metrics", base, head, { ...diffOpts, all: true }),
    diffRevisions("params", base, head, diffOpts),
  ]);
  const project = "error" in headProject ? undefined : headProject;
  const revisions: PlotRevision[] = [
    { label: base.label, tree: base },
    { label: head.label, tree: head },
  ];
  const draw = (opts.drawPlots ?? true) && project !== undefined;
  // This report's plots and SVG images share one render budget, and take turns with other reports'.
  const budget = new RenderBudget(opts.renderBudgetMs);
  const [plots, images] = await Promise.all([
    draw ? renderPlots(project.plots, revisions, { budget }) : [],
    draw ? collectImages(project.images, revisions, { budget }) : [],
  ]).finally(() => budget.close());
  const report = await buildReport({
    base: { label: base.label, commit: base.commit },
    head: { label: head.label, commit: head.commit },
    metrics,
    params,
    plots,
    images,
    settings: project?.settings ?? ("error" in baseProject ? { direction: {}, thresholds: [] } : baseProject.settings),
    publish: opts.publish,
    // After every read (plots and images included), so that each budget that ran out is said once.
    problems: [...(opts.problems ?? []), ...budgetProblems(base), ...budgetProblems(head)],
  });
  return { ...report, plotCount: project?.plots.length ?? 0 };
}
