import { Command } from "commander";
import { addDiffCommand } from "./commands/diff-command.js";
import { addShowCommand } from "./commands/metrics-show.js";

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

  return program;
}
