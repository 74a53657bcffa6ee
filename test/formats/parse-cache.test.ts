// parseStructured parses a file's bytes once (src/formats/parse-cache.ts): what a caller gets must be
// what a fresh parse gives, whatever earlier callers did with theirs.
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, parseStructured, type Obj } from "../../src/formats/index.js";
import { PARSE_CACHE_BYTES, PARSE_CACHE_MAX_ENTRY_BYTES } from "../../src/formats/parse-cache.js";

const yaml = Buffer.from("train:\n  lr: 0.1\n  layers: [1, 2.0]\n__proto__: {polluted: true}\n");

describe("parseStructured's cache", () => {
  it("each caller gets its own copy: changing one does not change the next parse", () => {
    const first = parseStructured("params.yaml", yaml);
    if (!first.ok) throw new Error(first.error);
    const train = (first.value as Obj).train as Obj;
    train.lr = 99;
    (train.layers as unknown[]).push(3n);
    delete (first.value as Obj).__proto__;

    const second = parseStructured("params.yaml", yaml);
    expect(second).toEqual({ ok: true, value: { train: { lr: 0.1, layers: [1n, 2.0] }, ["__proto__"]: { polluted: true } } });
    // A hostile `__proto__` key stays a plain key of a null-prototype object in the copy too.
    const v = (second as { value: Obj }).value;
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(Object.getPrototypeOf(v.__proto__)).toBeNull();
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it("the same bytes under other limits or in another format are parsed again", () => {
    const deep = Buffer.from('{"a": {"b": {"c": 1}}}');
    expect(parseStructured("m.json", deep).ok).toBe(true);
    expect(parseStructured("m.json", deep, { ...DEFAULT_LIMITS, maxDepth: 2 })).toEqual({ ok: false, error: expect.stringMatching(/nesting deeper than 2 levels/) });
    // JSON is YAML too, but a .toml path is TOML: not the JSON parse's result.
    expect(parseStructured("m.toml", deep).ok).toBe(false);
  });

  it("a bad file's error is the same the second time; files past the entry cap and a full cache still parse", () => {
    const bad = Buffer.from("acc: [1, 2\nloss: 3\n");
    const once = parseStructured("bad.yaml", bad);
    expect(once.ok).toBe(false);
    expect(parseStructured("bad.yaml", bad)).toEqual(once);

    const big = Buffer.from(`{"xs": [${Array.from({ length: PARSE_CACHE_MAX_ENTRY_BYTES / 2 + 100 }, (_, i) => i % 10).join(",")}]}`);
    expect(big.length).toBeGreaterThan(PARSE_CACHE_MAX_ENTRY_BYTES);
    expect(parseStructured("big.json", big)).toMatchObject({ ok: true });

    // More distinct files than the cache holds: the oldest are dropped, every parse is still right.
    const pad = "x".repeat(PARSE_CACHE_MAX_ENTRY_BYTES / 2);
    const n = Math.ceil((2 * PARSE_CACHE_BYTES) / pad.length);
    for (let i = 0; i < n; i++) expect(parseStructured("p.json", Buffer.from(`{"i": ${i}, "pad": "${pad}"}`))).toMatchObject({ ok: true, value: { i: BigInt(i) } });
    expect(parseStructured("p.json", Buffer.from(`{"i": 0, "pad": "${pad}"}`))).toMatchObject({ ok: true, value: { i: 0n } });
  });
});
