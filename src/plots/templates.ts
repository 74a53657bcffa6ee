/**
 * Vega-Lite templates with DVC's anchors: the built-in ones shipped in templates/plots/, or a
 * repository file named by `template:`. A repository template is hostile input: it must be JSON,
 * must use the data anchor, and may not name a URL anywhere (the sandbox denies loads anyway; this
 * gives a clear error instead of an empty plot).
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FileTree } from "../revisions/types.js";
import { BadTemplateError, TemplateNotFoundError } from "./errors.js";

export const BUILTIN_TEMPLATES = ["linear", "simple", "scatter", "smooth", "confusion", "confusion_normalized", "bar_horizontal", "bar_horizontal_sorted"] as const;
export type BuiltinTemplate = (typeof BUILTIN_TEMPLATES)[number];

/** How a template's data may be thinned without changing the picture. */
export type Downsampling = "lines" | "points" | "none";

export interface Template {
  name: string;
  content: unknown;
  downsampling: Downsampling;
}

export const TEMPLATES_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "templates", "plots");
const DATA_ANCHOR = "<DVC_METRIC_DATA>";
/** More rows than this in a `sequence` generator is a denial of service, not a plot. */
const MAX_SEQUENCE = 1_000_000;

export const anchor = (name: string): string => `<DVC_METRIC_${name.toUpperCase()}>`;

const isBuiltin = (name: string): name is BuiltinTemplate => (BUILTIN_TEMPLATES as readonly string[]).includes(name);

const DOWNSAMPLING: Record<BuiltinTemplate, Downsampling> = {
  linear: "lines",
  smooth: "lines",
  simple: "lines",
  scatter: "points",
  confusion: "none",
  confusion_normalized: "none",
  bar_horizontal: "none",
  bar_horizontal_sorted: "none",
};

const builtins = new Map<string, Promise<unknown>>();

/** A built-in template by name, else `name`, `.dvc/plots/<name>` or `.dvc/plots/<name>.json` in `tree`. */
export async function loadTemplate(name: string, tree: FileTree | undefined): Promise<Template> {
  if (isBuiltin(name)) {
    let content = builtins.get(name);
    if (content === undefined) {
      content = readFile(join(TEMPLATES_DIR, `${name}.json`), "utf8").then((t) => JSON.parse(t) as unknown);
      builtins.set(name, content);
    }
    return { name, content: await content, downsampling: DOWNSAMPLING[name] };
  }
  const candidates = [name, `.dvc/plots/${name}`, `.dvc/plots/${name}.json`];
  const found = tree === undefined ? undefined : await tree.read(candidates);
  for (const path of candidates) {
    const r = found?.get(path);
    if (r?.ok) return { name, content: checkTemplate(name, r.data.toString("utf8")), downsampling: "none" };
  }
  throw new TemplateNotFoundError(name);
}

/** Parse and vet a repository template. Exported for tests of the rules themselves. */
export function checkTemplate(name: string, text: string): unknown {
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch (e) {
    throw new BadTemplateError(`Template '${name}' is not valid JSON: ${(e as Error).message}`);
  }
  let hasData = false;
  walk(content, "", (value, path, key) => {
    if (value === DATA_ANCHOR) hasData = true;
    if (key === "url") throw new BadTemplateError(`Template '${name}' refers to a URL at ${path}: external data is not allowed`);
    if (key === "sequence" && typeof value === "object" && value !== null) {
      const { start = 0, stop, step = 1 } = value as Record<string, unknown>;
      const n = typeof start === "number" && typeof stop === "number" && typeof step === "number" && step !== 0 ? (stop - start) / step : Infinity;
      if (!(n <= MAX_SEQUENCE)) {
        throw new BadTemplateError(`Template '${name}' generates a sequence at ${path} over the ${MAX_SEQUENCE} row limit`);
      }
    }
  });
  if (!hasData) throw new BadTemplateError(`Template '${name}' is not using '${DATA_ANCHOR}' anchor`);
  return content;
}

function walk(v: unknown, path: string, visit: (value: unknown, path: string, key: string) => void): void {
  if (Array.isArray(v)) {
    v.forEach((item, i) => walk(item, `${path}[${i}]`, visit));
  } else if (typeof v === "object" && v !== null) {
    for (const [k, item] of Object.entries(v)) {
      const p = path === "" ? k : `${path}.${k}`;
      visit(item, p, k);
      walk(item, p, visit);
    }
  } else if (path === "") {
    visit(v, path, "");
  }
}

/**
 * Replace every string that is exactly an anchor by its value, as DVC's text replacement of
 * `"<DVC_METRIC_X>"` (quotes included) does. Anchors without a value are left for Vega-Lite to reject.
 */
export function fillTemplate(content: unknown, values: Readonly<Record<string, unknown>>): unknown {
  const byAnchor = new Map(Object.entries(values).map(([k, v]) => [anchor(k), v]));
  const fill = (v: unknown): unknown => {
    if (typeof v === "string") return byAnchor.has(v) ? byAnchor.get(v) : v;
    if (Array.isArray(v)) return v.map(fill);
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      // A JSON "__proto__" key would set the copy's prototype: drop it, Vega-Lite has no such property.
      for (const [k, item] of Object.entries(v)) if (k !== "__proto__") out[k] = fill(item);
      return out;
    }
    return v;
  };
  return fill(content);
}

/** DVC escapes `.`, `[` and `]` in field names (not titles): Vega-Lite reads them as paths. */
export function escapeField(field: string): string {
  return field.replace(/[.[\]]/g, (c) => `\\${c}`);
}
