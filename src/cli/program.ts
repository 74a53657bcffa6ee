import { Command } from "commander";
import { addDiffCommand } from "./commands/diff-command.js";
import { addShowCommand } from "./commands/metrics-show.js";
import { registerPlotsCommand } from "./commands/plots.js";
import { addReportCommand } from "./commands/report.js";
import { addRunnersCommands } from "./commands/runners.js";
import { hasColors, type CliIo } from "./io.js";

export function buildProgram(version: string, io: CliIo): Command {
  const program = new Command("mlreview")
    .description("Compare ML metrics, params and plots between revisions, as DVC does, without DVC.")
    .version(version)
    .showHelpAfterError()
    // Before the subcommands, which copy it: a bad flag must throw, never process.exit() a test worker.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write(s.startsWith("error:") ? `mlreview: ${s}` : s),
      // undefined: commander's own 80 columns, as for a pipe.
      getOutHelpWidth: () => (io.stdout.isTTY ? io.stdout.columns : undefined) as number,
      getErrHelpWidth: () => (io.stderr.isTTY ? io.stderr.columns : undefined) as number,
      getOutHasColors: () => hasColors(io, io.stdout),
      getErrHasColors: () => hasColors(io, io.stderr),
    });

  const metrics = program.command("metrics").description("compare or show metrics");
  addDiffCommand(metrics, "metrics", io);
  addShowCommand(metrics, io);

  const params = program.command("params").description("compare params");
  addDiffCommand(params, "params", io);

  registerPlotsCommand(program.command("plots").description("render plots of two revisions to PNG"), io);

  addReportCommand(program, io);
  addRunnersCommands(program, io);

  return program;
}
