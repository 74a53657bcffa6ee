// DVC converter behaviours beyond the vectors, with DVC's texts (dvc/render/converter/vega.py).
import { describe, expect, it } from "vitest";
import { convert, flatDatapoints, sourceFromContent, sourceFromTable } from "../../src/plots/datapoints.js";
import { parsePlotData } from "../../src/plots/data.js";
import { propertiesOf } from "../../src/plots/definition.js";
import type { PlotDefinition } from "../../src/project/types.js";

const src = (content: unknown) => sourceFromContent(content);

describe("datapoints", () => {
  it("overwrites a step column with the row index when x is not given", () => {
    const conv = convert(
      "f",
      new Map([
        [
          "f",
          src([
            { step: 10, v: 1 },
            { step: 20, v: 2 },
          ]),
        ],
      ]),
      {},
    );
    expect(flatDatapoints(conv, "r").map((d) => d.step)).toEqual([0, 1]);
  });

  it("puts several y fields into dvc_inferred_y_value and labels the axis y", () => {
    const conv = convert("f", new Map([["f", src([{ a: 1, b: 2 }])]]), { y: ["a", "b"] });
    expect(conv.y).toBe("dvc_inferred_y_value");
    expect(conv.y_label).toBe("y");
    expect(flatDatapoints(conv, "r")).toEqual([
      { a: 1, b: 2, dvc_inferred_y_value: 1, step: 0, rev: "r", filename: "f", field: "a" },
      { a: 1, b: 2, dvc_inferred_y_value: 2, step: 0, rev: "r", filename: "f", field: "b" },
    ]);
  });

  it("puts distinct x fields into dvc_inferred_x_value", () => {
    const files = new Map([
      ["a", src([{ e: 1, y: 5 }])],
      ["b", src([{ t: 7, y: 6 }])],
    ]);
    const conv = convert("a", files, { x: { a: "e", b: "t" }, y: { a: "y", b: "y" } });
    expect(conv.x).toBe("dvc_inferred_x_value");
    expect(conv.x_label).toBe("x");
    expect(flatDatapoints(conv, "r").map((d) => d.dvc_inferred_x_value)).toEqual([1, 7]);
  });

  it("strips the common directory of the y files from filename", () => {
    const files = new Map([
      ["logs/train/loss.json", src([{ v: 1 }])],
      ["logs/eval/loss.json", src([{ v: 2 }])],
    ]);
    const conv = convert("x", files, { y: { "logs/train/loss.json": "v", "logs/eval/loss.json": "v" } });
    expect(conv.anchors_y_definitions.map((d) => d.filename)).toEqual(["train/loss.json", "eval/loss.json"]);
  });

  it("joins x from another file by index, with DVC's error for different lengths", async () => {
    const x = await parsePlotData("x.tsv", Buffer.from("t\n1\n2\n"));
    const y = await parsePlotData("y.tsv", Buffer.from("v\n0.1\n0.2\n0.3\n"));
    const files = new Map([
      ["x.tsv", x],
      ["y.tsv", y],
    ]);
    expect(() => convert("y.tsv", files, { x: { "x.tsv": "t" }, y: { "y.tsv": "v" } })).toThrow("Cannot join 't' from 'x.tsv' and 'v' from 'y.tsv'. They have to have same length.");
    const ok = convert(
      "y.tsv",
      new Map([
        ["x.tsv", x],
        ["y.tsv", await parsePlotData("y.tsv", Buffer.from("v\n0.1\n0.2\n"))],
      ]),
      {
        x: { "x.tsv": "t" },
        y: { "y.tsv": "v" },
      },
    );
    // CSV/TSV values stay strings, as DVC's DictReader gives them.
    expect(flatDatapoints(ok, "r")).toEqual([
      { v: "0.1", t: "1", rev: "r", filename: "y.tsv", field: "v" },
      { v: "0.2", t: "2", rev: "r", filename: "y.tsv", field: "v" },
    ]);
  });

  it("raises FieldNotFoundError with DVC's text", () => {
    expect(() => convert("f", new Map([["f", src([{ a: 1, b: 2 }])]]), { y: "c" })).toThrow("Could not find provided field ('c') in data fields ('a, b').");
  });

  it("rejects different numbers of x and y sources as DVC does", () => {
    const files = new Map([
      ["a", src([{ x: 1, y: 1, z: 1 }])],
      ["b", src([{ x: 1, y: 1 }])],
    ]);
    expect(() => convert("a", files, { x: { a: ["x", "z"], b: "x" }, y: { a: "y", b: "y" } })).toThrow("Cannot have different number of x and y data sources. Found 3 x and 2 y data sources.");
  });

  it("merges lists of records found at any depth by index", () => {
    const s = src({ a: [{ v: 1 }], b: { c: [{ z: 3 }] }, skip: [1, 2] });
    expect(s.table.row(0)).toEqual({ v: 1, z: 3 });
  });

  it("infers y from the last key of the first row, and the last CSV column", async () => {
    expect(src({ metric: [{ a: 1, b: 2 }] }).inferredY).toBe("b");
    expect(sourceFromTable((await parsePlotData("f.csv", Buffer.from("a,b,c\n1,2,3\n"))).table).inferredY).toBe("c");
  });
});

describe("plot definitions as DVC properties", () => {
  const def = (over: Partial<PlotDefinition>): PlotDefinition => ({
    id: "p",
    origin: "dvc.yaml",
    files: ["a.csv"],
    y: [],
    x: undefined,
    template: "linear",
    header: true,
    ...over,
  });
  const sources = new Map([
    ["a.csv", src([{ s: 1, l: 2 }])],
    ["b.csv", src([{ s: 1, m: 2 }])],
  ]);

  it("leaves y to DVC's inference for a bare path", () => {
    expect(propertiesOf(def({}), sources)).toEqual({});
  });
  it("reads the same x field from each y file (DVC's string x)", () => {
    const d = def({
      files: ["a.csv", "b.csv"],
      y: [
        { file: "a.csv", field: "l" },
        { file: "b.csv", field: "m" },
      ],
      x: [
        { file: "a.csv", field: "s" },
        { file: "b.csv", field: "s" },
      ],
    });
    expect(propertiesOf(d, sources)).toEqual({ x: "s", y: { "a.csv": "l", "b.csv": "m" } });
  });
  it("joins a single x from another file by index (DVC's {file: field} x)", () => {
    const d = def({ files: ["a.csv", "b.csv"], y: [{ file: "b.csv", field: "m" }], x: [{ file: "a.csv", field: "s" }] });
    expect(propertiesOf(d, sources)).toEqual({ x: { "a.csv": "s" }, y: { "b.csv": "m" } });
  });
  it("infers y for a file listed without fields next to one with fields", () => {
    const d = def({ files: ["a.csv", "b.csv"], y: [{ file: "a.csv", field: "s" }] });
    expect(propertiesOf(d, sources)).toEqual({ y: { "a.csv": "s", "b.csv": "m" } });
  });
});
