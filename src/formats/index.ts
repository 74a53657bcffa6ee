import { decodeText } from "./decode.js";
import { FormatError } from "./errors.js";
import { parseJson } from "./json.js";
import { DEFAULT_LIMITS, formatBytes, type Limits } from "./limits.js";
import { cachedParse } from "./parse-cache.js";
import { parseToml } from "./toml.js";
import { parseYaml } from "./yaml.js";
import type { Value } from "./value.js";

export { DEFAULT_LIMITS, withLimits, formatBytes, type Limits } from "./limits.js";
export { FormatError } from "./errors.js";
export type { Value, Obj, Scalar } from "./value.js";

export type ParseResult = { ok: true; value: Value } | { ok: false; error: string };

export type StructuredFormat = "json" | "yaml" | "toml";

/** DVC picks the loader by lower-cased extension; everything that is not .json or .toml is YAML. */
export function formatOf(path: string): StructuredFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".toml")) return "toml";
  return "yaml";
}

/** Parse a JSON/YAML/TOML file. Never throws: a bad file is a one-line error without the path. */
export function parseStructured(path: string, data: Buffer, limits: Limits = DEFAULT_LIMITS): ParseResult {
  if (data.length > limits.maxFileBytes) {
    return { ok: false, error: `file is ${formatBytes(data.length)}, over the ${formatBytes(limits.maxFileBytes)} limit` };
  }
  const format = formatOf(path);
  return cachedParse(format, data, limits, () => parse(format, data, limits));
}

function parse(format: StructuredFormat, data: Buffer, limits: Limits): ParseResult {
  try {
    const text = decodeText(data);
    switch (format) {
      case "json":
        return { ok: true, value: parseJson(text, limits.maxDepth) };
      case "toml":
        return { ok: true, value: parseToml(text, limits.maxDepth) };
      case "yaml":
        return { ok: true, value: parseYaml(text, limits) };
    }
  } catch (e) {
    if (e instanceof FormatError) return { ok: false, error: e.message };
    if (e instanceof RangeError) return { ok: false, error: "nesting too deep" };
    return { ok: false, error: `could not be parsed: ${(e as Error).message.split("\n")[0]}` };
  }
}
