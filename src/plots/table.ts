/**
 * Rows of one plot data file, as DVC's `get_datapoints` sees them: a list of flat records that
 * share one key set. Two storages: JSON/YAML rows are kept as parsed objects, CSV/TSV rows as
 * string columns, so that a million-row log costs two arrays of strings instead of a million
 * objects (rows are only materialised for the points that reach the plot).
 */
export interface Table {
  /** The keys of the first row, in order (what DVC checks fields against). */
  readonly keys: readonly string[];
  readonly length: number;
  /** `undefined` when row `i` lacks `key`. */
  value(i: number, key: string): unknown;
  /** A fresh copy of row `i`. */
  row(i: number): Record<string, unknown>;
  /** Every row's value of `key` as a number (NaN where it is not one), for downsampling. */
  numbers(key: string): Float64Array;
}

/** A cell as Vega reads it for a quantitative channel: empty and missing are not numbers. */
export function toNumber(v: unknown): number {
  if (v === null || v === undefined || v === "") return NaN;
  return Number(v);
}

export class ObjectTable implements Table {
  readonly keys: readonly string[];
  constructor(private readonly rows: ReadonlyArray<Record<string, unknown>>) {
    this.keys = rows.length > 0 ? Object.keys(rows[0]!) : [];
  }
  get length(): number {
    return this.rows.length;
  }
  value(i: number, key: string): unknown {
    const r = this.rows[i];
    return r !== undefined && Object.hasOwn(r, key) ? r[key] : undefined;
  }
  row(i: number): Record<string, unknown> {
    return { ...this.rows[i] };
  }
  numbers(key: string): Float64Array {
    return Float64Array.from(this.rows, (r) => toNumber(Object.hasOwn(r, key) ? r[key] : undefined));
  }
}

/** Column-wise string cells; `null` is a missing cell (Python's DictReader `restval`). */
export class ColumnTable implements Table {
  private readonly index = new Map<string, number>();
  constructor(
    readonly keys: readonly string[],
    private readonly columns: ReadonlyArray<ReadonlyArray<string | null>>,
  ) {
    // A repeated header keeps its first position but the last column's value, as a dict does.
    keys.forEach((k, j) => this.index.set(k, j));
  }
  get length(): number {
    return this.columns[0]?.length ?? 0;
  }
  value(i: number, key: string): unknown {
    const j = this.index.get(key);
    return j === undefined ? undefined : this.columns[j]![i];
  }
  numbers(key: string): Float64Array {
    const j = this.index.get(key);
    const out = new Float64Array(this.length).fill(NaN);
    if (j !== undefined) this.columns[j]!.forEach((v, i) => (out[i] = toNumber(v)));
    return out;
  }
  row(i: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of this.keys) out[k] = this.value(i, k);
    return out;
  }
}

/**
 * An unquoted CSV/TSV kept as its text plus one offset pair per line: a million-row log costs the
 * text and 8 MB of offsets, not two million strings. Cells become strings only when read (the few
 * thousand points that reach the plot); numbers are parsed straight from the text.
 */
export class TextTable implements Table {
  private readonly index = new Map<string, number>();
  private readonly delimiterChar: string;
  constructor(
    readonly keys: readonly string[],
    private readonly text: string,
    private readonly starts: Int32Array,
    private readonly ends: Int32Array,
    private readonly delimiter: number,
  ) {
    keys.forEach((k, j) => this.index.set(k, j));
    this.delimiterChar = String.fromCharCode(delimiter);
  }
  get length(): number {
    return this.starts.length;
  }
  /** [from, to) of field j in line i, or undefined when the line is shorter (DictReader's restval). */
  private cell(i: number, j: number): [number, number] | undefined {
    let from = this.starts[i]!;
    const end = this.ends[i]!;
    for (let k = 0; k < j; k++) {
      const d = this.text.indexOf(this.delimiterChar, from);
      if (d === -1 || d >= end) return undefined;
      from = d + 1;
    }
    let to = this.text.indexOf(this.delimiterChar, from);
    if (to === -1 || to > end) to = end;
    return [from, to];
  }
  value(i: number, key: string): unknown {
    const j = this.index.get(key);
    if (j === undefined) return undefined;
    const c = this.cell(i, j);
    return c === undefined ? null : this.text.slice(c[0], c[1]);
  }
  /** The line split once (not a scan per field: a million-column header made that quadratic). */
  row(i: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const { keys, text, delimiterChar } = this;
    const end = this.ends[i]!;
    let from = this.starts[i]!;
    let j = 0;
    for (; j < keys.length && from <= end; j++) {
      let to = text.indexOf(delimiterChar, from);
      if (to === -1 || to > end) to = end;
      out[keys[j]!] = text.slice(from, to);
      from = to + 1;
    }
    for (; j < keys.length; j++) out[keys[j]!] = null;
    return out;
  }
  numbers(key: string): Float64Array {
    const out = new Float64Array(this.length).fill(NaN);
    const j = this.index.get(key);
    if (j === undefined) return out;
    const { text, delimiter } = this;
    for (let i = 0; i < out.length; i++) {
      let from = this.starts[i]!;
      const end = this.ends[i]!;
      let k = 0;
      for (; k < j && from <= end; from++) if (from === end || text.charCodeAt(from) === delimiter) k++;
      if (k < j || from > end) continue;
      let to = from;
      while (to < end && text.charCodeAt(to) !== delimiter) to++;
      out[i] = parseNumber(text, from, to);
    }
    return out;
  }
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Number(text.slice(from, to)) without the slice for plain decimals: with at most 15 digits the
 * digits are an exact integer and 10^k (k ≤ 22) an exact double, so one division is correctly
 * rounded, i.e. the same double Number() gives. Anything else takes Number() itself.
 */
export function parseNumber(text: string, from: number, to: number): number {
  let i = from;
  let sign = 1;
  const c0 = text.charCodeAt(i);
  if (c0 === 45) ((sign = -1), i++);
  else if (c0 === 43) i++;
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) frac = 0;
    else return toNumber(text.slice(from, to));
  }
  if (digits === 0 || digits > 15) return toNumber(text.slice(from, to));
  return sign * (frac > 0 ? m / POW10[frac]! : m);
}
