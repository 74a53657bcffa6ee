/**
 * DVC's conversion of plot data into datapoints (dvc/render/converter/vega.py), kept
 * behaviour-for-behaviour: the synthetic `step`, the inferred y, `dvc_inferred_*_value`, x joined
 * from another file by row index, the common path prefix stripped from file names, and DVC's
 * error texts. Rows stay in their tables; `pointAt` materialises one datapoint on demand.
 */
import { FieldNotFoundError, PlotError } from "./errors.js";
import { ObjectTable, type Table } from "./table.js";

export const INDEX = "step";
export const REVISION = "rev";
export const FILENAME = "filename";
export const FIELD = "field";
export const INFERRED_X = "dvc_inferred_x_value";
export const INFERRED_Y = "dvc_inferred_y_value";

type Fields = string | string[];
/** A plot's properties as DVC's converter receives them. */
export interface DvcPlotProperties {
  x?: string | Record<string, Fields>;
  y?: Fields | Record<string, Fields>;
  x_label?: string;
  y_label?: string;
}

/** One parsed data file: its datapoints, and DVC's y default (last key of the first row). */
export interface SourceData {
  table: Table;
  inferredY: string | undefined;
}

export interface Series {
  yFile: string;
  /** The y file with the common prefix of all y files removed (DVC's `filename`). */
  filename: string;
  yField: string;
  y: Table;
  /** undefined: x is the row index. */
  x: { table: Table; field: string } | undefined;
}

export interface Conversion {
  series: Series[];
  /** Field names that the template's X / Y anchors get. */
  x: string;
  y: string | undefined;
  x_label: string;
  y_label: string | undefined;
  anchors_y_definitions: Array<{ filename: string; field: string }>;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);

function* lists(blob: unknown): Generator<unknown[]> {
  if (Array.isArray(blob)) {
    yield blob;
    return;
  }
  if (!isRec(blob)) return;
  for (const value of Object.values(blob)) {
    if (isRec(value)) yield* lists(value);
    else if (Array.isArray(value)) yield value;
  }
}

/** DVC's `_is_datapoints`: every item a record, all with the first item's key set. */
function isDatapoints(lst: unknown[]): lst is Rec[] {
  if (lst.length === 0 || !lst.every(isRec)) return false;
  const first = new Set(Object.keys(lst[0] as Rec));
  const all = new Set<string>();
  for (const item of lst as Rec[]) for (const k of Object.keys(item)) all.add(k);
  return all.size === first.size && [...all].every((k) => first.has(k));
}

/** JSON/YAML content (plain JS values) → datapoints: every list of like records, merged by index. */
export function sourceFromContent(content: unknown): SourceData {
  const result: Rec[] = [];
  for (const lst of lists(content)) {
    if (!isDatapoints(lst)) continue;
    lst.forEach((dp, i) => {
      result[i] ??= {};
      Object.assign(result[i]!, dp);
    });
  }
  let inferredY: string | undefined;
  for (const lst of lists(content)) {
    if (lst.length > 0 && lst.every(isRec)) {
      inferredY = Object.keys(lst[0] as Rec).at(-1);
      break;
    }
  }
  return { table: new ObjectTable(result), inferredY };
}

/** CSV/TSV rows are already datapoints; the inferred y is the last column. */
export function sourceFromTable(table: Table): SourceData {
  return { table, inferredY: table.length > 0 ? table.keys.at(-1) : undefined };
}

function* fileFields(axis: Record<string, Fields> | undefined): Generator<[string, string]> {
  if (axis === undefined) return;
  for (const [file, val] of Object.entries(axis)) {
    if (typeof val === "string") yield [file, val];
    else if (Array.isArray(val)) for (const f of val) yield [file, f];
  }
}

function verified(files: ReadonlyMap<string, SourceData>, pairs: Iterable<[string, string]>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [file, field] of pairs) {
    const src = files.get(file);
    if (src !== undefined && src.table.length > 0 && !src.table.keys.includes(field)) {
      throw new FieldNotFoundError(field, src.table.keys);
    }
    out.push([file, field]);
  }
  return out;
}

/** Python's os.path.commonpath on POSIX paths, as a length. */
function commonPathLength(paths: string[]): number {
  const split = paths.map((p) => p.split("/"));
  const first = split[0]!;
  let n = 0;
  while (n < first.length && split.every((s) => s[n] === first[n])) n++;
  return first.slice(0, n).join("/").length;
}

const stripSlashes = (s: string): string => s.replace(/^[/\\]+|[/\\]+$/g, "");

function labelOf(pairs: Array<[string, string]>, fallback: string): string {
  const fields = new Set(pairs.map(([, f]) => f));
  return fields.size === 1 ? [...fields][0]! : fallback;
}

/** VegaConverter.convert + the series part of flat_datapoints. Throws PlotError with DVC's texts. */
export function convert(plotId: string, files: ReadonlyMap<string, SourceData>, props: DvcPlotProperties): Conversion {
  let x: Record<string, Fields> | undefined = typeof props.x === "object" ? props.x : undefined;
  let y: Record<string, Fields> | undefined;
  if (props.y === undefined) {
    const inferred = files.get(plotId)?.inferredY;
    y = inferred === undefined ? undefined : { [plotId]: inferred };
  } else if (typeof props.y === "string" || Array.isArray(props.y)) {
    y = { [plotId]: props.y };
  } else {
    y = props.y;
  }
  if (typeof props.x === "string") {
    const field = props.x;
    x = {};
    if (props.y !== undefined && typeof props.y === "object" && !Array.isArray(props.y)) {
      for (const [file, fields] of Object.entries(props.y)) x[file] = Array.isArray(fields) ? fields.map(() => field) : field;
    } else {
      x[plotId] = field;
    }
  }

  const yLabel = props.y_label ?? (y === undefined ? undefined : labelOf([...fileFields(y)], "y"));
  const xLabel = props.x_label ?? (x === undefined ? INDEX : labelOf([...fileFields(x)], "x"));

  const xs = verified(files, fileFields(x));
  const ys = verified(files, fileFields(y));
  const multipleX = xs.length > 1 && new Set(xs.map(([, f]) => f)).size > 1;
  if (xs.length > 1 && xs.length !== ys.length) {
    throw new PlotError(`Cannot have different number of x and y data sources. Found ${xs.length} x and ${ys.length} y data sources.`);
  }
  const yFields = new Set(ys.map(([, f]) => f));
  const yFiles = [...new Set(ys.map(([f]) => f))];
  const prefix = yFiles.length > 1 ? commonPathLength(yFiles) : 0;
  const short = (file: string): string => stripSlashes(file.slice(prefix));

  const empty = new ObjectTable([]);
  const series: Series[] = [];
  ys.forEach(([yFile, yField], i) => {
    const [xFile, xField] = xs.length > 1 ? xs[i]! : (xs[0] ?? [undefined, INDEX]);
    const yTable = files.get(yFile)?.table ?? empty;
    let xRef: Series["x"];
    if (xFile !== undefined) {
      const xTable = files.get(xFile)?.table ?? empty;
      if (xTable.length !== yTable.length) {
        throw new PlotError(`Cannot join '${xField}' from '${xFile}' and '${yField}' from '${yFile}'. They have to have same length.`);
      }
      xRef = { table: xTable, field: xField };
    }
    series.push({ yFile, filename: short(yFile), yField, y: yTable, x: xRef });
  });

  return {
    series,
    x: multipleX ? INFERRED_X : (xs[0]?.[1] ?? INDEX),
    y: yFields.size > 1 ? INFERRED_Y : [...yFields][0],
    x_label: xLabel,
    y_label: yLabel,
    anchors_y_definitions: ys.map(([file, field]) => ({ filename: short(file), field })),
  };
}

/** Datapoint `i` of a series, exactly as DVC's flat_datapoints builds it. */
export function pointAt(conv: Conversion, s: Series, i: number, revision: string): Rec {
  const dp = s.y.row(i);
  if (conv.y === INFERRED_Y) {
    const v = s.y.value(i, s.yField);
    if (v !== undefined) dp[INFERRED_Y] = v;
  }
  if (s.x === undefined) {
    dp[INDEX] = i;
  } else {
    const v = s.x.table.value(i, s.x.field);
    if (v !== undefined) dp[conv.x === INFERRED_X ? INFERRED_X : s.x.field] = v;
  }
  dp[REVISION] = revision;
  dp[FILENAME] = s.filename;
  dp[FIELD] = s.yField;
  return dp;
}

/** All datapoints of one revision, in DVC's order (series by series). */
export function flatDatapoints(conv: Conversion, revision: string): Rec[] {
  const out: Rec[] = [];
  for (const s of conv.series) for (let i = 0; i < s.y.length; i++) out.push(pointAt(conv, s, i, revision));
  return out;
}
