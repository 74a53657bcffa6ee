import { isAbsolute, resolve } from "node:path";

/** Where a command writes: process.stdout in the binary, a buffer in the tests. */
export interface CliStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  hasColors?: () => boolean;
}

/**
 * Everything a command may take from the process it runs in, read once by main.ts: one run cannot see
 * another's directory or environment when several run in one process (the in-process tests).
 */
export interface CliIo {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: CliStream;
  stderr: CliStream;
}

/** A path the user typed, relative to the directory they typed it in (not this process's). */
export function fromCwd(io: CliIo, path: string): string {
  return isAbsolute(path) ? path : resolve(io.cwd, path);
}

/** commander's own colour test (NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE), on the run's environment. */
export function hasColors(io: CliIo, stream: CliStream): boolean {
  const { NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE } = io.env;
  if (NO_COLOR || FORCE_COLOR === "0" || FORCE_COLOR === "false") return false;
  if (FORCE_COLOR || CLICOLOR_FORCE !== undefined) return true;
  return (stream.isTTY ?? false) && (stream.hasColors?.() ?? false);
}
