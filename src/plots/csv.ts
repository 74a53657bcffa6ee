import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { StringDecoder } from "node:string_decoder";
import { parse } from "csv-parse";
import { PlotError } from "./errors.js";
import { ColumnTable } from "./table.js";

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

  /** A plain line, split straight into the columns: no array per row for million-row logs. */
  addLine(line: string, delimiter: string): void {
    if (this.keys === undefined || this.rows >= this.opts.maxRows) {
      this.add(line.split(delimiter));
      return;
    }
    this.rows++;
    const cols = this.columns;
    let start = 0;
    for (let j = 0; j < cols.length; j++) {
      if (start > line.length) {
        cols[j]!.push(null);
        continue;
      }
      let end = line.indexOf(delimiter, start);
      if (end === -1) end = line.length;
      cols[j]!.push(line.slice(start, end));
      start = end + 1;
    }
  }

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
 * Parse CSV/TSV into string columns (DVC keeps CSV values as strings). Files without a quote
 * character, which is what training loggers write, take a plain line splitter that is several
 * times faster than csv-parse; anything quoted goes through csv-parse. Both consume the
 * buffer in chunks and stop at the row limit without materialising the whole text.
 */
export async function parseDelimited(data: Buffer, opts: DelimitedOptions): Promise<ColumnTable> {
  const body = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? data.subarray(3) : data;
  const out = new Collector(opts);
  if (body.indexOf(0x22) === -1) splitPlain(body, opts.delimiter, out);
  else await parseQuoted(body, opts.delimiter, out);
  return out.table();
}

function splitPlain(data: Buffer, delimiter: string, out: Collector): void {
  const decoder = new StringDecoder("utf8");
  let carry = "";
  const lines = (text: string, final: boolean): void => {
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl === -1) break;
      emit(text.slice(start, nl));
      start = nl + 1;
    }
    carry = text.slice(start);
    if (final && carry !== "") emit(carry);
  };
  const emit = (line: string): void => {
    const l = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (l !== "") out.addLine(l, delimiter);
  };
  for (const chunk of chunks(data)) lines(carry + decoder.write(chunk), false);
  lines(carry + decoder.end(), true);
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
