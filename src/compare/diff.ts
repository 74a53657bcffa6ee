import { parseJson } from "../formats/json.js";
import { isNumeric, isObj, type Value } from "../formats/value.js";
import { DEFAULT_LIMITS } from "../formats/limits.js";
import { flatten } from "./flatten.js";
import { pyEquals, subtract } from "../python/numbers.js";
import { sortCodepoint } from "./sort.js";

/** One changed (or, with --all, unchanged) key. `null` stands for a missing side, as DVC's None. */
export interface Entry {
  old: Value;
  new: Value;
  /** Only when both sides are numbers (booleans count). */
  diff?: bigint | number;
}

/** path → key → entry; paths and keys in codepoint order. */
export type Diff = Map<string, Map<string, Entry>>;

const UNABLE_TO_PARSE = "unable to parse";

/**
 * DVC's `dvc.utils.diff.diff` over the files of two revisions. A file absent from a side (undeclared,
 * missing or unreadable) is `undefined` there and counts as `{}`.
 */
export function diffFiles(oldFiles: ReadonlyMap<string, Value>, newFiles: ReadonlyMap<string, Value>, withUnchanged: boolean): Diff {
  const paths = sortCodepoint([...new Set([...oldFiles.keys(), ...newFiles.keys()])]);
  const out: Diff = new Map();
  for (const path of paths) {
    const d = diffValues(oldFiles.get(path), newFiles.get(path), withUnchanged);
    if (d.size > 0) out.set(path, d);
  }
  return out;
}

export function diffValues(oldRaw: Value | undefined, newRaw: Value | undefined, withUnchanged: boolean): Map<string, Entry> {
  const oldV = parseRaw(oldRaw);
  const newV = parseRaw(newRaw);
  if (isObj(oldV) || isObj(newV)) return diffDicts(oldV, newV, withUnchanged);
  const e = diffVals(oldV, newV, withUnchanged);
  return e ? new Map([["", e]]) : new Map();
}

/** DVC's `_parse`: a whole-file string value is tried as JSON ("3" becomes 3). */
function parseRaw(raw: Value | undefined): Value {
  if (raw === undefined) return null;
  if (typeof raw !== "string") return raw;
  try {
    return parseJson(raw, DEFAULT_LIMITS.maxDepth);
  } catch {
    return raw;
  }
}

function diffDicts(oldV: Value, newV: Value, withUnchanged: boolean): Map<string, Entry> {
  const oldFlat = flat(oldV);
  const newFlat = flat(newV);
  const keys = sortCodepoint([...new Set([...oldFlat.keys(), ...newFlat.keys()])]);
  const out = new Map<string, Entry>();
  for (const key of keys) {
    const e = diffVals(lookup(oldFlat, key), lookup(newFlat, key), withUnchanged);
    if (e) out.set(key, e);
  }
  return out;
}

interface Flat {
  values: Map<string, Value>;
  /** What a key missing from `values` reads as: None, or "unable to parse" for a scalar file. */
  fallback: Value;
  keys(): IterableIterator<string>;
}

/** DVC's `_flatten`: falsy → empty (None default); mapping → flattened; other scalar → "unable to parse". */
function flat(v: Value): Flat {
  const empty = v === null || v === false || v === "" || v === 0 || v === 0n || (Array.isArray(v) && v.length === 0);
  const values = isObj(v) ? flatten(v) : new Map<string, Value>();
  const fallback = empty || isObj(v) ? null : UNABLE_TO_PARSE;
  return { values, fallback, keys: () => values.keys() };
}

function lookup(f: Flat, key: string): Value {
  return f.values.has(key) ? f.values.get(key)! : f.fallback;
}

function diffVals(oldV: Value, newV: Value, withUnchanged: boolean): Entry | undefined {
  if (!withUnchanged && pyEquals(oldV, newV)) return undefined;
  const e: Entry = { old: oldV, new: newV };
  if (isNumeric(oldV) && isNumeric(newV)) e.diff = subtract(newV, oldV);
  return e;
}
