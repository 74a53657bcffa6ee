import { joinRepoPath } from "../revisions/paths.js";
import { isImagePath, plotDefinition } from "./plots.js";
import type { Config } from "./schema.js";
import type { Project, ProjectSettings } from "./types.js";

/** A Project from a validated .mlreview.yml; paths in it are relative to the repository root. */
export function fromConfig(c: Config, file: string): Project {
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : typeof v === "string" ? [v] : v).map((p) => joinRepoPath("", p));
  const params = new Map<string, string[] | null>();
  for (const entry of c.params ?? ["params.yaml"]) {
    if (typeof entry === "string") mergeParams(params, joinRepoPath("", entry), null);
    else for (const [f, keys] of Object.entries(entry)) mergeParams(params, joinRepoPath("", f), keys);
  }
  const project: Project = {
    source: file,
    metrics: c.metrics === undefined ? ["metrics.json", "metrics.yaml"] : list(c.metrics),
    params,
    optional: new Set([...(c.metrics === undefined ? ["metrics.json", "metrics.yaml"] : []), ...(c.params === undefined ? ["params.yaml"] : [])]),
    plots: [],
    images: list(c.images),
    settings: settingsOf(c),
  };
  for (const entry of c.plots ?? []) {
    const def =
      typeof entry === "string" ? plotDefinition(entry, undefined, undefined, "", file) : plotDefinition(entry.id ?? entry.file ?? entry.files?.[0] ?? "plot", entry, entry.files ?? (entry.file ? [entry.file] : undefined), "", file);
    if (def.files.length === 1 && isImagePath(def.files[0]!) && def.y.length === 0) project.images.push(def.files[0]!);
    else project.plots.push(def);
  }
  return project;
}

function settingsOf(c: Config): ProjectSettings {
  const s: ProjectSettings = { direction: c.direction ?? {}, thresholds: c.thresholds ?? [] };
  if (c.artifacts) s.artifacts = c.artifacts.workflow === undefined ? { name: c.artifacts.name } : { name: c.artifacts.name, workflow: c.artifacts.workflow };
  if (c.precision !== undefined) s.precision = c.precision;
  return s;
}

/** DVC's `_merge_params`: a file tracked whole anywhere is tracked whole; otherwise the union of keys. */
export function mergeParams(into: Map<string, string[] | null>, file: string, keys: string[] | null): void {
  const prev = into.get(file);
  if (prev === null) return;
  if (keys === null || keys.length === 0) into.set(file, null);
  else into.set(file, [...new Set([...(prev ?? []), ...keys])]);
}
