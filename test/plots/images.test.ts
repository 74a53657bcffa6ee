import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { collectImages, imagePlotPaths, renderPlots } from "../../src/plots/index.js";
import { memTree, pixels } from "./helpers.js";

const png = (hex: string) =>
  sharp({ create: { width: 4, height: 3, channels: 3, background: hex } })
    .png()
    .toBuffer();

describe("collectImages", () => {
  it("gives each image at base and head, side by side, with errors per side", async () => {
    const [red, blue] = [await png("#ff0000"), await png("#0000ff")];
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10" fill="#00ff00"/><image href="/etc/passwd" width="5" height="5"/></svg>`;
    const revs = [
      { label: "main", tree: memTree("main", { "cm.png": red, "fake.png": "not a png" }) },
      { label: "workspace", tree: memTree("workspace", { "cm.png": blue, "plot.svg": svg, "fake.png": "nope" }) },
    ];
    const out = await collectImages(["cm.png", "plot.svg", "fake.png", "cm.png"], revs);
    expect(out.map((i) => i.path)).toEqual(["cm.png", "plot.svg", "fake.png"]);
    const [cm, vector, fake] = out as [(typeof out)[0], (typeof out)[0], (typeof out)[0]];
    expect(cm.sides.map((s) => [s.label, s.type])).toEqual([
      ["main", "image/png"],
      ["workspace", "image/png"],
    ]);
    expect(cm.sides[0]!.data!.equals(red)).toBe(true);
    expect(cm.sides[1]!.data!.equals(blue)).toBe(true);
    expect(vector.sides[0]).toEqual({ label: "main", error: "no such file" });
    // SVG is rasterised in the sandbox: what is published is a PNG, never the SVG itself.
    const px = await pixels(vector.sides[1]!.data!);
    expect([vector.sides[1]!.type, px.width, px.height]).toEqual(["image/png", 20, 10]);
    expect(fake.sides.map((s) => s.error)).toEqual(["not a valid PNG file", "not a valid PNG file"]);
  });

  it("leaves image plots to collectImages", async () => {
    const defs = [{ id: "cm.png", origin: "dvc.yaml", files: ["cm.png"], y: [], x: undefined, template: "linear", header: true }];
    expect(imagePlotPaths(defs)).toEqual(["cm.png"]);
    expect(await renderPlots(defs, [{ label: "main", tree: memTree("main", {}) }])).toEqual([]);
  });
});
