import { parse, TomlDate, TomlError } from "smol-toml";
import { FormatError, depthError } from "./errors.js";
import { newObj, type Value } from "./value.js";

/** TOML 1.0; integers as bigint, dates as their TOML text (DVC prints them with str()). */
export function parseToml(text: string, maxDepth: number): Value {
  let raw: unknown;
  try {
    raw = parse(text, { integersAsBigInt: true, maxDepth });
  } catch (e) {
    if (e instanceof TomlError) {
      const msg = e.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      throw new FormatError(`invalid TOML at line ${e.line} column ${e.column}: ${msg}`);
    }
    if (e instanceof RangeError) throw depthError(maxDepth);
    throw new FormatError(`invalid TOML: ${(e as Error).message.split("\n")[0]}`);
  }
  return fromToml(raw);
}

function fromToml(v: unknown): Value {
  if (v instanceof TomlDate) return v.toISOString();
  if (Array.isArray(v)) return v.map(fromToml);
  if (typeof v === "object" && v !== null) {
    const obj = newObj();
    for (const [k, val] of Object.entries(v)) obj[k] = fromToml(val);
    return obj;
  }
  return v as Value;
}
