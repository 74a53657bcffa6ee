import { describe, expect, it } from "vitest";
import { parseJson } from "../../src/formats/json.js";
import { FormatError } from "../../src/formats/errors.js";

describe("lossless JSON (Python json.loads semantics)", () => {
  it("keeps ints and floats apart, exactly", () => {
    const v = parseJson('{"i": 2, "f": 2.0, "e": 1e3, "big": 123456789012345678901234567890, "neg": -0, "nf": -0.0}', 8) as Record<string, unknown>;
    expect(v.i).toBe(2n);
    expect(v.f).toBe(2);
    expect(v.e).toBe(1000);
    expect(v.big).toBe(123456789012345678901234567890n);
    expect(v.neg).toBe(0n);
    expect(Object.is(v.nf, -0)).toBe(true);
  });

  it("accepts NaN and ±Infinity, keeps the last of duplicated keys, treats __proto__ as a plain key", () => {
    const v = parseJson('{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1, "d": 2, "__proto__": {"polluted": 1}}', 8) as Record<string, unknown>;
    expect(v.a).toBeNaN();
    expect(v.b).toBe(Infinity);
    expect(v.c).toBe(-Infinity);
    expect(v.d).toBe(2n);
    expect(Object.keys(v)).toContain("__proto__");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("decodes escapes and surrogate pairs", () => {
    expect(parseJson('"a\\u00e9\\ud83d\\ude00\\n\\/"', 2)).toBe("aé😀\n/");
  });

  const bad: [string, string][] = [
    ['{"a": 1,}', "invalid JSON at line 1 column 9: expected a property name in double quotes"],
    ["[1 2]", "invalid JSON at line 1 column 4: expected ',' or ']'"],
    ['{"a": 01}', "invalid JSON at line 1 column 8: expected ',' or '}'"],
    ["{'a': 1}", "invalid JSON at line 1 column 2: expected a property name in double quotes"],
    ['"tab\there"', "invalid JSON at line 1 column 5: control character in a string"],
    ['{\n"a": tru}', "invalid JSON at line 2 column 6: unexpected 't'"],
    ["[1.]", "invalid JSON at line 1 column 4: invalid number: digits expected after '.'"],
    ["", "invalid JSON at line 1 column 1: unexpected end of file"],
    ["{} x", "invalid JSON at line 1 column 4: unexpected content after the end of the document"],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      expect(() => parseJson(text, 8)).toThrow(new FormatError(message));
    });
  }

  it("stops at the depth limit instead of overflowing the stack", () => {
    expect(() => parseJson("[".repeat(100_000), 512)).toThrow(/nesting deeper than 512 levels/);
    expect(parseJson("[".repeat(512) + "]".repeat(512), 512)).toBeInstanceOf(Array);
  });
});
