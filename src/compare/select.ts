import picomatch from "picomatch";
import { isObj, newObj, type Obj, type Value } from "../formats/value.js";

/**
 * `dpath.search(config, key, separator=".")` merged over every tracked key, as DVC reads stage params:
 * the result keeps the nesting of the file; a segment may be a glob (`train.*`), `**` spans levels.
 */
export function selectKeys(config: Value, keys: readonly string[]): Obj {
  const out = newObj();
  if (!isObj(config)) return out;
  for (const key of new Set(keys)) search(config, key.split("."), out);
  return out;
}

function search(node: Obj, segments: string[], out: Obj): void {
  const [head, ...rest] = segments;
  if (head === undefined) return;
  if (head === "**") {
    search(node, rest, out);
    for (const k of Object.keys(node)) {
      const child = node[k]!;
      if (isObj(child)) search(child, segments, subtree(out, k));
    }
    prune(out);
    return;
  }
  const match = picomatch.scan(head).isGlob ? picomatch(head, { dot: true }) : (k: string) => k === head;
  for (const k of Object.keys(node)) {
    if (!match(k)) continue;
    const child = node[k]!;
    if (rest.length === 0) out[k] = child;
    else if (isObj(child)) {
      search(child, rest, subtree(out, k));
      if (Object.keys(out[k] as Obj).length === 0) delete out[k];
    }
  }
}

function subtree(out: Obj, k: string): Obj {
  if (!isObj(out[k])) out[k] = newObj();
  return out[k] as Obj;
}

function prune(o: Obj): void {
  for (const k of Object.keys(o)) if (isObj(o[k]) && Object.keys(o[k] as Obj).length === 0) delete o[k];
}
