/**
 * From per-revision conversions to one filled Vega-Lite spec: DVC's merge of all revisions into
 * one dataset tagged by `rev`, dvc-render's post-processing of the source fields, the anchors,
 * and thinning of long series for templates whose picture does not change by it.
 */
import { FIELD, FILENAME, pointAt, REVISION, type Conversion, type Series } from "./datapoints.js";
import { DOWNSAMPLE_ABOVE, gridPoints, m4 } from "./downsample.js";
import { PlotError } from "./errors.js";
import { escapeField, fillTemplate, type Template } from "./templates.js";

export const PALETTE = ["#945dd6", "#13adc7", "#f46837", "#48bb78", "#4299e1", "#ed8936", "#f56565"];
const STROKE_DASHES = [
  [1, 0],
  [8, 8],
  [8, 4],
  [4, 4],
  [4, 2],
  [2, 1],
  [1, 1],
];
const SHAPES = ["circle", "square", "triangle", "diamond"];
export const PLOT_WIDTH = 300;
export const PLOT_HEIGHT = 300;
/** Points handed to the renderer at most; more is a denial of service whatever the template. */
export const MAX_RENDER_POINTS = 250_000;
export const FONT_FAMILY = "DejaVu Sans";

export interface RevisionData {
  rev: string;
  conv: Conversion;
}

export interface PreparedPlot {
  spec: unknown;
  /** The merged datapoints (DVC's `data_values`). */
  values: Array<Record<string, unknown>>;
  /** Revisions with datapoints, in colour order. */
  revs: string[];
  title: string;
  x: string;
  y: string | undefined;
  x_label: string;
  y_label: string | undefined;
  note?: string;
}

const cycle = <T>(items: T[], n: number): T[] => Array.from({ length: n }, (_, i) => items[i % items.length]!);

/** DVC's `Plots.collect` puts the workspace first, so its points come first and take the first colour. */
export function dvcOrder<T extends { rev: string }>(revs: readonly T[]): T[] {
  return [...revs.filter((r) => r.rev === "workspace"), ...revs.filter((r) => r.rev !== "workspace")];
}

/** DVCLive logs NaN and ±Infinity (`nan`, `inf` in its TSVs; `NaN`, `Infinity` in JSON). */
const NON_FINITE = /^\s*[+-]?(?:nan|inf|infinity)\s*$/i;

/**
 * Such a point has no position and is left out (a line joins its neighbours): kept, Vega stretches the
 * axis to infinity or breaks the line into single points, and the plot shows nothing.
 */
function isNonFinite(v: unknown): boolean {
  return (typeof v === "number" && !Number.isFinite(v)) || (typeof v === "string" && NON_FINITE.test(v));
}

function numbers(s: Series, axis: "x" | "y"): Float64Array {
  const out = new Float64Array(s.y.length);
  if (axis === "x" && s.x === undefined) {
    for (let i = 0; i < out.length; i++) out[i] = i;
    return out;
  }
  const all = axis === "y" ? s.y.numbers(s.yField) : s.x!.table.numbers(s.x!.field);
  if (all.length === out.length) return all;
  out.fill(NaN).set(all.subarray(0, out.length));
  return out;
}

function rowsToDraw(template: Template, s: Series): number[] | undefined {
  if (template.downsampling === "none" || s.y.length <= DOWNSAMPLE_ABOVE) return undefined;
  const xs = numbers(s, "x");
  const ys = numbers(s, "y");
  return template.downsampling === "lines" ? m4(xs, ys, PLOT_WIDTH) : gridPoints(xs, ys, PLOT_WIDTH, PLOT_HEIGHT);
}

/** The key that tells sources apart, as dvc-render keeps it (`filename`, `field` or both joined). */
function sourceKey(revs: readonly RevisionData[]): { key: string | undefined; drop: string[]; domain: string[] } {
  const defs = revs.flatMap((r) => r.conv.anchors_y_definitions);
  const files = new Set(defs.map((d) => d.filename));
  const fields = new Set(defs.map((d) => d.field));
  if (files.size > 1 && fields.size > 1) {
    const joined = [...new Set(defs.map((d) => `${d.filename}::${d.field}`))];
    return { key: `${FILENAME}::${FIELD}`, drop: [FILENAME, FIELD], domain: joined };
  }
  if (files.size > 1) return { key: FILENAME, drop: [FIELD], domain: [...files] };
  if (fields.size > 1) return { key: FIELD, drop: [FILENAME], domain: [...fields] };
  return { key: undefined, drop: [FILENAME, FIELD], domain: [] };
}

/** Merge revisions (already in DVC order) and fill `template`. Throws PlotError when nothing can be drawn. */
export function preparePlot(title: string, template: Template, revisions: readonly RevisionData[]): PreparedPlot {
  const withData = revisions.filter((r) => r.conv.series.some((s) => s.y.length > 0));
  const first = withData[0];
  if (first === undefined) throw new PlotError("no data points in any revision");
  const { key, drop, domain } = sourceKey(withData);

  const values: Array<Record<string, unknown>> = [];
  let largest = 0;
  let kept = 0;
  for (const { rev, conv } of withData) {
    for (const s of conv.series) {
      const rows = rowsToDraw(template, s);
      if (rows !== undefined && s.y.length > largest) {
        largest = s.y.length;
        kept = rows.length;
      }
      const n = rows?.length ?? s.y.length;
      if (values.length + n > MAX_RENDER_POINTS) {
        throw new PlotError(`more than ${MAX_RENDER_POINTS.toLocaleString("en-US")} data points for template '${template.name}' ` + "(only the line and scatter templates are downsampled)");
      }
      for (let k = 0; k < n; k++) {
        const dp = pointAt(conv, s, rows === undefined ? k : rows[k]!, rev);
        if (key === `${FILENAME}::${FIELD}`) dp[key] = `${String(dp[FILENAME])}::${String(dp[FIELD])}`;
        for (const d of drop) delete dp[d];
        if ([conv.x, conv.y].some((f) => f !== undefined && isNonFinite(dp[f]))) continue;
        values.push(dp);
      }
    }
  }

  if (values.length === 0) throw new PlotError("no finite data points in any revision (only NaN or infinite values)");
  const revs = withData.map((r) => r.rev);
  const x = first.conv.x;
  const y = first.conv.y;
  const note =
    largest > 0 ? `downsampled to ${kept.toLocaleString("en-US")} of ${largest.toLocaleString("en-US")} points per series ` + (template.downsampling === "lines" ? "(min/max per pixel column)" : "(one point per pixel)") : undefined;
  const byKey = (range: unknown[]): unknown => (key === undefined ? {} : { field: key, type: "nominal", scale: { domain, range: cycle(range, domain.length) } });

  const filled = fillTemplate(template.content, {
    data: values,
    title: note === undefined ? title : { text: title, subtitle: note },
    x: escapeField(x),
    y: y === undefined ? undefined : escapeField(y),
    x_label: first.conv.x_label,
    y_label: first.conv.y_label ?? y,
    plot_width: PLOT_WIDTH,
    plot_height: PLOT_HEIGHT,
    color: { field: REVISION, type: "nominal", scale: { domain: revs, range: cycle(PALETTE, revs.length) } },
    stroke_dash: byKey(STROKE_DASHES),
    shape: byKey(SHAPES),
    column: key === undefined ? {} : { field: key, type: "nominal" },
    row: key === undefined ? {} : { field: key, type: "nominal" },
    group_by: key === undefined ? [REVISION] : [REVISION, key],
    zoom_and_pan: { name: "grid", select: "interval", bind: "scales" },
  });
  return {
    spec: withFont(filled),
    values,
    revs,
    title,
    x,
    y,
    x_label: first.conv.x_label,
    y_label: first.conv.y_label ?? y,
    ...(note === undefined ? {} : { note }),
  };
}

/** Pin the bundled font unless the template chose one, so text renders the same everywhere. */
function withFont(spec: unknown): unknown {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) return spec;
  const s = spec as Record<string, unknown>;
  const config = typeof s.config === "object" && s.config !== null ? (s.config as Record<string, unknown>) : {};
  return { ...s, config: { font: FONT_FAMILY, ...config } };
}
