import { Command } from "commander";
import { addDiffCommand } from "./commands/diff-command.js";
import { addShowCommand } from "./commands/metrics-show.js";
import { registerPlotsCommand } from "./commands/plots.js";
import { addReportCommand } from "./commands/report.js";
import { addRunnersCommands } from "./commands/runners.js";

export function buildProgram(version: string): Command {
  const program = new Command("mlreview")
    .description("Compare ML metrics, params and plots between revisions, as DVC does, without DVC.")
    .version(version)
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s.startsWith("error:") ? `mlreview: ${s}` : s) });

  const metrics = program.command("metrics").description("compare or show metrics");
  addDiffCommand(metrics, "metrics");
  addShowCommand(metrics);

  const params = program.command("params").description("compare params");
  addDiffCommand(params, "params");

  registerPlotsCommand(program.command("plots").description("render plots of two revisions to PNG"));

  addReportCommand(program);
  addRunnersCommands(program);

  return program;
}
