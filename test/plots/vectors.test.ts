// Every plots vector of shared/fixtures/dvc-vectors.json (copied to fixtures/), with DVC's expected values.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { convert, flatDatapoints, sourceFromContent, type DvcPlotProperties } from "../../src/plots/datapoints.js";
import { preparePlots, renderPlots } from "../../src/plots/index.js";
import type { PlotDefinition } from "../../src/project/types.js";
import { countColour, memTree, pixels } from "./helpers.js";

interface Vector {
  name: string;
  kind: "plots_convert" | "plots_render";
  input?: { plot_id: string; revision: string; data: Record<string, unknown>; properties: DvcPlotProperties };
  old?: Record<string, string>;
  new?: Record<string, string>;
  call?: { revisions_resolved: string[] };
  expected: Record<string, any>;
}

const { vectors } = JSON.parse(readFileSync(new URL("./fixtures/dvc-plots-vectors.json", import.meta.url), "utf8")) as { vectors: Vector[] };

describe("DVC plots_convert vectors", () => {
  const cases = vectors.filter((v) => v.kind === "plots_convert");
  it("are all present", () => expect(cases.length).toBe(2));
  for (const v of cases) {
    it(v.name, () => {
      const { plot_id, revision, data, properties } = v.input!;
      const sources = new Map(Object.entries(data).map(([f, c]) => [f, sourceFromContent(c)]));
      const conv = convert(plot_id, sources, properties);
      expect(flatDatapoints(conv, revision)).toEqual(v.expected.datapoints);
      const { anchors_y_definitions, x, y, x_label, y_label } = conv;
      expect({ anchors_y_definitions, x, y, x_label, y_label }).toEqual(v.expected.properties);
    });
  }
});

describe("DVC plots_render vectors", () => {
  const cases = vectors.filter((v) => v.kind === "plots_render");
  it("are all present", () => expect(cases.length).toBe(1));
  for (const v of cases) {
    // dvc.yaml: stage plot `linear.json: {title: linear, x: x}`, as the project reader declares it.
    const def: PlotDefinition = {
      id: "linear.json",
      origin: "dvc.yaml",
      files: ["linear.json"],
      y: [],
      x: [{ file: "linear.json", field: "x" }],
      template: "linear",
      title: "linear",
      header: true,
    };
    const [oldRev, newRev] = v.call!.revisions_resolved as [string, string];
    const revisions = [
      { label: oldRev, tree: memTree(oldRev, v.old!) },
      { label: newRev, tree: memTree(newRev, v.new!) },
    ];

    it(`${v.name}: merged data, revisions, title and labels`, async () => {
      const prepared = [];
      for await (const p of preparePlots([def], revisions)) prepared.push(p);
      expect(prepared).toHaveLength(1);
      const p = prepared[0]!;
      if (!p.ok) throw new Error(p.error);
      expect(p.plot.values).toEqual(v.expected.data_values);
      expect(new Set(p.plot.revs)).toEqual(new Set(v.expected.revisions_set));
      expect(p.plot.title).toBe(v.expected.title);
      expect(p.plot.x_label).toBe(v.expected.x_label);
      expect(p.plot.y_label).toBe(v.expected.y_label);
      const spec = p.plot.spec as any;
      expect(spec.data.values).toEqual(v.expected.data_values);
      expect(spec.title).toBe("linear");
      expect(spec.encoding.x.title).toBe("x");
      expect(spec.encoding.y.title).toBe("y");
    });

    it(`${v.name}: renders both revisions in DVC's colours`, async () => {
      const [plot] = await renderPlots([def], revisions);
      expect(plot?.error).toBeUndefined();
      const px = await pixels(plot!.png!);
      // 300×300 plot area at 2× density, plus axes, title and legend.
      expect(px.width).toBeGreaterThan(700);
      expect(px.height).toBeGreaterThan(650);
      expect(countColour(px, "#945dd6", 10)).toBeGreaterThan(1000);
      expect(countColour(px, "#13adc7", 10)).toBeGreaterThan(1000);
    });
  }
});
