import type { Command } from "commander";
import { diffRevisions, type Kind } from "../../compare/index.js";
import { diffTable } from "../../dvc-output/tables.js";
import { openRevisions, WORKSPACE } from "../../revisions/index.js";
import { checkoutConfigFiles } from "../forge-config.js";
import { fromCwd, type CliIo } from "../io.js";
import { defaultMaxFileSize, limitsOf, MAX_FILE_SIZE_HELP, parsePrecision, parseSize, type RepoOptions } from "../options.js";
import { diffJson, displayPaths, reportProblems } from "../output.js";

interface DiffFlags extends RepoOptions {
  all?: boolean;
  json?: boolean;
  md?: boolean;
  precision?: number;
  path: boolean;
  targets?: string[];
}

const DEFAULT_PRECISION = 5;

/** `metrics diff` and `params diff` share DVC's shape; params has no Change column and no rounding. */
export function addDiffCommand(parent: Command, kind: Kind, io: CliIo): void {
  const cmd = parent
    .command("diff")
    .description(`show changes in ${kind} between two revisions (like \`dvc ${kind} diff\`)`)
    .argument("[a_rev]", "old revision", "HEAD")
    .argument("[b_rev]", `new revision ("${WORKSPACE}" for the files on disk)`, WORKSPACE)
    .option("--all", "show unchanged entries too")
    .option("--json", "print DVC's JSON structure")
    .option("--md", "print a Markdown table")
    .option("--no-path", "hide the Path column")
    .option("--targets <files...>", `read only these files, whole, declared or not`)
    .option("-R, --repo <dir>", "repository to read (default: the current directory)")
    .option("--max-file-size <size>", MAX_FILE_SIZE_HELP, parseSize, defaultMaxFileSize(io.env));
  if (kind === "metrics") cmd.option("--precision <n>", `round floats to n decimal places (default ${DEFAULT_PRECISION})`, parsePrecision);
  cmd.action(async (aRev: string, bRev: string, flags: DiffFlags) => {
    const limits = limitsOf(flags);
    const revs = await openRevisions(fromCwd(io, flags.repo ?? "."), aRev, bRev, { maxFileBytes: limits.maxFileBytes, env: io.env });
    try {
      // The config files the forge's bot would read in this checkout (a GitLab project's .gitlab/mlreview.yml).
      const opts = { all: flags.all ?? false, limits, configFiles: await checkoutConfigFiles(revs.root), ...(flags.targets ? { targets: flags.targets } : {}) };
      const result = await diffRevisions(kind, revs.base, revs.head, opts);
      reportProblems(result.problems, io.stderr);
      const diff = displayPaths(result.diff, revs.root, io.cwd, flags.repo !== undefined);
      if (flags.json) {
        io.stdout.write(`${diffJson(diff, io.stdout)}\n`);
        return;
      }
      io.stdout.write(
        diffTable(diff, {
          title: kind === "metrics" ? "Metric" : "Param",
          aRev,
          bRev,
          markdown: flags.md ?? false,
          noPath: !flags.path,
          showChanges: kind === "metrics",
          ...(kind === "metrics" ? { precision: flags.precision || DEFAULT_PRECISION } : {}),
        }),
      );
    } finally {
      await revs.close();
    }
  });
}
