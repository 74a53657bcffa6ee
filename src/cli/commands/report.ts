import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { diffRevisions } from "../../compare/index.js";
import { closeRenderer, collectImages, renderPlots, type PlotRevision } from "../../plots/index.js";
import { discoverProject } from "../../project/index.js";
import { buildReport, type Publish } from "../../report/index.js";
import { pyJsonDumps } from "../../report/py-json.js";
import { defaultBase, openRevisions, WORKSPACE } from "../../revisions/index.js";
import { uniqueFileNames } from "../file-names.js";
import { defaultMaxFileSize, limitsOf, MAX_FILE_SIZE_HELP, parseSize, type RepoOptions } from "../options.js";

interface ReportFlags extends RepoOptions {
  base?: string;
  head: string;
  out?: string;
  json?: boolean;
}

/** `report`: what the bot posts, built locally: stdout, or DIR/report.md with the PNGs beside it. */
export function addReportCommand(program: Command): void {
  program
    .command("report")
    .description("build the full report (metrics, params, plots, images) the bot would post")
    .option("--base <ref>", "base revision (default: the merge-base of HEAD with the default branch)")
    .option("--head <ref>", `head revision ("${WORKSPACE}" for the files on disk)`, WORKSPACE)
    .option("-o, --out <dir>", "write report.md and the plot images into this directory")
    .option("--json", "print the report's data as JSON (summary, verdicts, thresholds, Markdown)")
    .option("-R, --repo <dir>", "repository to read (default: the current directory)")
    .option("--max-file-size <size>", MAX_FILE_SIZE_HELP, parseSize, defaultMaxFileSize())
    .action(async (flags: ReportFlags) => {
      const dir = flags.repo ?? process.cwd();
      const limits = limitsOf(flags);
      const base = flags.base ?? (await defaultBase(dir));
      const revs = await openRevisions(dir, base, flags.head, { maxFileBytes: limits.maxFileBytes });
      try {
        const [baseProject, headProject] = await Promise.all([discoverProject(revs.base, { limits }), discoverProject(revs.head, { limits })]);
        const opts = { limits, projects: { base: baseProject, head: headProject } };
        const [metrics, params] = await Promise.all([
          diffRevisions("metrics", revs.base, revs.head, { ...opts, all: true }),
          diffRevisions("params", revs.base, revs.head, opts),
        ]);
        const project = "error" in headProject ? undefined : headProject;
        const revisions: PlotRevision[] = [{ label: revs.base.label, tree: revs.base }, { label: revs.head.label, tree: revs.head }];
        // Plots need somewhere to go: without --out they are listed, not drawn.
        const draw = flags.out !== undefined && project !== undefined;
        const plots = draw ? await renderPlots(project.plots, revisions) : [];
        const images = draw ? await collectImages(project.images, revisions) : [];
        const report = await buildReport({
          base: { label: revs.base.label, commit: revs.base.commit },
          head: { label: revs.head.label, commit: revs.head.commit },
          metrics,
          params,
          plots,
          images,
          // The head's settings decide, as its config is what the change proposes; a broken head falls back to the base's.
          settings: project?.settings ?? ("error" in baseProject ? { direction: {}, thresholds: [] } : baseProject.settings),
          publish: flags.out ? writeBeside(flags.out) : async () => "",
        });
        if (flags.json) {
          const rows = report.metrics.map((r) => ({ ...r }));
          process.stdout.write(`${pyJsonDumps({ summary: report.summary, conclusion: report.conclusion, breaches: report.breaches.map((b) => ({ ...b })), metrics: rows, omitted: report.omitted, markdown: report.markdown } as never)}\n`);
        } else if (flags.out) {
          await writeFile(join(flags.out, "report.md"), report.markdown);
          process.stdout.write(`${join(flags.out, "report.md")}\n`);
        } else {
          process.stdout.write(report.markdown);
          if (project && project.plots.length > 0) process.stderr.write(`mlreview: ${project.plots.length} plot(s) not drawn: pass --out DIR to render them\n`);
        }
      } finally {
        await revs.close();
        await closeRenderer();
      }
    });
}

/** Images go next to report.md under safe, unique names, linked relatively. */
function writeBeside(out: string): Publish {
  const name = uniqueFileNames();
  return async (id, data, type) => {
    await mkdir(out, { recursive: true });
    const file = name(id.replace(/\.(png|jpe?g|gif|svg)$/i, ""), type === "image/jpeg" ? "jpg" : type === "image/gif" ? "gif" : "png");
    await writeFile(join(out, file), data);
    return `./${file}`;
  };
}
