import ignore from "ignore";
import { Budget } from "../formats/budget.js";
import { compileGlob } from "../formats/glob.js";
import { parseStructured } from "../formats/index.js";
import { DEFAULT_LIMITS, type Limits } from "../formats/limits.js";
import { toPlain } from "../formats/value.js";
import { budgetOf, type RevisionBudget } from "../revisions/budget.js";
import type { FileTree } from "../revisions/types.js";
import { fromConfig } from "./from-config.js";
import { fromDvcYamls, type DvcFile } from "./from-dvc.js";
import { expandTemplates, StageBudgetError, TemplateError } from "./dvc-templating.js";
import { isImagePath } from "./plots.js";
import { configSchema, describeIssues, dvcYamlSchema } from "./schema.js";
import type { PlotDefinition, Project } from "./types.js";

export const CONFIG_FILES = [".mlreview.yml", ".github/mlreview.yml"] as const;

export interface DiscoverOptions {
  /** Where the repository config may live, first found wins (GitLab adds .gitlab/mlreview.yml). */
  configFiles?: readonly string[];
  limits?: Limits;
}

export type Discovered = Project | { error: string };

/**
 * What to compare at one revision: `.mlreview.yml` (or `.github/mlreview.yml`), else every dvc.yaml,
 * else metrics.json/metrics.yaml/params.yaml at the root. A broken config is an error for the revision.
 */
export async function discoverProject(tree: FileTree, opts: DiscoverOptions = {}): Promise<Discovered> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const configFiles = opts.configFiles ?? CONFIG_FILES;
  const found = await tree.read(configFiles);
  for (const file of configFiles) {
    const r = found.get(file)!;
    if (!r.ok) {
      if (r.error.code === "missing") continue;
      return { error: `${file}: ${r.error.message}` };
    }
    const parsed = parseStructured(file, r.data, limits);
    if (!parsed.ok) return { error: `${file}: ${parsed.error}` };
    const raw = parsed.value === null ? {} : toPlain(parsed.value);
    const checked = configSchema.safeParse(raw);
    if (!checked.success) return { error: `${file}: ${describeIssues(checked.error.issues)}` };
    return expand(tree, fromConfig(checked.data, file), true);
  }

  const dvcFiles = await findDvcYamls(tree);
  if (dvcFiles.length > 0) {
    const contents = await tree.read(dvcFiles);
    const parsedFiles: DvcFile[] = [];
    // Counted per discovery (a tree may be discovered twice, e.g. under a CI artifact), reported by the tree's budget.
    const stages = new Budget({ stages: budgetOf(tree).limits.stages });
    const stageBudget = () => stages.take("stages") || (budgetOf(tree).take("stages", Infinity), false);
    for (const file of dvcFiles) {
      const r = contents.get(file)!;
      // Past the revision's budget the pipeline is what the files read so far declare; the budget's line says so.
      if (!r.ok && r.error.code === "over-budget") break;
      if (!r.ok) return { error: `${file}: ${r.error.message}` };
      const parsed = parseStructured(file, r.data, limits);
      if (!parsed.ok) return { error: `${file}: ${parsed.error}` };
      const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";
      let expanded: unknown;
      try {
        expanded = await expandTemplates(parsed.value === null ? {} : parsed.value, dir, (p) => loadVars(tree, p, limits), stageBudget);
      } catch (e) {
        if (e instanceof StageBudgetError) break;
        if (e instanceof TemplateError) return { error: `${file}: ${e.message}` };
        throw e;
      }
      const checked = dvcYamlSchema.safeParse(expanded);
      if (!checked.success) return { error: `${file}: ${describeIssues(checked.error.issues)}` };
      parsedFiles.push({ path: file, dir, yaml: checked.data });
    }
    // DVC reads declared paths literally: `b/['x', 'y'].json` (a templated list) is a file name, not a glob.
    return expand(tree, fromDvcYamls(parsedFiles), false);
  }

  return {
    source: "defaults",
    metrics: ["metrics.json", "metrics.yaml"],
    params: new Map([["params.yaml", null]]),
    optional: new Set(["metrics.json", "metrics.yaml", "params.yaml"]),
    plots: [],
    images: [],
    settings: { direction: {}, thresholds: [] },
  };
}

/**
 * A params/vars file as interpolation context; a broken one is an error for the dvc.yaml using it (also the
 * DVC layer's wdir lookup). Parsed values, not plain: ints stay bigint so `${lr}` of `1.0` is "1.0", as in DVC.
 */
export async function loadVars(tree: FileTree, path: string, limits: Limits): Promise<Record<string, unknown> | undefined> {
  const r = (await tree.read([path])).get(path)!;
  if (!r.ok) return undefined;
  const parsed = parseStructured(path, r.data, limits);
  if (!parsed.ok) throw new TemplateError(`${path}: ${parsed.error}`);
  const v = parsed.value;
  // An empty file is an empty mapping (DVC's parse_yaml: `yaml.load(text) or {}`).
  if (v === null) return {};
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new TemplateError(`${path}: expected a dictionary, got '${Array.isArray(v) ? "list" : v === null ? "NoneType" : typeof v === "string" ? "str" : typeof v === "boolean" ? "bool" : typeof v === "bigint" ? "int" : "float"}'`);
  return v as Record<string, unknown>;
}

/** Every dvc.yaml in the tree, as DVC's index finds them, minus what the root .dvcignore excludes. */
async function findDvcYamls(tree: FileTree): Promise<string[]> {
  const [all, dvcignore] = await Promise.all([tree.list(""), tree.read([".dvcignore"])]);
  const candidates = all.filter((p) => p === "dvc.yaml" || p.endsWith("/dvc.yaml"));
  const ig = dvcignore.get(".dvcignore");
  if (!ig?.ok) return candidates;
  const rules = ignore().add(ig.data.toString("utf8"));
  return candidates.filter((p) => !rules.ignores(p));
}

/**
 * Globs become the files they match; metrics directories become their files; plot directories one plot
 * per file. Plots and images past the revision's budget are dropped (its line says so).
 */
async function expand(tree: FileTree, p: Project | { error: string }, globs: boolean): Promise<Discovered> {
  if ("error" in p) return p;
  const budget = budgetOf(tree);
  const metrics = (await Promise.all(p.metrics.map((m) => expandPath(tree, m, budget, globs)))).flat();
  const images = (await Promise.all(p.images.map((m) => expandPath(tree, m, budget, globs)))).flat();
  const plots: PlotDefinition[] = [];
  for (const def of p.plots) {
    for (const item of await expandPlotDir(tree, def)) {
      if (typeof item === "string") images.push(item);
      else plots.push(item);
    }
  }
  return { ...p, metrics: [...new Set(metrics)], images: capped([...new Set(images)], budget, "images"), plots: capped(plots, budget, "plots") };
}

/**
 * A plot declared on a directory (DVCLive's `dvclive/plots/metrics: {x: step}`, a stage plot out that is
 * a folder) is one plot per file below it, as DVC does: each keeps the props and is named by its path;
 * an image among them is an image. Listed through the tree, so a DVC-cached directory out expands too.
 */
async function expandPlotDir(tree: FileTree, def: PlotDefinition): Promise<(PlotDefinition | string)[]> {
  if (def.files.length !== 1) return [def];
  const dir = def.files[0]!;
  const below = await tree.list(dir);
  if (below.length === 0) return [def];
  return below.map((file) => {
    if (isImagePath(file) && def.y.length === 0) return file;
    const id = `${def.id}${file.slice(dir.length)}`;
    const at = <T extends { file: string }>(f: T): T => (f.file === dir ? { ...f, file } : f);
    return { ...def, id, files: [file], y: def.y.map(at), x: def.x?.map(at) };
  });
}

function capped<T>(items: T[], budget: RevisionBudget, kind: "plots" | "images"): T[] {
  const limit = budget.limits[kind];
  if (items.length <= limit) return items;
  budget.take(kind, Infinity);
  return items.slice(0, limit);
}

/** Matched without regular expressions (formats/glob.ts), each step paid from the revision's budget. */
async function expandPath(tree: FileTree, path: string, budget: RevisionBudget, globs: boolean): Promise<string[]> {
  const glob = globs ? compileGlob(path) : { isGlob: false as const };
  // A file whose name looks like a glob (`img/[a] (1).png`) is itself first.
  if (glob.isGlob) return (await tree.list(glob.base)).filter((f) => f === path || glob.match(f, budget));
  const below = await tree.list(path);
  return below.length > 0 ? below : [path];
}
