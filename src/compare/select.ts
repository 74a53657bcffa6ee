import { Budget, type StepBudget } from "../formats/budget.js";
import { compileGlob } from "../formats/glob.js";
import { isObj, newObj, type Obj, type Value } from "../formats/value.js";

/**
 * `dpath.search(config, key, separator=".")` merged over every tracked key, as DVC reads stage params:
 * the result keeps the nesting of the file; a segment may be a glob (`train.*`), `**` spans levels.
 */
export function selectKeys(config: Value, keys: readonly string[], steps?: StepBudget): Obj {
  const out = newObj();
  if (!isObj(config)) return out;
  for (const key of new Set(keys)) {
    // "**.**" is "**"; several "**" in a row would otherwise walk the tree once per way of splitting it.
    const segments = key.split(".").filter((s, i, all) => !(s === "**" && all[i - 1] === "**"));
    const budget: Search = { visits: new Budget({ visits: MAX_SEARCH_STEPS }), steps };
    try {
      search(config, segments, out, budget);
    } catch (e) {
      if (e === budget.visits) throw new SelectError(`key pattern '${key}' needs more than ${MAX_SEARCH_STEPS.toLocaleString("en-US")} steps to match`);
      throw e;
    }
  }
  return out;
}

/** Globs over a deep file can still multiply ("**.a.**.a.**"); past this many visits a pattern is refused. */
export const MAX_SEARCH_STEPS = 1_000_000;

export class SelectError extends Error {
  override readonly name = "SelectError";
}

/** Node visits for this key pattern; glob steps from the revision's budget (the segment globs are the repository's). */
interface Search {
  visits: Budget<"visits">;
  steps: StepBudget | undefined;
}

function search(node: Obj, segments: string[], out: Obj, budget: Search): void {
  if (!budget.visits.take("visits")) throw budget.visits;
  const [head, ...rest] = segments;
  if (head === undefined) return;
  if (head === "**") {
    search(node, rest, out, budget);
    for (const k of Object.keys(node)) {
      const child = node[k]!;
      if (isObj(child)) search(child, segments, subtree(out, k), budget);
    }
    prune(out);
    return;
  }
  const glob = compileGlob(head);
  for (const k of Object.keys(node)) {
    if (!glob.match(k, budget.steps)) continue;
    const child = node[k]!;
    if (rest.length === 0) out[k] = child;
    else if (isObj(child)) {
      search(child, rest, subtree(out, k), budget);
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
