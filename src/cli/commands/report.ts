import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Command } from "commander";
import type { Publish } from "../../report/index.js";
import type { RevisionProblem } from "../../compare/index.js";
import { pyJsonDumps } from "../../python/json.js";
import { UsageError } from "../../errors.js";
import { defaultBase, openRevisions, WORKSPACE } from "../../revisions/index.js";
import { artifactProblem, buildReview } from "../../review/index.js";
import { readArtifactPath } from "../../review/artifact-file.js";
import { uniqueFileNames } from "../file-names.js";
import { fromCwd, type CliIo } from "../io.js";
import { checkoutConfigFiles } from "../forge-config.js";
import { defaultMaxFileSize, limitsOf, MAX_FILE_SIZE_HELP, parseSize, type RepoOptions } from "../options.js";

interface ReportFlags extends RepoOptions {
  base?: string;
  head: string;
  out?: string;
  json?: boolean;
  artifact?: string;
}

/** `report`: what the bot posts, built locally: stdout, or DIR/report.md with the PNGs beside it. */
export function addReportCommand(program: Command, io: CliIo): void {
  program
    .command("report")
    .description("build the full report (metrics, params, plots, images) the bot would post")
    .option("--base <ref>", "base revision (default: the merge-base of HEAD with the default branch)")
    .option("--head <ref>", `head revision ("${WORKSPACE}" for the files on disk)`, WORKSPACE)
    .option("-o, --out <dir>", "write report.md and the plot images into this directory")
    .option("--json", "print the report's data as JSON (summary, verdicts, thresholds, Markdown)")
    .option("--artifact <dir|zip>", "lay a CI run's results (a directory or a zip) over the head, as the bot does")
    .option("-R, --repo <dir>", "repository to read (default: the current directory)")
    .option("--max-file-size <size>", MAX_FILE_SIZE_HELP, parseSize, defaultMaxFileSize(io.env))
    .action(async (flags: ReportFlags) => {
      const dir = fromCwd(io, flags.repo ?? ".");
      const limits = limitsOf(flags);
      const base = flags.base ?? (await defaultBase(dir));
      // Bare trees: the review step lays LFS, the artifact, then DVC over them, in the bot's order.
      const revs = await openRevisions(dir, base, flags.head, { maxFileBytes: limits.maxFileBytes, env: io.env, layers: false });
      try {
        const artifact = flags.artifact ? await readArtifact(flags.artifact, fromCwd(io, flags.artifact), revs.head.label) : undefined;
        // Plots need somewhere to go: without --out they are listed, not drawn.
        const report = await buildReview({
          base: revs.base,
          head: revs.head,
          layers: revs.layers,
          ...(artifact?.files ? { artifact: { head: artifact.files } } : {}),
          ...(artifact?.problem ? { problems: [artifact.problem] } : {}),
          configFiles: await checkoutConfigFiles(revs.root),
          limits,
          drawPlots: flags.out !== undefined,
          publish: flags.out ? writeBeside(fromCwd(io, flags.out)) : async () => "",
        });
        if (flags.json) {
          const rows = report.metrics.map((r) => ({ ...r }));
          io.stdout.write(`${pyJsonDumps({ summary: report.summary, conclusion: report.conclusion, breaches: report.breaches.map((b) => ({ ...b })), metrics: rows, omitted: report.omitted, markdown: report.markdown } as never)}\n`);
        } else if (flags.out) {
          await mkdir(fromCwd(io, flags.out), { recursive: true });
          await writeFile(fromCwd(io, join(flags.out, "report.md")), report.markdown);
          io.stdout.write(`${join(flags.out, "report.md")}\n`);
        } else {
          io.stdout.write(report.markdown);
          if (report.plotCount > 0) io.stderr.write(`mlreview: ${report.plotCount} plot(s) not drawn: pass --out DIR to render them\n`);
        }
      } finally {
        await revs.close();
      }
    });
}

/** The artifact's files, or the one report line the bot would show for it; a path that does not exist is the user's to fix. */
async function readArtifact(path: string, file: string, headLabel: string): Promise<{ files?: Map<string, Buffer>; problem?: RevisionProblem }> {
  try {
    return { files: await readArtifactPath(file) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new UsageError(`--artifact: '${path}' does not exist`);
    return { problem: artifactProblem(headLabel, basename(path), e) };
  }
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
