import { parseStructured, type Limits } from "../formats/index.js";
import { DEFAULT_LIMITS } from "../formats/limits.js";
import { isObj, type Value } from "../formats/value.js";
import { discoverProject, type DiscoverOptions, type Discovered } from "../project/discover.js";
import { budgetOf } from "../revisions/budget.js";
import type { FileErrorCode, FileTree } from "../revisions/types.js";
import { extractMetrics, formatParams } from "./extract.js";
import { DuplicateKeyError, flatten } from "./flatten.js";
import { SelectError, selectKeys } from "./select.js";

/** A problem met while reading one revision: the whole revision (no path) or one file. */
export interface RevisionProblem {
  rev: string;
  path?: string;
  message: string;
  /** Why the file was not read, when it was not ("missing" is a file a side simply lacks). */
  code?: FileErrorCode;
}

/** The metrics or params of one revision: path → value, for the files that could be read. */
export interface Collected {
  rev: string;
  files: Map<string, Value>;
  problems: RevisionProblem[];
  /** Set when the revision's project could not be read at all. */
  failed: boolean;
}

export type Kind = "metrics" | "params";

export interface CollectOptions extends DiscoverOptions {
  /** Read these files instead of the declared ones (DVC's --targets), whole. */
  targets?: readonly string[];
  limits?: Limits;
}

export async function collect(kind: Kind, tree: FileTree, opts: CollectOptions = {}, project?: Discovered): Promise<Collected> {
  const out: Collected = { rev: tree.label, files: new Map(), problems: [], failed: false };
  const limits = opts.limits ?? DEFAULT_LIMITS;
  let wanted: Map<string, string[] | null>;
  let optional = new Set<string>();
  if (opts.targets?.length) {
    wanted = new Map(opts.targets.map((t) => [t, null]));
  } else {
    const p = project ?? (await discoverProject(tree, opts));
    if ("error" in p) {
      out.problems.push({ rev: tree.label, message: p.error });
      out.failed = true;
      return out;
    }
    wanted = kind === "metrics" ? new Map(p.metrics.map((m) => [m, null])) : p.params;
    optional = p.optional;
  }
  const contents = await tree.read([...wanted.keys()]);
  for (const [path, keys] of wanted) {
    const r = contents.get(path)!;
    if (!r.ok) {
      if (r.error.code === "missing" && optional.has(path)) continue;
      // One line for the revision says the budget ran out; a line per file left unread would bury the report.
      if (r.error.code === "over-budget") continue;
      out.problems.push({ rev: tree.label, path, message: r.error.message, code: r.error.code });
      continue;
    }
    const parsed = parseStructured(path, r.data, limits);
    if (!parsed.ok) {
      out.problems.push({ rev: tree.label, path, message: parsed.error });
      continue;
    }
    let value: Value;
    try {
      value = kind === "metrics" ? extractMetrics(parsed.value) : formatParams(keys ? selectKeys(parsed.value, keys, budgetOf(tree)) : parsed.value);
      if (isObj(value)) flatten(value);
    } catch (e) {
      if (!(e instanceof DuplicateKeyError) && !(e instanceof SelectError)) throw e;
      out.problems.push({ rev: tree.label, path, message: e.message });
      continue;
    }
    out.files.set(path, value);
  }
  return out;
}
