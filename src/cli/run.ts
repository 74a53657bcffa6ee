import { readFileSync } from "node:fs";
import { CommanderError } from "commander";
import { UsageError } from "../errors.js";
import type { CliIo } from "./io.js";
import { buildProgram } from "./program.js";

export type { CliIo, CliStream } from "./io.js";

let version: string | undefined;
function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  return version;
}

/**
 * One `mlreview ARGS...` run: a fresh program each call, output through `io`, the exit code returned
 * (never process.exit), so that the binary and the in-process tests run the same code.
 * `argv` is the user's arguments, without node and the script.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(packageVersion(), io).parseAsync([...argv], { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof UsageError) {
      io.stderr.write(`mlreview: ${e.message}\n`);
      return 1;
    }
    io.stderr.write(`mlreview: internal error: ${(e as Error).message}\n`);
    if (io.env.MLREVIEW_DEBUG) io.stderr.write(`${(e as Error).stack}\n`);
    return 2;
  }
}
