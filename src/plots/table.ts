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
  /** Every row's value of `key`, for bulk reads such as downsampling. */
  column(key: string): ArrayLike<unknown>;
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
  column(key: string): unknown[] {
    return this.rows.map((r) => (Object.hasOwn(r, key) ? r[key] : undefined));
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
  column(key: string): ArrayLike<unknown> {
    const j = this.index.get(key);
    return j === undefined ? new Array<undefined>(this.length) : this.columns[j]!;
  }
  row(i: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of this.keys) out[k] = this.value(i, k);
    return out;
  }
}
