import { InvalidArgumentError } from "commander";
import { DEFAULT_LIMITS, withLimits, type Limits } from "../formats/limits.js";

/** Options shared by every command that reads a repository. */
export interface RepoOptions {
  repo?: string;
  maxFileSize?: number;
}

export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(text.trim());
  if (!m) throw new InvalidArgumentError("expected a size such as 50MB, 512KB or 1048576");
  const unit = (m[2] ?? "b").toLowerCase()[0];
  const mult = unit === "k" ? 1024 : unit === "m" ? 1024 ** 2 : unit === "g" ? 1024 ** 3 : 1;
  return Math.floor(Number(m[1]) * mult);
}

export function parsePrecision(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 15) throw new InvalidArgumentError("expected a whole number from 0 to 15");
  return n;
}

export function limitsOf(o: RepoOptions): Limits {
  return withLimits(o.maxFileSize === undefined ? {} : { maxFileBytes: o.maxFileSize });
}

export const MAX_FILE_SIZE_HELP = `largest file read, e.g. 10MB (default ${DEFAULT_LIMITS.maxFileBytes / 1024 / 1024}MB, or MLREVIEW_MAX_FILE_SIZE)`;

export function defaultMaxFileSize(env: Record<string, string | undefined>): number | undefined {
  const size = env.MLREVIEW_MAX_FILE_SIZE;
  return size ? parseSize(size) : undefined;
}
