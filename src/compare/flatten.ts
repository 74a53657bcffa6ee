import { isObj, type Obj, type Value } from "../formats/value.js";

/**
 * `flatten_dict.flatten(d, reducer="dot")`: nested keys joined with ".", empty mappings vanish,
 * lists are leaves. Two keys that flatten to the same name ({"a.b": 1, "a": {"b": 2}}) are an error,
 * as in flatten_dict.
 */
export function flatten(obj: Obj): Map<string, Value> {
  let out = cache.get(obj);
  if (!out) {
    out = new Map<string, Value>();
    walk(obj, undefined, out);
    cache.set(obj, out);
  }
  return out;
}

/** Parsed files are validated by flattening when read, then flattened again by the diff: do it once. */
const cache = new WeakMap<Obj, Map<string, Value>>();

function walk(obj: Obj, prefix: string | undefined, out: Map<string, Value>): void {
  for (const k of Object.keys(obj)) {
    const key = prefix === undefined ? k : `${prefix}.${k}`;
    const v = obj[k]!;
    if (isObj(v)) {
      walk(v, key, out);
      continue;
    }
    if (out.has(key)) throw new DuplicateKeyError(key);
    out.set(key, v);
  }
}

export class DuplicateKeyError extends Error {
  constructor(readonly key: string) {
    super(`duplicated key '${key}' after flattening`);
  }
}
