import { joinRepoPath } from "../revisions/paths.js";
import type { PlotField, PlotDefinition } from "./types.js";
import { TEMPLATES, type PlotConfig } from "./schema.js";

export type PlotProps = Omit<PlotConfig, "id" | "file" | "files">;

const BUILTIN = new Set<string>(TEMPLATES);

/**
 * A plot as DVC's top-level `plots:` declares it: keyed by a data path, or by a free id when `y` names
 * its files ({file: field}). Paths are resolved against `baseDir` (the config file's directory).
 */
export function plotDefinition(id: string, props: PlotProps | null | undefined, files: string[] | undefined, baseDir: string, origin: string): PlotDefinition {
  const p = props ?? {};
  const resolve = (f: string) => joinRepoPath(baseDir, f);
  const y: PlotField[] = [];
  let dataFiles: string[];
  if (p.y && typeof p.y === "object" && !Array.isArray(p.y)) {
    dataFiles = [];
    for (const [file, fields] of Object.entries(p.y)) {
      const path = resolve(file);
      dataFiles.push(path);
      for (const field of typeof fields === "string" ? [fields] : fields) y.push({ file: path, field });
    }
  } else {
    dataFiles = (files ?? [id]).map(resolve);
    const fields = p.y === undefined ? [] : typeof p.y === "string" ? [p.y] : p.y;
    for (const file of dataFiles) for (const field of fields) y.push({ file, field });
  }
  let x: PlotField[] | undefined;
  if (typeof p.x === "string") {
    x = dataFiles.map((file) => ({ file, field: p.x as string }));
  } else if (p.x) {
    x = [];
    for (const [file, field] of Object.entries(p.x)) x.push({ file: resolve(file), field });
  }
  let template = p.template ?? "linear";
  if (!BUILTIN.has(template)) template = resolve(template);
  const def: PlotDefinition = { id, origin, files: dataFiles, y, x, template, header: p.header ?? true };
  if (p.title !== undefined) def.title = p.title;
  if (p.x_label !== undefined) def.xLabel = p.x_label;
  if (p.y_label !== undefined) def.yLabel = p.y_label;
  return def;
}

const IMAGE = /\.(png|jpe?g|gif|svg)$/;

/** DVC renders files with these (case-sensitive) extensions as images, not data. */
export function isImagePath(p: string): boolean {
  return IMAGE.test(p);
}
