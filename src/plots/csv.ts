import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parse } from "csv-parse";
import { PlotError } from "./errors.js";
import { ColumnTable, TextTable, type Table } from "./table.js";

export interface DelimitedOptions {
  delimiter: "," | "\t";
  /** false: columns are named "0", "1", ... as DVC's `header: false` does. */
  header: boolean;
  maxRows: number;
}

const CHUNK = 64 * 1024;

function* chunks(data: Buffer): Generator<Buffer> {
  for (let o = 0; o < data.length; o += CHUNK) yield data.subarray(o, o + CHUNK);
}

/** Collects records into columns the way Python's csv.DictReader maps them onto the header. */
class Collector {
  keys: string[] | undefined;
  private columns: Array<Array<string | null>> = [];
  private rows = 0;
  constructor(private readonly opts: DelimitedOptions) {}

  add(fields: readonly string[]): void {
    if (this.keys === undefined) {
      this.keys = this.opts.header ? [...fields] : fields.map((_, j) => String(j));
      this.columns = this.keys.map(() => []);
      if (this.opts.header) return;
    }
    if (++this.rows > this.opts.maxRows) {
      throw new PlotError(`more than ${this.opts.maxRows.toLocaleString("en-US")} rows, over the limit`);
    }
    const cols = this.columns;
    for (let j = 0; j < cols.length; j++) cols[j]!.push(fields[j] ?? null);
  }

  table(): ColumnTable {
    return new ColumnTable(this.keys ?? [], this.columns);
  }
}

/**
 * Parse CSV/TSV into a table of strings (DVC keeps CSV values as strings). Files without a quote
 * character, which is what training loggers write, are indexed line by line in one pass and read
 * lazily (TextTable); anything quoted is streamed through csv-parse in chunks. Both stop at the row limit.
 */
export async function parseDelimited(data: Buffer, opts: DelimitedOptions): Promise<Table> {
  const body = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? data.subarray(3) : data;
  if (body.indexOf(0x22) === -1) return indexPlain(body.toString("utf8"), opts);
  const out = new Collector(opts);
  await parseQuoted(body, opts.delimiter, out);
  return out.table();
}

function indexPlain(text: string, opts: DelimitedOptions): TextTable {
  let starts: Int32Array = new Int32Array(1024);
  let ends: Int32Array = new Int32Array(1024);
  let rows = 0;
  let keys: string[] | undefined;
  for (let pos = 0; pos < text.length;) {
    let nl = text.indexOf("\n", pos);
    if (nl === -1) nl = text.length;
    const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    const headerLine = keys === undefined && opts.header;
    if (end > pos && keys === undefined) {
      const first = text.slice(pos, end).split(opts.delimiter);
      keys = opts.header ? first : first.map((_, j) => String(j));
    }
    if (end > pos && !headerLine) {
      if (rows >= opts.maxRows) throw new PlotError(`more than ${opts.maxRows.toLocaleString("en-US")} rows, over the limit`);
      if (rows === starts.length) {
        starts = grow(starts);
        ends = grow(ends);
      }
      starts[rows] = pos;
      ends[rows] = end;
      rows++;
    }
    pos = nl + 1;
  }
  return new TextTable(keys ?? [], text, starts.subarray(0, rows), ends.subarray(0, rows), opts.delimiter.charCodeAt(0));
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

async function parseQuoted(data: Buffer, delimiter: string, out: Collector): Promise<void> {
  const parser = parse({ delimiter, relax_column_count: true, skip_empty_lines: true, relax_quotes: true });
  try {
    await pipeline(Readable.from(chunks(data)), parser, async (records: AsyncIterable<string[]>) => {
      for await (const record of records) out.add(record);
    });
  } catch (e) {
    if (e instanceof PlotError) throw e;
    throw new PlotError(`invalid CSV: ${(e as Error).message.split("\n")[0]}`);
  }
}
