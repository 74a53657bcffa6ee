import { describe, expect, it } from "vitest";
import { gridPoints, m4 } from "../../src/plots/downsample.js";

describe("m4", () => {
  it("keeps first, last, lowest and highest point of every pixel column", () => {
    const n = 10_000;
    const xs = Float64Array.from({ length: n }, (_, i) => i);
    const ys = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 50) + (i === 4321 ? 9 : 0) - (i === 777 ? 9 : 0));
    const keep = m4(xs, ys, 100);
    expect(keep.length).toBeLessThanOrEqual(400);
    expect(keep).toEqual([...keep].sort((a, b) => a - b));
    expect(keep).toContain(0);
    expect(keep).toContain(n - 1);
    expect(keep).toContain(4321);
    expect(keep).toContain(777);
    // Every column's min and max y are kept, so each column's vertical extent is unchanged.
    for (let c = 0; c < 100; c++) {
      const all = [...ys.subarray(c * 100, c * 100 + 100)];
      const kept = keep.filter((i) => i >= c * 100 && i < c * 100 + 100).map((i) => ys[i]!);
      expect([Math.min(...kept), Math.max(...kept)]).toEqual([Math.min(...all), Math.max(...all)]);
    }
  });

  it("ignores points that Vega would not draw", () => {
    const keep = m4(Float64Array.from([0, 1, NaN, 3]), Float64Array.from([1, NaN, 2, 3]), 10);
    expect(keep).toEqual([0, 3]);
  });
});

describe("gridPoints", () => {
  it("keeps one point per occupied pixel cell", () => {
    const xs = Float64Array.from([0, 0.001, 5, 10, 10]);
    const ys = Float64Array.from([0, 0.001, 5, 10, 10]);
    expect(gridPoints(xs, ys, 10, 10)).toEqual([0, 2, 3]);
  });
});
