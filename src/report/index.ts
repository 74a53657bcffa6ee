import { markdownTable } from "markdown-table";
import type { DiffResult, RevisionProblem } from "../compare/index.js";
import type { RenderedImage, RenderedPlot } from "../plots/index.js";
import type { ProjectSettings } from "../project/types.js";
import { pyStr } from "../compare/python.js";
import type { Value } from "../formats/value.js";
import { alt, inert, md } from "./escape.js";
import { cellValue, metricRows, percent, signed, type MetricRow } from "./rows.js";
import { fill, reportTemplate } from "./template.js";
import { checkThresholds, type Breach } from "./thresholds.js";
import { keyMatchProblems } from "./direction.js";

export { metricRows, type MetricRow, type Verdict } from "./rows.js";
export type { Breach } from "./thresholds.js";

export const MARKER = "<!-- mlreview:report -->";
/** GitHub's limit for a comment body; GitLab allows more, the same budget keeps both readable. */
export const MAX_COMMENT_LENGTH = 65_536;

export interface RevisionRef {
  label: string;
  commit?: string | undefined;
}

/** Stores an image where the report can link it, and returns the link (relative path or URL). */
export type Publish = (name: string, data: Buffer, contentType: string) => Promise<string>;

export interface ReportInput {
  base: RevisionRef;
  head: RevisionRef;
  /** Computed with unchanged entries (`all`), so that thresholds see every metric. */
  metrics: DiffResult;
  params: DiffResult;
  plots: RenderedPlot[];
  images: RenderedImage[];
  settings: ProjectSettings;
  /** Problems found outside the diffs (e.g. a project that could not be read). */
  problems?: RevisionProblem[];
  publish: Publish;
  maxLength?: number;
}

export interface Report {
  markdown: string;
  /** One line: what improved, what regressed. */
  summary: string;
  conclusion: "success" | "failure";
  breaches: Breach[];
  metrics: MetricRow[];
  /** What the size budget left out, one line per section. */
  omitted: string[];
}

const DEFAULT_PRECISION = 5;

/** The report for one comparison: Markdown for a comment, and the verdict for a check run. */
export async function buildReport(input: ReportInput): Promise<Report> {
  const precision = input.settings.precision ?? DEFAULT_PRECISION;
  const rows = metricRows(input.metrics.diff, input.settings.direction);
  const changed = rows.filter((r) => r.verdict !== "unchanged");
  // When not every row fits, the ones a reviewer must see come first: regressions, then the largest changes.
  const byImportance = [...changed].sort((a, b) => RANK[a.verdict] - RANK[b.verdict] || Math.abs(b.pct ?? 0) - Math.abs(a.pct ?? 0));
  const params = [...input.params.diff].flatMap(([path, entries]) => [...entries].map(([key, e]) => ({ path, key, old: e.old, new: e.new })));
  const breaches = checkThresholds(rows, input.settings.thresholds);
  const settingsProblems: RevisionProblem[] = keyMatchProblems({ direction: input.settings.direction, thresholds: input.settings.thresholds }).map((message) => ({ rev: input.head.label, message }));
  const problems = [...(input.problems ?? []), ...input.metrics.problems, ...input.params.problems, ...settingsProblems];
  const uniqueProblems = [...new Map(problems.map((p) => [`${p.rev}\0${p.path ?? ""}\0${p.message}`, p])).values()];

  const plots = await Promise.all(
    input.plots.map(async (p) => ({ plot: p, url: p.png ? await input.publish(`${p.id}.png`, p.png, "image/png") : undefined })),
  );
  const images = await Promise.all(
    input.images.map(async (img) => ({
      path: img.path,
      sides: await Promise.all(
        img.sides.map(async (s) => ({ label: s.label, error: s.error, url: s.data ? await input.publish(`${s.label}-${img.path}`, s.data, s.type ?? "image/png") : undefined })),
      ),
    })),
  );

  const summary = summarize(changed, params.length, breaches, inert);
  const sections = {
    metrics: (n: number) => metricsTable(n >= changed.length ? changed : keepOrder(changed, byImportance.slice(0, n)), input, precision),
    params: (n: number) => paramsTable(params.slice(0, n), input),
    problems: (n: number) => uniqueProblems.slice(0, n).map((p) => `- ${md(`${p.rev}: ${p.path ? `${p.path}: ` : ""}${p.message}`)}`).join("\n"),
  };
  const counts = { metrics: changed.length, params: params.length, problems: uniqueProblems.length };
  const fixed = {
    title: `ML results: ${md(input.head.label)} vs ${md(input.base.label)}`,
    summary: summarize(changed, params.length, breaches, md),
    breaches: breaches.map((b) => `- ❌ ${md(b.reason)}`).join("\n"),
    plots: plots.map(({ plot, url }) => plotMarkdown(plot, url)).join("\n\n"),
    images: imagesTable(images, input),
    footer: footer(input),
  };

  const render = (shown: typeof counts, omitted: string[]) =>
    fill(reportTemplate(), {
      ...fixed,
      metrics: sections.metrics(shown.metrics),
      params: sections.params(shown.params),
      problems: sections.problems(shown.problems),
      omitted: omitted.map((o) => `_${o}_`).join("\n"),
    });

  const budget = input.maxLength ?? MAX_COMMENT_LENGTH;
  const shown = { ...counts };
  const omittedLines = () => (["problems", "params", "metrics"] as const).filter((k) => shown[k] < counts[k]).map((k) => omittedLine(k, counts[k] - shown[k]));
  // Shrink order: unreadable files, then params, then metrics, whole rows only; first each down to
  // a floor, so that a huge section does not push a small one out, then further if still too long.
  for (const floors of [FLOORS, { problems: 0, params: 0, metrics: 0 }]) {
    for (const section of ["problems", "params", "metrics"] as const) {
      if (render(shown, omittedLines()).length <= budget) break;
      const floor = Math.min(floors[section], shown[section]);
      let lo = floor;
      let hi = shown[section];
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        const keep = shown[section];
        shown[section] = mid;
        const fits = render(shown, omittedLines()).length <= budget;
        shown[section] = keep;
        if (fits) lo = mid;
        else hi = mid - 1;
      }
      shown[section] = lo;
    }
  }
  const omitted = omittedLines();
  const markdown = render(shown, omitted);
  return { markdown, summary, conclusion: breaches.length > 0 ? "failure" : "success", breaches, metrics: rows, omitted };
}

const FLOORS = { problems: 10, params: 50, metrics: 100 };
const RANK: Record<MetricRow["verdict"], number> = { regressed: 0, removed: 1, improved: 2, added: 3, changed: 4, unchanged: 5 };

/** The chosen rows, shown in the table's own (path, key) order. */
function keepOrder(all: MetricRow[], chosen: MetricRow[]): MetricRow[] {
  const keep = new Set(chosen);
  return all.filter((r) => keep.has(r));
}

function omittedLine(section: "metrics" | "params" | "problems", n: number): string {
  const what = section === "problems" ? "unreadable files" : section === "params" ? "changed params" : "changed metrics";
  return `${n} more ${what} not shown: a comment is limited to ${MAX_COMMENT_LENGTH.toLocaleString("en-US")} characters. Run \`mlreview report\` for the full report.`;
}

/** One line; `text` escapes repository text (the keys) for Markdown, or leaves it for a plain title. */
function summarize(changed: MetricRow[], paramsChanged: number, breaches: Breach[], text: (s: string) => string): string {
  const bold = text === md ? (s: string) => `**${s}**` : (s: string) => s;
  const improved = changed.filter((r) => r.verdict === "improved");
  const regressed = changed.filter((r) => r.verdict === "regressed");
  const other = changed.length - improved.length - regressed.length;
  const parts = [
    improved.length ? `${bold(`${improved.length} improved`)} ▲` : "",
    regressed.length ? `${bold(`${regressed.length} regressed`)} ▼` : "",
    other ? `${other} changed` : "",
  ].filter(Boolean);
  const head = parts.length ? `Metrics: ${parts.join(", ")}` : "No metric changed";
  // Regressions first: they are what a reviewer has to act on.
  const biggest = (rs: MetricRow[]) => rs.filter((r) => r.pct !== undefined).sort((a, b) => Math.abs(b.pct!) - Math.abs(a.pct!));
  const top = [...biggest(regressed), ...biggest(improved)]
    .slice(0, 3)
    .map((r) => `${r.verdict === "improved" ? "▲" : "▼"} ${text(r.key)} ${percent(r.pct!)}`);
  const paramText = paramsChanged ? `; ${paramsChanged} param${paramsChanged === 1 ? "" : "s"} changed` : "";
  const gate = breaches.length ? `; ${breaches.length} threshold${breaches.length === 1 ? "" : "s"} crossed` : "";
  return `${head}${top.length ? ` (${top.join(", ")})` : ""}${paramText}${gate}.`;
}

function metricsTable(rows: MetricRow[], input: ReportInput, precision: number): string {
  if (rows.length === 0) return "";
  const mark = (r: MetricRow) => (r.verdict === "improved" ? "▲ " : r.verdict === "regressed" ? "▼ " : "");
  return markdownTable(
    [
      ["File", "Metric", md(input.base.label), md(input.head.label), "Change", "%"],
      ...rows.map((r) => [
        md(r.path),
        md(r.key),
        cellValue(r.old, precision),
        cellValue(r.new, precision),
        r.diff === undefined ? "-" : `${mark(r)}${signed(r.diff, precision)}`,
        r.pct === undefined ? "-" : percent(r.pct),
      ]),
    ],
    { align: ["l", "l", "r", "r", "r", "r"], alignDelimiters: false },
  );
}

/** Params are shown as DVC shows them: Python's str(), never rounded. */
function paramValue(v: Value): string {
  return v === null ? "-" : md(pyStr(v));
}

function paramsTable(rows: { path: string; key: string; old: Value; new: Value }[], input: ReportInput): string {
  if (rows.length === 0) return "";
  return markdownTable(
    [["File", "Param", md(input.base.label), md(input.head.label)], ...rows.map((r) => [md(r.path), md(r.key), paramValue(r.old), paramValue(r.new)])],
    { alignDelimiters: false },
  );
}

function plotMarkdown(plot: RenderedPlot, url: string | undefined): string {
  if (!url) return `⚠️ ${md(plot.title || plot.id)}: ${md(plot.error ?? "not rendered")}`;
  return `![${alt(plot.title || plot.id)}](${url})${plot.note ? `\n<sub>${md(plot.note)}</sub>` : ""}`;
}

function imagesTable(images: { path: string; sides: { label: string; error?: string | undefined; url: string | undefined }[] }[], input: ReportInput): string {
  if (images.length === 0) return "";
  const cell = (s: { label: string; error?: string | undefined; url: string | undefined }) => (s.url ? `![${alt(s.label)}](${s.url})` : md(s.error ?? "missing"));
  return markdownTable(
    [["Image", md(input.base.label), md(input.head.label)], ...images.map((i) => [md(i.path), ...i.sides.map(cell)])],
    { alignDelimiters: false },
  );
}

function footer(input: ReportInput): string {
  const ref = (r: RevisionRef) => `${md(r.label)}${r.commit ? ` (${r.commit.slice(0, 12)})` : ""}`;
  return `Compared ${ref(input.head)} against ${ref(input.base)} by mlreview. ▲ better, ▼ worse, by the configured direction or the metric's name.`;
}
