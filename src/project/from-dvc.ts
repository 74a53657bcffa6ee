import { joinRepoPath } from "../revisions/paths.js";
import { mergeParams } from "./from-config.js";
import { isImagePath, plotDefinition, type PlotProps } from "./plots.js";
import type { DvcYaml } from "./schema.js";
import type { PlotDefinition, Project } from "./types.js";

export interface DvcFile {
  path: string;
  dir: string;
  yaml: DvcYaml;
}

const PARAMS_YAML = "params.yaml";

/**
 * What DVC collects from every dvc.yaml (dvc/repo/metrics/show.py, params/show.py, plots):
 * stage outs under metrics:/plots: (relative to the stage's wdir), stage params (bare keys live in the
 * wdir's params.yaml), top-level metrics:/params:/plots: (relative to the dvc.yaml), and the root
 * params.yaml, always whole.
 */
export function fromDvcYamls(files: DvcFile[]): Project {
  const metrics: string[] = [];
  const params = new Map<string, string[] | null>();
  const plots: PlotDefinition[] = [];
  const images: string[] = [];
  const addPlot = (def: PlotDefinition) => {
    if (def.files.length === 1 && isImagePath(def.files[0]!) && def.y.length === 0) images.push(def.files[0]!);
    else plots.push(def);
  };

  for (const { path, dir, yaml } of files) {
    for (const [, stage] of Object.entries(yaml.stages ?? {})) {
      const wdir = joinRepoPath(dir, stage.wdir ?? ".");
      for (const p of stage.params ?? []) {
        if (typeof p === "string") mergeParams(params, joinRepoPath(wdir, PARAMS_YAML), [p]);
        else for (const [file, keys] of Object.entries(p)) mergeParams(params, joinRepoPath(wdir, file), keys);
      }
      for (const out of stage.metrics ?? []) metrics.push(...outPaths(out).map(([p]) => joinRepoPath(wdir, p)));
      for (const out of stage.plots ?? []) {
        for (const [p, props] of outPaths(out)) {
          const file = joinRepoPath(wdir, p);
          addPlot(plotDefinition(file, plotProps(props), [file], "", path));
        }
      }
    }
    for (const m of yaml.metrics ?? []) metrics.push(joinRepoPath(dir, m));
    for (const p of yaml.params ?? []) mergeParams(params, joinRepoPath(dir, p), null);
    for (const entry of yaml.plots ?? []) {
      if (typeof entry === "string") {
        const file = joinRepoPath(dir, entry);
        addPlot(plotDefinition(file, undefined, [file], "", path));
        continue;
      }
      for (const [id, props] of Object.entries(entry)) {
        const named = props?.y !== undefined && typeof props.y === "object" && !Array.isArray(props.y);
        addPlot(named ? plotDefinition(id, props, undefined, dir, path) : plotDefinition(joinRepoPath(dir, id), props, [id], dir, path));
      }
    }
  }
  mergeParams(params, PARAMS_YAML, null);
  return {
    source: files.map((f) => f.path).join(", "),
    metrics: [...new Set(metrics)],
    params,
    optional: new Set([PARAMS_YAML]),
    plots: disambiguate(plots),
    images: [...new Set(images)],
    settings: { direction: {}, thresholds: [] },
  };
}

/** An out is "path" or {path: {cache: false, ...}}. */
function outPaths(out: string | Record<string, Record<string, unknown> | null>): [string, Record<string, unknown> | null][] {
  return typeof out === "string" ? [[out, null]] : Object.entries(out);
}

function plotProps(props: Record<string, unknown> | null): PlotProps | undefined {
  if (!props) return undefined;
  const keep = ["x", "y", "template", "title", "x_label", "y_label", "header"] as const;
  const out: Record<string, unknown> = {};
  for (const k of keep) if (props[k] !== undefined) out[k] = props[k];
  return out as PlotProps;
}

/** The same plot id declared in several dvc.yaml files becomes "<dvc.yaml path>::<id>", as in DVC. */
function disambiguate(plots: PlotDefinition[]): PlotDefinition[] {
  const origins = new Map<string, Set<string>>();
  for (const p of plots) origins.set(p.id, (origins.get(p.id) ?? new Set()).add(p.origin));
  return plots.map((p) => ((origins.get(p.id)?.size ?? 0) > 1 ? { ...p, id: `${p.origin}::${p.id}` } : p));
}
