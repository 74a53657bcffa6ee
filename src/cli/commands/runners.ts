import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { loadRunnersConfig, RunnersConfigError } from "../../runners/config.js";
import { fromCwd, type CliIo } from "../io.js";

interface RunnersFlags {
  config?: string;
  dryRun?: boolean;
}

function configPath(flags: RunnersFlags, io: CliIo): string {
  const path = flags.config ?? io.env.MLREVIEW_RUNNERS;
  if (!path) throw new UsageError("no runners file: pass --config FILE or set MLREVIEW_RUNNERS");
  return path;
}

function load(flags: RunnersFlags, io: CliIo) {
  const path = configPath(flags, io);
  const file = fromCwd(io, path);
  try {
    return loadRunnersConfig(file);
  } catch (e) {
    // The file named as the user typed it, not as resolved against their directory.
    if (e instanceof RunnersConfigError) throw new UsageError(e.message.startsWith(`${file}: `) ? `${path}${e.message.slice(file.length)}` : e.message);
    throw e;
  }
}

/** The AWS SDK is large: it loads only for these commands, not for every `metrics diff`. */
async function fleetFor(region: string) {
  const { Ec2Fleet } = await import("../../runners/ec2/fleet.js");
  return new Ec2Fleet({ region });
}

/** `runners list` and `runners reap [--dry-run]`: the operator's view of what the bot launched, from EC2 tags. */
export function addRunnersCommands(program: Command, io: CliIo): void {
  const runners = program.command("runners").description("GPU runner instances on EC2 (needs AWS credentials)");
  runners
    .command("list")
    .description("every instance mlreview launched that has not ended, from its tags")
    .option("-c, --config <file>", "runners file (default: MLREVIEW_RUNNERS)")
    .action(async (flags: RunnersFlags) => {
      const config = load(flags, io);
      const instances = await (await fleetFor(config.region)).managed();
      if (instances.length === 0) return void io.stdout.write("no mlreview runner instances\n");
      const rows = instances.map((i) => [i.instanceId, i.state, i.profile ?? "-", i.repo ?? "-", String(i.job ?? "-"), i.runner ?? "-", i.launchTime.toISOString(), i.expires?.toISOString() ?? "-"]);
      const head = ["INSTANCE", "STATE", "PROFILE", "REPO", "JOB", "RUNNER", "LAUNCHED", "EXPIRES"];
      const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
      for (const r of [head, ...rows])
        io.stdout.write(
          `${r
            .map((v, c) => v.padEnd(widths[c]!))
            .join("  ")
            .trimEnd()}\n`,
        );
    });
  runners
    .command("reap")
    .description("terminate instances past their expiry or without tags (the bot's reaper also checks job status on GitHub)")
    .option("-c, --config <file>", "runners file (default: MLREVIEW_RUNNERS)")
    .option("--dry-run", "only say what would be terminated")
    .action(async (flags: RunnersFlags) => {
      const config = load(flags, io);
      const { reap } = await import("../../runners/reaper.js");
      const result = await reap(await fleetFor(config.region), config, undefined, { dryRun: flags.dryRun ?? false });
      for (const d of result.decisions) io.stdout.write(`${flags.dryRun ? "would terminate" : "terminated"} ${d.instance.instanceId} (${d.reason})\n`);
      if (result.decisions.length === 0) io.stdout.write("nothing to reap\n");
    });
}
