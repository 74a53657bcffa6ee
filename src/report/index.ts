import { markdownTable } from "markdown-table";
import type { DiffResult, RevisionProblem } from "../compare/index.js";
import type { RenderedImage, RenderedPlot } from "../plots/index.js";
import type { ProjectSettings } from "../project/types.js";
import { pyStr } from "../python/format.js";
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

/** Thrown by a Publish that will not store this image (a cap): the report says why in its place. */
export class PublishRefused extends Error {}

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
  /** One line of plain text: what improved, what regressed (the CLI's --json). */
  summary: string;
  /** The check run's one-line title and Markdown summary, repository text escaped as in the comment. */
  check: { title: string; summary: string };
  /** "neutral": a side's metrics could not be read, so the comparison cannot pass (thresholds crossed still fail). */
  conclusion: "success" | "failure" | "neutral";
  breaches: Breach[];
  metrics: MetricRow[];
  /** What the size budget left out, one line per section. */
  omitted: string[];
}

const DEFAULT_PRECISION = 5;
/** GitHub's limits for a check run's output: longer is refused (or cut in the middle of an escape). */
export const MAX_CHECK_TITLE_LENGTH = 255;
export const MAX_CHECK_SUMMARY_BYTES = 65_535;
/**
 * Room kept for each image link while deciding what fits, before anything is published: only what is
 * shown is published (thousands of images must not become thousands of uploads). A longer real link
 * only makes the second fitting pass drop more.
 */
const URL_RESERVE = 256;
/** A metric key in the summary line, a revision label: a 10 kB name must not take the whole budget. */
const MAX_NAME_IN_LINE = 120;

/** The comment's sections that shrink, in the order they give way when the comment is too long. */
const SHRINK_ORDER = ["problems", "images", "plots", "params", "metrics", "breaches"] as const;
type Section = (typeof SHRINK_ORDER)[number];
type Counts = Record<Section, number>;
/** First each section down to its floor, so that a huge section does not push a small one out. */
const FLOORS: Counts = { problems: 10, images: 10, plots: 10, params: 50, metrics: 100, breaches: 20 };
const ZERO: Counts = { problems: 0, images: 0, plots: 0, params: 0, metrics: 0, breaches: 0 };
const WHAT: Record<Section, string> = {
  problems: "unreadable files",
  images: "images",
  plots: "plots",
  params: "changed params",
  metrics: "changed metrics",
  breaches: "crossed thresholds",
};

/** Where a published image is, or why the publisher refused it (a cap): the report says so in its place. */
type Link = { url: string } | { refused: string };
type UrlOf = (data: Buffer | undefined) => Link | undefined;

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
  const base = clip(input.base.label);
  const head = clip(input.head.label);
  const unavailable = unavailableLine(input.metrics.problems, [input.base.label, input.head.label]);

  const sections: Record<Section, (n: number, url: UrlOf) => string> = {
    problems: (n) =>
      uniqueProblems
        .slice(0, n)
        .map((p) => `- ${md(`${p.rev}: ${p.path ? `${p.path}: ` : ""}${p.message}`)}`)
        .join("\n"),
    images: (n, url) => imagesTable(input.images.slice(0, n), base, head, url),
    plots: (n, url) =>
      input.plots
        .slice(0, n)
        .map((plot) => plotMarkdown(plot, url(plot.png)))
        .join("\n\n"),
    params: (n) => paramsTable(params.slice(0, n), base, head),
    metrics: (n) => metricsTable(n >= changed.length ? changed : keepOrder(changed, byImportance.slice(0, n)), base, head, precision),
    breaches: (n) => breachLines(breaches.slice(0, n)),
  };
  const counts: Counts = {
    problems: uniqueProblems.length,
    images: input.images.length,
    plots: input.plots.length,
    params: params.length,
    metrics: changed.length,
    breaches: breaches.length,
  };
  const fixed = {
    title: `ML results: ${md(head)} vs ${md(base)}`,
    summary: summarize(changed, params.length, breaches, { text: md, bold: (s) => `**${s}**`, unavailable }),
    footer: footer(input),
  };
  const omittedLines = (shown: Counts) => SHRINK_ORDER.filter((k) => shown[k] < counts[k]).map((k) => omittedLine(k, counts[k] - shown[k]));
  const render = (shown: Counts, url: UrlOf) =>
    fill(reportTemplate(), {
      ...fixed,
      ...Object.fromEntries(SHRINK_ORDER.map((k) => [k, sections[k](shown[k], url)])),
      omitted: omittedLines(shown)
        .map((o) => `_${o}_`)
        .join("\n"),
    });

  const budget = input.maxLength ?? MAX_COMMENT_LENGTH;
  const shown = { ...counts };
  // Decide what fits with a reserved length per link, publish only that, then fit again with the real links.
  fit((s) => render(s, (d) => (d ? { url: "x".repeat(URL_RESERVE) } : undefined)).length, shown, budget);
  const links = await publishShown(input, shown);
  const url: UrlOf = (d) => (d ? links.get(d) : undefined);
  fit((s) => render(s, url).length, shown, budget);
  const omitted = omittedLines(shown);
  const markdown = render(shown, url);
  return {
    markdown,
    summary: summarize(changed, params.length, breaches, { text: inert, bold: (s) => s, unavailable }),
    check: checkOutput(changed, params.length, breaches, unavailable),
    conclusion: breaches.length > 0 ? "failure" : unavailable ? "neutral" : "success",
    breaches,
    metrics: rows,
    omitted,
  };
}

/** Shrink `shown`, whole items only, in SHRINK_ORDER: first each section to its floor, then further. */
function fit(length: (shown: Counts) => number, shown: Counts, budget: number): void {
  for (const floors of [FLOORS, ZERO]) {
    for (const section of SHRINK_ORDER) {
      if (length(shown) <= budget) return;
      let lo = Math.min(floors[section], shown[section]);
      let hi = shown[section];
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        const keep = shown[section];
        shown[section] = mid;
        const fits = length(shown) <= budget;
        shown[section] = keep;
        if (fits) lo = mid;
        else hi = mid - 1;
      }
      shown[section] = lo;
    }
  }
}

/**
 * Publish the images of the plots and images that are shown, each buffer once; its link by buffer. A
 * refused image is one line in its place; any other failure to publish fails the report (retried).
 */
async function publishShown(input: ReportInput, shown: Counts): Promise<Map<Buffer, Link>> {
  const wanted = new Map<Buffer, { name: string; type: string }>();
  for (const p of input.plots.slice(0, shown.plots)) if (p.png && !wanted.has(p.png)) wanted.set(p.png, { name: `${p.id}.png`, type: "image/png" });
  for (const img of input.images.slice(0, shown.images)) {
    for (const s of img.sides) if (s.data && !wanted.has(s.data)) wanted.set(s.data, { name: `${s.label}-${img.path}`, type: s.type ?? "image/png" });
  }
  const publish = (data: Buffer, w: { name: string; type: string }): Promise<Link> =>
    input.publish(w.name, data, w.type).then(
      (url) => ({ url }),
      (e: unknown) => {
        if (e instanceof PublishRefused) return { refused: e.message };
        throw e;
      },
    );
  const links = await Promise.all([...wanted].map(async ([data, w]) => [data, await publish(data, w)] as const));
  return new Map(links);
}

/**
 * The check run's output, escaped as the comment is: GitHub renders the summary as Markdown (and the
 * title is kept safe to render too). Both fit GitHub's limits by leaving things out, never by a cut.
 */
function checkOutput(changed: MetricRow[], paramsChanged: number, breaches: Breach[], unavailable: Unavailable | undefined): Report["check"] {
  const line = (top: boolean, brief = false) => summarize(changed, paramsChanged, breaches, { text: titleText, bold: (s) => s, top, unavailable, brief });
  const title = [line(true), line(false), line(false, true)].find((t) => t.length <= MAX_CHECK_TITLE_LENGTH) ?? (unavailable ? "ML results: metrics unavailable" : "ML results");
  const head = summarize(changed, paramsChanged, breaches, { text: md, bold: (s) => `**${s}**`, unavailable });
  if (breaches.length === 0) return { title, summary: head };
  const intro = `${head}\n\n**Thresholds crossed**\n\n`;
  const lines: string[] = [];
  // Room for the line saying how many were left out.
  let bytes = Buffer.byteLength(intro) + 200;
  for (const b of breaches) {
    const l = breachLines([b]);
    bytes += Buffer.byteLength(l) + 1;
    if (bytes > MAX_CHECK_SUMMARY_BYTES) break;
    lines.push(l);
  }
  const left = breaches.length - lines.length;
  const more = left > 0 ? `\n\n_${left} more crossed thresholds not shown: the check's summary is limited to ${MAX_CHECK_SUMMARY_BYTES.toLocaleString("en-US")} bytes._` : "";
  return { title, summary: `${intro}${lines.join("\n")}${more}` };
}

/**
 * The title is also shown as plain text (GitLab's status description is the same title): `val_loss`
 * reads better than `val\_loss`, and an underscore between two letters or digits is never emphasis.
 */
function titleText(s: string): string {
  return md(s).replace(/(?<=[A-Za-z0-9])\\_(?=[A-Za-z0-9])/g, "_");
}

const RANK: Record<MetricRow["verdict"], number> = { regressed: 0, removed: 1, improved: 2, added: 3, changed: 4, unchanged: 5 };

/** The chosen rows, shown in the table's own (path, key) order. */
function keepOrder(all: MetricRow[], chosen: MetricRow[]): MetricRow[] {
  const keep = new Set(chosen);
  return all.filter((r) => keep.has(r));
}

function omittedLine(section: Section, n: number): string {
  return `${n} more ${WHAT[section]} not shown: a comment is limited to ${MAX_COMMENT_LENGTH.toLocaleString("en-US")} characters. Run \`mlreview report\` for the full report.`;
}

/** A name cut to MAX_NAME_IN_LINE characters (before escaping, so that no escape is cut). */
function clip(s: string): string {
  return s.length > MAX_NAME_IN_LINE ? `${s.slice(0, MAX_NAME_IN_LINE)}…` : s;
}

function breachLines(breaches: Breach[]): string {
  return breaches.map((b) => `- ❌ ${md(b.reason)}`).join("\n");
}

interface LineStyle {
  /** Escapes repository text (the keys) for Markdown, or leaves it for plain text. */
  text: (s: string) => string;
  bold: (s: string) => string;
  /** With the largest changes by name (default). */
  top?: boolean;
  unavailable?: Unavailable | undefined;
  /** Without the reason a side was unavailable (a check's title has 255 characters; the summary says why). */
  brief?: boolean;
}

/** Which side's metrics could not be read, and the first reason: the summary says so before anything else. */
interface Unavailable {
  revs: string[];
  first: string;
  more: number;
}

/** A reason in the summary line is cut here; the full line is under "Files that could not be read". */
const MAX_REASON_IN_LINE = 200;

/**
 * Metrics a side declares but could not read (not a file it simply lacks): a DVC remote not allowed or
 * down, an object not pushed, a corrupt or unparsable file, a project that cannot be read at all.
 */
function unavailableLine(problems: readonly RevisionProblem[], order: string[]): Unavailable | undefined {
  const bad = problems.filter((p) => p.code !== "missing" && p.code !== "over-budget");
  if (bad.length === 0) return undefined;
  const revs = order.filter((r) => bad.some((p) => p.rev === r));
  const p = bad[0]!;
  const reason = `${p.path ? `${p.path}: ` : ""}${p.message}`;
  return { revs: revs.length ? revs : [p.rev], first: reason.length > MAX_REASON_IN_LINE ? `${reason.slice(0, MAX_REASON_IN_LINE)}…` : reason, more: bad.length - 1 };
}

/** One line: counts, the largest changes by name, params, thresholds. */
function summarize(changed: MetricRow[], paramsChanged: number, breaches: Breach[], style: LineStyle): string {
  const { text, bold } = style;
  const improved = changed.filter((r) => r.verdict === "improved");
  const regressed = changed.filter((r) => r.verdict === "regressed");
  const other = changed.length - improved.length - regressed.length;
  const parts = [improved.length ? `${bold(`${improved.length} improved`)} ▲` : "", regressed.length ? `${bold(`${regressed.length} regressed`)} ▼` : "", other ? `${other} changed` : ""].filter(Boolean);
  const u = style.unavailable;
  // Never "No metric changed" when a side's metrics were not read: that is the false pass this line exists to stop.
  const reason = u && !style.brief ? ` (${text(u.first)}${u.more ? `; ${u.more} more` : ""})` : "";
  const warning = u ? `⚠️ Metrics unavailable for ${u.revs.map((r) => text(clip(r))).join(" and ")}${reason}. ` : "";
  const head = `${warning}${parts.length ? `Metrics: ${parts.join(", ")}` : u ? "No change among the metrics read" : "No metric changed"}`;
  // Regressions first: they are what a reviewer has to act on.
  const biggest = (rs: MetricRow[]) => rs.filter((r) => r.pct !== undefined).sort((a, b) => Math.abs(b.pct!) - Math.abs(a.pct!));
  const top = style.top === false ? [] : [...biggest(regressed), ...biggest(improved)].slice(0, 3).map((r) => `${r.verdict === "improved" ? "▲" : "▼"} ${text(clip(r.key))} ${percent(r.pct!)}`);
  const paramText = paramsChanged ? `; ${paramsChanged} param${paramsChanged === 1 ? "" : "s"} changed` : "";
  const gate = breaches.length ? `; ${breaches.length} threshold${breaches.length === 1 ? "" : "s"} crossed` : "";
  return `${head}${top.length ? ` (${top.join(", ")})` : ""}${paramText}${gate}.`;
}

function metricsTable(rows: MetricRow[], base: string, head: string, precision: number): string {
  if (rows.length === 0) return "";
  const mark = (r: MetricRow) => (r.verdict === "improved" ? "▲ " : r.verdict === "regressed" ? "▼ " : "");
  return markdownTable(
    [
      ["File", "Metric", md(base), md(head), "Change", "%"],
      ...rows.map((r) => [md(r.path), md(r.key), cellValue(r.old, precision), cellValue(r.new, precision), r.diff === undefined ? "-" : `${mark(r)}${signed(r.diff, precision)}`, r.pct === undefined ? "-" : percent(r.pct)]),
    ],
    { align: ["l", "l", "r", "r", "r", "r"], alignDelimiters: false },
  );
}

/** Params are shown as DVC shows them: Python's str(), never rounded. */
function paramValue(v: Value): string {
  return v === null ? "-" : md(pyStr(v));
}

function paramsTable(rows: { path: string; key: string; old: Value; new: Value }[], base: string, head: string): string {
  if (rows.length === 0) return "";
  return markdownTable([["File", "Param", md(base), md(head)], ...rows.map((r) => [md(r.path), md(r.key), paramValue(r.old), paramValue(r.new)])], { alignDelimiters: false });
}

function plotMarkdown(plot: RenderedPlot, link: Link | undefined): string {
  if (!link || "refused" in link) return `⚠️ ${md(plot.title || plot.id)}: ${md((link && "refused" in link ? link.refused : plot.error) ?? "not rendered")}`;
  return `![${alt(plot.title || plot.id)}](${link.url})${plot.note ? `\n<sub>${md(plot.note)}</sub>` : ""}`;
}

function imagesTable(images: RenderedImage[], base: string, head: string, url: UrlOf): string {
  if (images.length === 0) return "";
  const cell = (s: RenderedImage["sides"][number]) => {
    const link = url(s.data);
    if (link && "url" in link) return `![${alt(s.label)}](${link.url})`;
    return md((link && "refused" in link ? link.refused : s.error) ?? "missing");
  };
  return markdownTable([["Image", md(base), md(head)], ...images.map((i) => [md(i.path), ...i.sides.map(cell)])], { alignDelimiters: false });
}

function footer(input: ReportInput): string {
  const ref = (r: RevisionRef) => `${md(clip(r.label))}${r.commit ? ` (${r.commit.slice(0, 12)})` : ""}`;
  return `Compared ${ref(input.head)} against ${ref(input.base)} by mlreview. ▲ better, ▼ worse, by the configured direction or the metric's name.`;
}
