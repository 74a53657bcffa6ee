// Rendering through the public API: PNG size, content, colours, text, downsampling, errors.
import { afterAll, describe, expect, it } from "vitest";
import { textWidthFunction } from "../../src/plots/font-metrics.js";
import { bundledFontDir } from "../../src/plots/fonts.js";
import { preparePlots, renderPlots, type PlotRevision } from "../../src/plots/index.js";
import { RenderPool } from "../../src/plots/pool.js";
import { BUILTIN_TEMPLATES } from "../../src/plots/templates.js";
import type { PlotDefinition } from "../../src/project/types.js";
import { countColour, ink, memTree, pixels } from "./helpers.js";
import { tempDir } from "../helpers/git-repo.js";

const PURPLE = "#945dd6";
const TEAL = "#13adc7";

const def = (over: Partial<PlotDefinition>): PlotDefinition => ({
  id: "loss",
  origin: ".mlreview.yml",
  files: ["train.csv"],
  y: [{ file: "train.csv", field: "loss" }],
  x: undefined,
  template: "linear",
  header: true,
  ...over,
});
const csv = (n: number, f: (i: number) => number) => "step,loss\n" + Array.from({ length: n }, (_, i) => `${i},${f(i)}`).join("\n");
const revisions = (base: Record<string, string>, head: Record<string, string>): PlotRevision[] => [
  { label: "main", tree: memTree("main", base) },
  { label: "workspace", tree: memTree("workspace", head) },
];

const pools: RenderPool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe("renderPlots", () => {
  it("draws base and head as two series in DVC's palette, with title and axis text", async () => {
    const [plot] = await renderPlots([def({ title: "Training loss" })], revisions({ "train.csv": csv(100, (i) => 1 / (i + 1)) }, { "train.csv": csv(100, (i) => 0.5 / (i + 1)) }));
    expect(plot).toMatchObject({ id: "loss", title: "Training loss" });
    expect(plot!.error).toBeUndefined();
    const px = await pixels(plot!.png!);
    expect([px.width, px.height]).toEqual([872, 728]);
    expect(countColour(px, PURPLE, 10)).toBeGreaterThan(1000);
    expect(countColour(px, TEAL, 10)).toBeGreaterThan(1000);
    // Title band (above the plot area) and the x axis title band hold text.
    expect(ink(px, { x0: 0, y0: 0, x1: px.width, y1: 40 })).toBeGreaterThan(200);
    expect(ink(px, { x0: 0, y0: px.height - 40, x1: px.width, y1: px.height })).toBeGreaterThan(100);
  });

  it("renders every built-in template", async () => {
    const data = JSON.stringify(Array.from({ length: 30 }, (_, i) => ({ actual: `c${i % 3}`, predicted: `c${(i * 7) % 3}`, v: i / 3 })));
    const defs = BUILTIN_TEMPLATES.map((t) =>
      def({
        id: t,
        template: t,
        files: ["d.json"],
        y: [{ file: "d.json", field: t.startsWith("confusion") ? "predicted" : "v" }],
        x: [{ file: "d.json", field: t.startsWith("confusion") ? "actual" : "v" }],
      }),
    );
    const out = await renderPlots(defs, revisions({ "d.json": data }, { "d.json": data }));
    expect(out.map((p) => [p.id, p.error])).toEqual(BUILTIN_TEMPLATES.map((t) => [t, undefined]));
    for (const p of out) expect((await pixels(p.png!)).width).toBeGreaterThan(600);
  });

  it("shows only the head when the base lacks the file", async () => {
    const [plot] = await renderPlots([def({})], revisions({}, { "train.csv": csv(50, (i) => i) }));
    const px = await pixels(plot!.png!);
    expect(countColour(px, PURPLE, 10)).toBeGreaterThan(500);
    expect(countColour(px, TEAL, 10)).toBe(0);
  });

  it("downsamples a long series, says so on the plot, and keeps its extremes", async () => {
    const spike = (i: number) => (i === 123_457 ? 100 : Math.sin(i / 5000));
    const revs = revisions({ "train.csv": csv(200_000, spike) }, { "train.csv": csv(200_000, (i) => Math.cos(i / 5000)) });
    const [plot] = await renderPlots([def({})], revs);
    expect(plot!.error).toBeUndefined();
    expect(plot!.note).toMatch(/^downsampled to [\d,]+ of 200,000 points per series \(min\/max per pixel column\)$/);
    const px = await pixels(plot!.png!);
    expect(countColour(px, PURPLE, 10)).toBeGreaterThan(500);
    expect(countColour(px, TEAL, 10)).toBeGreaterThan(500);

    const all = [];
    for await (const p of preparePlots([def({})], revs)) all.push(p);
    const prepared = all[0];
    if (!prepared?.ok) throw new Error("not prepared");
    const main = prepared.plot.values.filter((v) => v.rev === "main");
    expect(main.length).toBeLessThanOrEqual(4 * 300);
    expect(main.filter((v) => v.loss === "100").map((v) => v.step)).toEqual([123_457]);
    expect(main.at(0)?.step).toBe(0);
    expect(main.at(-1)?.step).toBe(199_999);
    expect((prepared.plot.spec as { title: unknown }).title).toEqual({ text: "loss", subtitle: plot!.note });
  });

  it("gives one error line in place of a plot and still renders the others", async () => {
    const out = await renderPlots([def({ id: "bad", y: [{ file: "train.csv", field: "nope" }] }), def({ id: "good" }), def({ id: "tpl", template: "nope" })], revisions({ "train.csv": csv(5, (i) => i) }, { "train.csv": csv(5, (i) => i) }));
    expect(out.map((p) => p.id)).toEqual(["bad", "good", "tpl"]);
    expect(out[0]!.error).toBe("workspace: Could not find provided field ('nope') in data fields ('step, loss').; main: Could not find provided field ('nope') in data fields ('step, loss').");
    expect(out[1]!.png).toBeInstanceOf(Buffer);
    expect(out[2]!.error).toBe("Template 'nope' not found.");
  });

  it("joins x from a file that only supplies x (x: {file: field})", async () => {
    const files = { "x.tsv": "epoch\n10\n20\n", "y.tsv": "loss\n0.5\n0.4\n" };
    const d = def({ id: "j", files: ["y.tsv"], y: [{ file: "y.tsv", field: "loss" }], x: [{ file: "x.tsv", field: "epoch" }] });
    const all = [];
    for await (const p of preparePlots([d], revisions(files, files))) all.push(p);
    if (!all[0]?.ok) throw new Error("not prepared");
    expect(all[0].plot.values.map((v) => [v.rev, v.epoch, v.loss])).toEqual([
      ["workspace", "10", "0.5"],
      ["workspace", "20", "0.4"],
      ["main", "10", "0.5"],
      ["main", "20", "0.4"],
    ]);
  });

  it("uses a repository template from the head revision", async () => {
    const tpl = JSON.stringify({
      data: { values: "<DVC_METRIC_DATA>" },
      title: "<DVC_METRIC_TITLE>",
      mark: "bar",
      encoding: { x: { field: "<DVC_METRIC_X>", type: "ordinal" }, y: { field: "<DVC_METRIC_Y>", type: "quantitative" }, color: { field: "rev", scale: { range: ["#ff0000", "#00ff00"] } } },
    });
    const files = { "train.csv": csv(5, (i) => i + 1) };
    const [plot] = await renderPlots([def({ template: "plots/bars.json" })], revisions(files, { ...files, "plots/bars.json": tpl }));
    expect(plot!.error).toBeUndefined();
    const px = await pixels(plot!.png!);
    expect(countColour(px, "#00ff00", 10)).toBeGreaterThan(500);
  });
});

describe("text", () => {
  const pool = (fontDirs?: string[]) => {
    const p = new RenderPool({ size: 1, ...(fontDirs ? { fontDirs } : {}) });
    pools.push(p);
    return p;
  };
  const textSpec = (text: string) => ({
    width: 600,
    height: 60,
    data: { values: [{}] },
    config: { font: "DejaVu Sans", view: { stroke: null } },
    mark: { type: "text", fontSize: 40, align: "left", baseline: "middle", x: 0, y: 30, text },
  });
  const inkOf = async (p: RenderPool, text: string) => ink(await pixels((await p.render(textSpec(text))).data));
  const extent = async (p: RenderPool, text: string) => {
    const px = await pixels((await p.render(textSpec(text))).data);
    let lo = Infinity,
      hi = -Infinity;
    for (let x = 0; x < px.width; x++)
      for (let y = 0; y < px.height; y++) {
        const o = (y * px.width + x) * px.channels;
        if (px.data[o]! < 128) {
          lo = Math.min(lo, x);
          hi = Math.max(hi, x);
        }
      }
    return hi - lo + 1;
  };

  it("draws glyphs with the bundled font, not missing-glyph boxes", async () => {
    const p = pool();
    // Real glyphs: a row of "i" has far less ink than a row of "M". Boxes would be equal.
    const [thin, wide] = [await inkOf(p, "iiiiiiii"), await inkOf(p, "MMMMMMMM")];
    expect(thin).toBeGreaterThan(200);
    expect(thin / wide).toBeLessThan(0.5);
  });

  it("the same check fails when no font is available (so it proves the font)", async () => {
    const p = pool([tempDir("mlreview-nofonts-")]);
    const [thin, wide] = [await inkOf(p, "iiiiiiii"), await inkOf(p, "MMMMMMMM")];
    expect(thin / wide).toBeGreaterThan(0.8);
  });

  it("measures text as wide as it is drawn", async () => {
    const width = textWidthFunction(bundledFontDir());
    const text = "Validation loss (epoch)";
    const expected = width({ fontSize: 40 }, text) * 2; // 2× density
    expect(Math.abs((await extent(pool(), text)) - expected)).toBeLessThan(0.03 * expected);
  });
});
