/** Reading and parsing the data files of a plot at one revision, by extension as DVC does. */
import { parseStructured } from "../formats/index.js";
import { toPlain, type Value } from "../formats/value.js";
import type { FileTree } from "../revisions/types.js";
import { parseDelimited } from "./csv.js";
import { sourceFromContent, sourceFromTable, type SourceData } from "./datapoints.js";
import { PlotError } from "./errors.js";

/** Rows per CSV/TSV file; the file size limit of the tree comes first for normal rows. */
export const MAX_CSV_ROWS = 5_000_000;

const extension = (path: string): string => {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot <= 0 ? "" : base.slice(dot).toLowerCase();
};

export { isImagePath } from "../project/plots.js";

/** One data file's datapoints. Throws PlotError with a line that does not repeat the path. */
export async function parsePlotData(path: string, data: Buffer, header = true): Promise<SourceData> {
  const ext = extension(path);
  if (ext === ".csv" || ext === ".tsv") {
    return sourceFromTable(await parseDelimited(data, { delimiter: ext === ".csv" ? "," : "\t", header, maxRows: MAX_CSV_ROWS }));
  }
  if (ext === ".json" || ext === ".yaml" || ext === ".yml" || ext === ".toml") {
    const parsed = parseStructured(path, data);
    if (!parsed.ok) throw new PlotError(parsed.error);
    return sourceFromContent(toPlain(parsed.value as Value));
  }
  throw new PlotError("file type error: only JSON, YAML, CSV and TSV formats are supported");
}

export interface RevisionSources {
  sources: Map<string, SourceData>;
  /** "path: problem" for files that exist but cannot be used; missing files are not a problem. */
  errors: string[];
}

export async function readSources(tree: FileTree, files: readonly string[], header: boolean): Promise<RevisionSources> {
  const read = await tree.read(files);
  const sources = new Map<string, SourceData>();
  const errors: string[] = [];
  for (const path of files) {
    const r = read.get(path);
    if (r === undefined || (!r.ok && r.error.code === "missing")) continue;
    if (!r.ok) {
      errors.push(`${path}: ${r.error.message}`);
      continue;
    }
    try {
      sources.set(path, await parsePlotData(path, r.data, header));
    } catch (e) {
      if (!(e instanceof PlotError)) throw e;
      errors.push(`${path}: ${e.message}`);
    }
  }
  return { sources, errors };
}
