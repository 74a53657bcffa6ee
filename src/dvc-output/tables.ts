import type { Diff } from "../compare/diff.js";
import { flatten } from "../compare/flatten.js";
import { pyRound, pyStr } from "../python/format.js";
import { byCodepoint } from "../compare/sort.js";
import { isObj, type Value } from "../formats/value.js";
import { renderTable } from "./tabulate.js";

const FILL = "-";

export interface DiffTableOptions {
  title: "Metric" | "Param";
  aRev: string;
  bRev: string;
  markdown: boolean;
  noPath?: boolean;
  /** Rounds floats with Python's round(x, precision); undefined leaves values as Python's str(). */
  precision?: number;
  showChanges: boolean;
}

/** DVC's `diff_table` + `show_diff`: rows sorted by key within each path, None shown as "-". */
export function diffTable(diff: Diff, o: DiffTableOptions): string {
  const headers = ["Path", o.title, o.aRev, o.bRev, "Change"];
  const rows: string[][] = [];
  for (const [path, entries] of diff) {
    for (const [key, e] of [...entries].sort(([a], [b]) => byCodepoint(a, b))) {
      rows.push([path, key, cell(e.old, o.precision), cell(e.new, o.precision), cell(e.diff ?? null, o.precision)]);
    }
  }
  const keep = headers.map((h, i) => !(i === 0 && o.noPath) && !(i === 4 && !o.showChanges));
  const pick = <T>(r: readonly T[]) => r.filter((_, i) => keep[i]);
  return renderTable(pick(headers), rows.map(pick), o.markdown);
}

/** One revision's metrics as `dvc metrics show` tabulates them. A failed revision produces no row. */
export interface ShownRevision {
  rev: string;
  /** path → extracted metrics; undefined for a file that could not be read (shown as a row of "-"). */
  files: Map<string, Value | undefined>;
  failed: boolean;
}

/** DVC's `metrics_table`: one row per (revision, file), columns the sorted union of flattened keys. */
export function metricsShowTable(revs: ShownRevision[], o: { markdown: boolean; showRevision: boolean; precision?: number }): string {
  const rows: { rev: string; path: string; cells: Map<string, string> }[] = [];
  const columns = new Set<string>();
  for (const r of revs) {
    if (r.failed) continue;
    for (const [path, value] of r.files) {
      const cells = new Map<string, string>();
      if (value !== undefined) {
        for (const [k, v] of isObj(value) ? flatten(value) : new Map([["", value]])) {
          cells.set(k, cell(v, o.precision));
          columns.add(k);
        }
      }
      rows.push({ rev: r.rev, path, cells });
    }
  }
  const metricCols = [...columns].sort(byCodepoint);
  const headers = [...(o.showRevision ? ["Revision"] : []), "Path", ...metricCols];
  const table = rows.map((row) => [...(o.showRevision ? [row.rev] : []), row.path, ...metricCols.map((c) => row.cells.get(c) ?? FILL)]);
  return renderTable(headers, table, o.markdown);
}

/** DVC's `_format_field`: floats rounded when a precision is given, then Python str(). */
function cell(v: Value, precision: number | undefined): string {
  if (v === null) return FILL;
  return pyStr(precision ? roundFloats(v, precision) : v);
}

function roundFloats(v: Value, precision: number): Value {
  if (typeof v === "number") return pyRound(v, precision);
  if (Array.isArray(v)) return v.map((x) => roundFloats(x, precision));
  return v;
}
