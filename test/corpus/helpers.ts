import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mlreview, type CliResult } from "../helpers/cli.js";

export const FILES = fileURLToPath(new URL("./files/", import.meta.url));

/** A corpus file's bytes. */
export const corpusFile = (path: string): Buffer => readFileSync(join(FILES, path));

/** Every file of a corpus directory (e.g. one config case), by name. */
export function corpusDir(dir: string): Record<string, Buffer> {
  return Object.fromEntries(readdirSync(join(FILES, dir)).map((f) => [f, readFileSync(join(FILES, dir, f))]));
}

/** Run `fn` and return its result with the milliseconds it took. */
export async function timed<T>(fn: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t };
}

/** Lines of the CLI's stderr that name `file` for `rev`. */
export const linesFor = (stderr: string, rev: string, file: string): string[] => stderr.split("\n").filter((l) => l.startsWith(`mlreview: ${rev}: ${file}: `));

/** The CLI in-process, as test/helpers/cli.ts runs it: no pipe buffer to outgrow with the huge outputs of this corpus. */
export const mlreviewBig = (args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<CliResult> => mlreview(args, opts);
