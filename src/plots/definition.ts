/**
 * PlotDefinition (the project's normalised form) → the properties DVC's converter takes, so
 * that every definition goes through the one faithful conversion in datapoints.ts.
 */
import type { PlotDefinition } from "../project/types.js";
import type { DvcPlotProperties, SourceData } from "./datapoints.js";

/** The file DVC calls the plot id: where y is inferred from and a bare x or y field is read. */
export function plotFileOf(def: PlotDefinition): string {
  return def.files[0] ?? def.id;
}

export function propertiesOf(def: PlotDefinition, sources: ReadonlyMap<string, SourceData>): DvcPlotProperties {
  const props: DvcPlotProperties = {};
  if (def.xLabel !== undefined) props.x_label = def.xLabel;
  if (def.yLabel !== undefined) props.y_label = def.yLabel;

  // A file that only supplies x (DVC lists it among the plot's files) gets no inferred y.
  const xOnly = new Set((def.x ?? []).map((x) => x.file).filter((f) => !def.y.some((y) => y.file === f)));
  const yByFile = new Map<string, string[]>();
  for (const file of def.files) if (!xOnly.has(file)) yByFile.set(file, []);
  for (const { file, field } of def.y) {
    if (!yByFile.has(file)) yByFile.set(file, []);
    yByFile.get(file)!.push(field);
  }
  const declared = [...yByFile.values()].some((f) => f.length > 0);
  if (declared || yByFile.size > 1) {
    // A file without fields gets DVC's default, the last key of its first row.
    const y: Record<string, string | string[]> = {};
    for (const [file, fields] of yByFile) {
      const chosen = fields.length > 0 ? fields : [sources.get(file)?.inferredY].filter((f): f is string => f !== undefined);
      if (chosen.length > 0) y[file] = chosen.length === 1 ? chosen[0]! : chosen;
    }
    props.y = y;
  }

  const xs = def.x ?? [];
  if (xs.length === 0) return props;
  const yFiles = props.y === undefined ? [plotFileOf(def)] : Object.keys(props.y);
  const field = xs[0]!.field;
  const xFromEachYFile = yFiles.every((f) => xs.some((x) => x.file === f && x.field === field)) && xs.every((x) => x.field === field);
  if (xFromEachYFile) {
    // DVC's string form: the same field, read from each y file.
    props.x = field;
  } else if (xs.length === 1) {
    // DVC's {file: field} form: that column joined to every y series by row index.
    props.x = { [xs[0]!.file]: field };
  } else {
    // One x per y file, in y order; DVC pairs the n-th x with the n-th y.
    const x: Record<string, string[]> = {};
    yFiles.forEach((file, i) => {
      const own = xs.find((e) => e.file === file) ?? xs[i] ?? xs[0]!;
      const n = typeof props.y === "object" && !Array.isArray(props.y) ? [props.y[file] ?? []].flat().length : 1;
      (x[own.file] ??= []).push(...Array<string>(n).fill(own.field));
    });
    props.x = x;
  }
  return props;
}
