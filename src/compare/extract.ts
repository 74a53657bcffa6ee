import { isObj, newObj, type Value } from "../formats/value.js";
import { pyRepr } from "../python/format.js";

/**
 * DVC's `_extract_metrics(...) or {}`: keep numbers, strings and booleans inside mappings; drop lists,
 * nulls and mappings that end up empty. A falsy whole-file value (0, "", []) becomes `{}`.
 */
export function extractMetrics(v: Value): Value {
  const out = extract(v);
  return out === undefined || isFalsy(out) ? newObj() : out;
}

function extract(v: Value): Value | undefined {
  if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
  if (!isObj(v)) return undefined;
  const out = newObj();
  for (const k of Object.keys(v)) {
    const m = extract(v[k]!);
    if (m !== undefined && !(isObj(m) && Object.keys(m).length === 0)) out[k] = m;
  }
  return out;
}

/** DVC's `format_dict`: every list becomes its Python `str()`, e.g. `['bar', 'baz']`. */
export function formatParams(v: Value): Value {
  if (Array.isArray(v)) return pyRepr(v);
  if (!isObj(v)) return v;
  const out = newObj();
  for (const k of Object.keys(v)) out[k] = formatParams(v[k]!);
  return out;
}

/** Python truthiness of a parsed value. */
export function isFalsy(v: Value): boolean {
  if (v === null || v === false || v === "" || v === 0 || v === 0n) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.keys(v).length === 0;
  return false;
}
