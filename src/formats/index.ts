// TEMPORARY stub: same signatures as the hardened parsers that replace it.
import { parse as parseYaml } from "yaml";
import { parse as parseToml } from "smol-toml";
import type { Value } from "./value.js";

export interface Limits {
  maxFileBytes: number;
  maxDepth: number;
  maxAliases: number;
}
export const DEFAULT_LIMITS: Limits = { maxFileBytes: 50 * 1024 * 1024, maxDepth: 512, maxAliases: 100 };

export type ParseResult = { ok: true; value: Value } | { ok: false; error: string };

/** Parse a JSON/YAML/TOML file chosen by extension as DVC does (YAML for anything else). */
export function parseStructured(path: string, data: Buffer, _limits: Limits = DEFAULT_LIMITS): ParseResult {
  const text = data.toString("utf8");
  try {
    if (path.toLowerCase().endsWith(".json")) return { ok: true, value: JSON.parse(text) as Value };
    if (path.toLowerCase().endsWith(".toml")) return { ok: true, value: parseToml(text, { integersAsBigInt: true }) as unknown as Value };
    return { ok: true, value: (parseYaml(text, { intAsBigInt: true }) ?? null) as Value };
  } catch (e) {
    return { ok: false, error: (e as Error).message.split("\n")[0] ?? "parse error" };
  }
}
