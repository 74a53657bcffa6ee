#!/usr/bin/env node
// Plot rendering bench (run after `npm run build`): `node bench/plots.mjs`.
// 1. one linear plot, 2 series × 1,000,000 points, from TSV files to PNG: time and peak RSS;
// 2. the same with 2 × 5,000 points, warm: median of 15;
// 3. the official Vega CLI (vl2png) on the same 5,000-point spec, installed on demand into
//    bench/.vendor (vega-cli needs node-canvas, which compiles against cairo/pango here).
// Prints a table and, with --json, one JSON object on the last line.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (p) => join(root, "dist", "plots", p);
if (!existsSync(dist("index.js"))) {
  console.error("bench/plots.mjs: dist/ is missing; run `npm run build` first");
  process.exit(1);
}
const { renderPlots, closeRenderer, preparePlots } = await import(dist("index.js"));
const { preparePlot } = await import(dist("spec.js"));
const { loadTemplate } = await import(dist("templates.js"));
const { convert } = await import(dist("datapoints.js"));
const { parsePlotData } = await import(dist("data.js"));

const outDir = join(root, "bench", "out");
mkdirSync(outDir, { recursive: true });

function tsv(n, phase) {
  // Written in 1 MB blocks so that making the test data does not dominate peak RSS.
  const blocks = [Buffer.from("step\tloss\n")];
  let part = [];
  for (let i = 0; i < n; i++) {
    part.push(`${i}\t${(Math.exp(-i / (n / 5)) + 0.05 * Math.sin(i / (n / 200) + phase)).toFixed(6)}\n`);
    if (part.length === 50_000) (blocks.push(Buffer.from(part.join(""))), (part = []));
  }
  blocks.push(Buffer.from(part.join("")));
  return Buffer.concat(blocks);
}
const tree = (label, files) => ({
  label,
  commit: undefined,
  async read(paths) {
    return new Map(paths.map((p) => [p, files[p] ? { ok: true, data: files[p] } : { ok: false, error: { code: "missing", message: "no such file" } }]));
  },
  async list() {
    return Object.keys(files);
  },
});
const def = { id: "loss", origin: "bench", files: ["loss.tsv"], y: [{ file: "loss.tsv", field: "loss" }], x: undefined, template: "linear", header: true };
const revisions = (n) => [
  { label: "main", tree: tree("main", { "loss.tsv": tsv(n, 0) }) },
  { label: "workspace", tree: tree("workspace", { "loss.tsv": tsv(n, 1) }) },
];
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const ms = (t) => `${t.toFixed(0)} ms`;
const mb = (kb) => `${(kb / 1024).toFixed(0)} MB`;

async function timed(revs) {
  const t0 = performance.now();
  const [plot] = await renderPlots([def], revs);
  const t = performance.now() - t0;
  if (!plot.png) throw new Error(`render failed: ${plot.error}`);
  return { t, plot };
}

// Warm the pool (process start is not part of a render).
await timed(revisions(10));

// 1. million-point plot, in a process of its own so that its peak RSS is its own.
// Data generation is outside the timed region; TSV parse → PNG is inside.
if (process.argv.includes("--million-only")) {
  const big = revisions(1_000_000);
  const rssBefore = process.resourceUsage().maxRSS;
  const { t, plot } = await timed(big);
  writeFileSync(join(outDir, "plot-1m.png"), plot.png);
  await closeRenderer();
  console.log(JSON.stringify({ t, note: plot.note, rssBefore, peak: process.resourceUsage().maxRSS }));
  process.exit(0);
}
const m = JSON.parse(
  execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--million-only"], { encoding: "utf8" })
    .trim()
    .split("\n")
    .at(-1),
);
const million = { t: m.t, plot: { note: m.note } };
const rssBefore = m.rssBefore;
const parentPeakKb = m.peak;

// 2. 5,000-point plot, warm.
const small = revisions(5_000);
const times = [];
for (let i = 0; i < 15; i++) times.push((await timed(small)).t);
const warm5k = median(times);
await closeRenderer();

// The same 5,000-point plot as DVC would fill it (no downsampling), for vl2png.
const template = { ...(await loadTemplate("linear", undefined)), downsampling: "none" };
const data = [];
for (const r of [...small].reverse()) {
  const file = (await r.tree.read(["loss.tsv"])).get("loss.tsv");
  const sources = new Map([["loss.tsv", await parsePlotData("loss.tsv", file.data)]]);
  data.push({ rev: r.label, conv: convert("loss.tsv", sources, { y: { "loss.tsv": "loss" } }) });
}
const fullSpec = join(outDir, "plot-5k.vl.json");
writeFileSync(fullSpec, JSON.stringify(preparePlot("loss", template, data).spec));
let downsampledSpec;
for await (const p of preparePlots([def], small)) downsampledSpec = p.plot.spec;
const dsSpec = join(outDir, "plot-5k-downsampled.vl.json");
writeFileSync(dsSpec, JSON.stringify(downsampledSpec));

// 3. vl2png.
const vendor = join(root, "bench", ".vendor");
const vl2png = join(vendor, "node_modules", ".bin", "vl2png");
let vl = { skipped: undefined, median: undefined, downsampledMedian: undefined };
if (!existsSync(vl2png)) {
  console.error("installing vega-cli into bench/.vendor for the vl2png comparison ...");
  mkdirSync(vendor, { recursive: true });
  const r = spawnSync("npm", ["install", "--prefix", vendor, "--no-save", "--no-audit", "--no-fund", "vega-cli@6", "vega-lite@6.4.3", "vega@6.4.0"], { encoding: "utf8" });
  if (r.status !== 0 || !existsSync(vl2png)) {
    const why = (r.stderr || r.error?.message || "")
      .split("\n")
      .filter((l) => /error|ERR|not found|pkg-config/i.test(l))
      .slice(-3)
      .join(" | ");
    vl.skipped = `vega-cli could not be installed (node-canvas builds from source here: apt-get install -y build-essential libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev). ${why}`;
  }
}
if (vl.skipped === undefined) {
  const run = (spec) => {
    const t0 = performance.now();
    execFileSync(vl2png, ["--scale", "2", spec, join(outDir, "vl2png.png")], { stdio: "pipe" });
    return performance.now() - t0;
  };
  const ts = [];
  for (let i = 0; i < 5; i++) ts.push(run(fullSpec));
  vl.median = median(ts);
  const tsd = [];
  for (let i = 0; i < 5; i++) tsd.push(run(dsSpec));
  vl.downsampledMedian = median(tsd);
}

const rows = [
  ["1,000,000 × 2 points, TSV → PNG", ms(million.t), `${million.plot.note}`],
  ["  peak RSS of that process", mb(parentPeakKb), `${mb(rssBefore)} before the render (node + 2 × 1M-row test data)`],
  ["5,000 × 2 points, warm median of 15", ms(warm5k), ""],
  vl.skipped ? ["vl2png (vega-cli), same spec", "skipped", vl.skipped] : ["vl2png (vega-cli), same 5,000-point spec, median of 5", ms(vl.median), `mlreview is ${(vl.median / warm5k).toFixed(1)}× faster`],
  ...(vl.skipped ? [] : [["vl2png on mlreview's downsampled spec", ms(vl.downsampledMedian), `mlreview is ${(vl.downsampledMedian / warm5k).toFixed(1)}× faster`]]),
];
for (const [a, b, c] of rows) console.log(`${a.padEnd(56)} ${String(b).padStart(9)}  ${c}`);
const result = {
  million_ms: Math.round(million.t),
  million_peak_rss_mb: Math.round(parentPeakKb / 1024),
  warm_5k_median_ms: Math.round(warm5k),
  vl2png_5k_median_ms: vl.median === undefined ? null : Math.round(vl.median),
  vl2png_ratio: vl.median === undefined ? null : Number((vl.median / warm5k).toFixed(2)),
  vl2png_skipped: vl.skipped ?? null,
};
if (process.argv.includes("--json")) console.log(JSON.stringify(result));
