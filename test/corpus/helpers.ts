import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLI, type CliResult } from "../helpers/cli.js";

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

/** The built CLI, as test/helpers/cli.ts runs it, with room for the huge outputs of this corpus. */
export function mlreviewBig(args: string[], opts: { cwd: string; env?: Record<string, string> }): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd, encoding: "utf8", env: { ...process.env, ...opts.env }, timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}
