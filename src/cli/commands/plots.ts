import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { collectImages, imagePlotPaths, RenderBudget, renderPlots, warmRenderer, type PlotRevision } from "../../plots/index.js";
import { discoverProject } from "../../project/index.js";
import { openRevisions, WORKSPACE } from "../../revisions/index.js";
import { uniqueFileNames } from "../file-names.js";
import { oneLine } from "../output.js";
import { fromCwd, type CliIo } from "../io.js";
import { defaultMaxFileSize, limitsOf, MAX_FILE_SIZE_HELP, parseSize, type RepoOptions } from "../options.js";

interface PlotsFlags extends RepoOptions {
  out: string;
}

const EXTENSIONS: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif" };

/** `plots diff [a_rev [b_rev]] --out DIR`: one PNG per plot, as `dvc plots diff` shows them. */
export function registerPlotsCommand(plots: Command, io: CliIo): void {
  plots
    .command("diff")
    .description("render each plot with both revisions as a PNG (like `dvc plots diff`)")
    .argument("[a_rev]", "old revision", "HEAD")
    .argument("[b_rev]", `new revision ("${WORKSPACE}" for the files on disk)`, WORKSPACE)
    .option("-o, --out <dir>", "directory to write the images into", "dvc_plots")
    .option("-R, --repo <dir>", "repository to read (default: the current directory)")
    .option("--max-file-size <size>", MAX_FILE_SIZE_HELP, parseSize, defaultMaxFileSize(io.env))
    .action(async (aRev: string, bRev: string, flags: PlotsFlags) => {
      const limits = limitsOf(flags);
      warmRenderer();
      const revs = await openRevisions(fromCwd(io, flags.repo ?? "."), aRev, bRev, { maxFileBytes: limits.maxFileBytes, env: io.env });
      try {
        // DVC takes the plot definitions from the newest revision.
        const project = await discoverProject(revs.head, { limits });
        if ("error" in project) throw new UsageError(`${bRev}: ${project.error}`);
        const revisions: PlotRevision[] = [
          { label: aRev, tree: revs.base },
          { label: bRev, tree: revs.head },
        ];
        // The bot's caps protect other reports waiting for the pool; here the user waits for their own plots only.
        const rendered = await renderPlots(project.plots, revisions, { maxPlots: Infinity, budget: new RenderBudget(Infinity) });
        const images = await collectImages([...project.images, ...imagePlotPaths(project.plots)], revisions);
        await mkdir(fromCwd(io, flags.out), { recursive: true });
        const name = uniqueFileNames();
        for (const plot of rendered) {
          if (plot.png === undefined) {
            io.stderr.write(`${oneLine(`mlreview: plot '${plot.id}': ${plot.error ?? "not rendered"}`)}\n`);
            continue;
          }
          const file = join(flags.out, name(plot.id, "png"));
          await writeFile(fromCwd(io, file), plot.png);
          io.stdout.write(`${file}${plot.note ? `  (${plot.note})` : ""}\n`);
        }
        for (const image of images) {
          for (const side of image.sides) {
            if (side.data === undefined) {
              io.stderr.write(`${oneLine(`mlreview: image '${image.path}' at ${side.label}: ${side.error ?? "missing"}`)}\n`);
              continue;
            }
            const file = join(flags.out, name(`${side.label}_${image.path}`, EXTENSIONS[side.type ?? ""] ?? "png"));
            await writeFile(fromCwd(io, file), side.data);
            io.stdout.write(`${file}\n`);
          }
        }
      } finally {
        await revs.close();
      }
    });
}
