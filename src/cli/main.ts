#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { CommanderError } from "commander";
import { UsageError } from "../errors.js";
import { buildProgram } from "./program.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

try {
  await buildProgram(pkg.version).exitOverride().parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.exitCode;
  else if (e instanceof UsageError) {
    process.stderr.write(`mlreview: ${e.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`mlreview: internal error: ${(e as Error).message}\n`);
    if (process.env.MLREVIEW_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = 2;
  }
}
