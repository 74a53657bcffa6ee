import { createHash } from "node:crypto";
import type { Limits } from "./limits.js";
import { newObj, type Value } from "./value.js";

/**
 * Parsed files by content: a report reads the same params.yaml at both revisions, the project's
 * discovery and the comparison each parse dvc.yaml and the metrics files, and a bot reads the same
 * files for every push of a pull request. YAML parsing is the dearest step of a report on a real
 * project; hashing the bytes costs a small part of it.
 */

/** Source bytes held at most: parsed values take several times their source in memory (a bot holds this for good). */
export const PARSE_CACHE_BYTES = 8 * 1024 * 1024;
/** A file larger than this is parsed every time: one file must not empty the cache. */
export const PARSE_CACHE_MAX_ENTRY_BYTES = 1024 * 1024;

export type CachedParse = { ok: true; value: Value } | { ok: false; error: string };

interface Entry {
  result: CachedParse;
  bytes: number;
}

/** Least recently used first: a Map keeps insertion order, and a hit is re-inserted. */
const entries = new Map<string, Entry>();
let held = 0;

function keyOf(format: string, data: Buffer, limits: Limits): string {
  return createHash("sha256").update(`${format}\0${limits.maxFileBytes}\0${limits.maxDepth}\0${limits.maxAliases}\0`).update(data).digest("base64");
}

/**
 * `parse(data)`'s result for `data` in `format` under `limits`, parsed once. Each caller gets its own
 * copy of the value, so that a caller changing what it got cannot change what the next one gets.
 */
export function cachedParse(format: string, data: Buffer, limits: Limits, parse: () => CachedParse): CachedParse {
  if (data.length > PARSE_CACHE_MAX_ENTRY_BYTES) return parse();
  const key = keyOf(format, data, limits);
  const hit = entries.get(key);
  if (hit !== undefined) {
    entries.delete(key);
    entries.set(key, hit);
    return copyResult(hit.result);
  }
  const result = parse();
  entries.set(key, { result, bytes: data.length });
  held += data.length;
  for (const [k, e] of entries) {
    if (held <= PARSE_CACHE_BYTES) break;
    entries.delete(k);
    held -= e.bytes;
  }
  return copyResult(result);
}

function copyResult(r: CachedParse): CachedParse {
  return r.ok ? { ok: true, value: copyValue(r.value) } : { ok: false, error: r.error };
}

/** A deep copy; objects keep their null prototype (a hostile `__proto__` key stays a plain key). */
function copyValue(v: Value): Value {
  if (Array.isArray(v)) return v.map(copyValue);
  if (typeof v !== "object" || v === null) return v;
  const o = newObj();
  for (const k of Object.keys(v)) o[k] = copyValue(v[k]!);
  return o;
}
