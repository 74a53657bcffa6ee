import type { Command } from "commander";
import { simpleGit } from "simple-git";
import { childEnv } from "../../child-env.js";
import { collect } from "../../compare/index.js";
import type { Value } from "../../formats/value.js";
import { metricsShowTable, type ShownRevision } from "../../dvc-output/tables.js";
import { pyJsonDumps } from "../../python/json.js";
import { openRevisionList, repoRoot, WORKSPACE } from "../../revisions/index.js";
import { defaultMaxFileSize, limitsOf, MAX_FILE_SIZE_HELP, parsePrecision, parseSize, type RepoOptions } from "../options.js";
import { reportProblems } from "../output.js";
import { fromCwd, type CliIo } from "../io.js";

interface ShowFlags extends RepoOptions {
  json?: boolean;
  md?: boolean;
  precision?: number;
  allBranches?: boolean;
}

/** `metrics show [REV...]`: the workspace by default; a Revision column when revisions are named. */
export function addShowCommand(metrics: Command, io: CliIo): void {
  metrics
    .command("show")
    .description("print the metrics of the workspace or of the given revisions (like `dvc metrics show`)")
    .argument("[revs...]", "revisions to show (default: the workspace)")
    .option("-a, --all-branches", "show the workspace and every local branch")
    .option("--json", "print JSON")
    .option("--md", "print a Markdown table")
    .option("--precision <n>", "round floats to n decimal places (default 5)", parsePrecision)
    .option("-R, --repo <dir>", "repository to read (default: the current directory)")
    .option("--max-file-size <size>", MAX_FILE_SIZE_HELP, parseSize, defaultMaxFileSize(io.env))
    .action(async (revArgs: string[], flags: ShowFlags) => {
      const dir = fromCwd(io, flags.repo ?? ".");
      const revs = revArgs.length ? [...revArgs] : [WORKSPACE];
      if (flags.allBranches) {
        const branches = await simpleGit({ baseDir: await repoRoot(dir) })
          .env(childEnv({}, { network: false }))
          .branchLocal();
        revs.push(...branches.all.filter((b) => !revs.includes(b)));
      }
      const limits = limitsOf(flags);
      const opened = await openRevisionList(dir, revs, { maxFileBytes: limits.maxFileBytes, env: io.env });
      try {
        const collected = await Promise.all(opened.trees.map((t) => collect("metrics", t, { limits })));
        for (const c of collected) reportProblems(c.problems, io.stderr);
        const shown: ShownRevision[] = collected.map((c) => {
          const files = new Map<string, Value | undefined>(c.files);
          for (const p of c.problems) if (p.path) files.set(p.path, undefined);
          return { rev: c.rev, files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1))), failed: c.failed };
        });
        hideCleanWorkspace(shown, await activeBranch(opened.root));
        if (flags.json) {
          const problem = (rev: string, path?: string) => dvcError(collected.find((c) => c.rev === rev)!.problems.find((p) => p.path === path)?.message ?? "");
          const out = new Map(shown.map((s) => [s.rev, s.failed ? { error: problem(s.rev) } : { data: new Map([...s.files].map(([p, v]) => [p, v === undefined ? { error: problem(s.rev, p) } : { data: v }])) }]));
          io.stdout.write(`${pyJsonDumps(out, io.stdout.isTTY ? 2 : undefined)}\n`);
          return;
        }
        const showRevision = revArgs.length > 0 || (flags.allBranches ?? false);
        io.stdout.write(metricsShowTable(shown, { markdown: flags.md ?? false, showRevision, precision: flags.precision || 5 }));
      } finally {
        await opened.close();
      }
    });
}

/** DVC's `encode_exception`: the exception's class name and message, with DVC's class names. */
function dvcError(msg: string): { type: string; msg: string } {
  const type = msg.startsWith("invalid JSON")
    ? "JSONFileCorruptedError"
    : msg.startsWith("invalid YAML")
      ? "YAMLFileCorruptedError"
      : msg.startsWith("invalid TOML")
        ? "TOMLFileCorruptedError"
        : msg === "no such file"
          ? "FileNotFoundError"
          : "MlreviewError";
  return { type, msg };
}

async function activeBranch(root: string): Promise<string | undefined> {
  try {
    const b = await simpleGit({ baseDir: root })
      .env(childEnv({}, { network: false }))
      .branchLocal();
    return b.detached ? undefined : b.current;
  } catch {
    return undefined;
  }
}

/**
 * DVC's `_hide_workspace` (dvc/repo/metrics/show.py): the workspace is left out when it shows exactly what
 * the active branch shows (`dvc metrics show -a` on a clean checkout lists the branches only). DVC's
 * results hold exception objects, which are never equal: a side with an unreadable file is always shown.
 */
function hideCleanWorkspace(shown: ShownRevision[], branch: string | undefined): void {
  const ws = shown.findIndex((s) => s.rev === WORKSPACE);
  const active = shown.find((s) => s.rev === branch);
  if (ws < 0 || !active || branch === WORKSPACE) return;
  const clean = (s: ShownRevision) => !s.failed && [...s.files.values()].every((v) => v !== undefined);
  if (!clean(shown[ws]!) || !clean(active)) return;
  const key = (s: ShownRevision) =>
    pyJsonDumps(
      new Map<string, Value | undefined | Map<string, Value | undefined>>([
        ["failed", s.failed],
        ["files", s.files],
      ]),
    );
  if (key(shown[ws]!) === key(active)) shown.splice(ws, 1);
}
