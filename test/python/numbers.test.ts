import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { pyFloatRepr, pyRepr, pyRound } from "../../src/python/format.js";
import { parseJson } from "../../src/formats/json.js";

/** Doubles that stress repr thresholds and rounding ties: binary fractions, powers of ten, noise. */
function samples(): number[] {
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out: number[] = [0, -0, 0.1, 0.5, 1.5, 2.5, -2.5, 1e-4, 1e-5, 9.99999e-5, 1e15, 1e16, 9999999999999998, 1e21, 1e22, 123456789.123456, 5e-324, 1.7976931348623157e308];
  for (let i = 0; i < 600; i++) {
    out.push((Math.floor(rnd() * 2 ** 20) - 2 ** 19) / 2 ** Math.floor(rnd() * 24)); // exact binary fractions: ties
    out.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20));
    out.push(Math.round(rnd() * 1e6) / 1e6);
  }
  return out;
}

describe("Python float formatting, checked against CPython on this machine", () => {
  const xs = samples();
  const script = `
import json, sys
xs = [float(s) for s in json.load(sys.stdin)]
print(json.dumps([[repr(x), repr(round(x, 5)), repr(round(x, 3)), repr(round(x, 0))] for x in xs]))`;
  const expected = JSON.parse(execFileSync("python3", ["-c", script], { input: JSON.stringify(xs.map((x) => (Object.is(x, -0) ? "-0.0" : x.toString()))), encoding: "utf8" })) as string[][];

  it(`repr and round(x, n) agree on ${xs.length} values`, () => {
    const mismatches = xs.map((x, i) => ({ x, want: expected[i]!, got: [pyFloatRepr(x), pyFloatRepr(pyRound(x, 5)), pyFloatRepr(pyRound(x, 3)), pyFloatRepr(pyRound(x, 0))] })).filter((r) => r.got.join() !== r.want.join());
    expect(mismatches).toEqual([]);
  });

  it("round() breaks exact ties to even, unlike toFixed", () => {
    expect((0.015625).toFixed(5)).toBe("0.01563");
    expect(pyFloatRepr(pyRound(0.015625, 5))).toBe("0.01562");
    expect(pyFloatRepr(pyRound(0.375, 2))).toBe("0.38");
  });
});

describe("Python repr of params values", () => {
  it("lists, strings with quotes, nested dicts, None and booleans", () => {
    const v = parseJson(`[1, 2.0, "it's", "a\\"b", "back\\\\slash\\n", null, true, {"k": [false]}]`, 16);
    expect(pyRepr(v)).toBe(`[1, 2.0, "it's", 'a"b', 'back\\\\slash\\n', None, True, {'k': [False]}]`);
  });
});
