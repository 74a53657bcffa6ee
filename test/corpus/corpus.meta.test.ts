// The corpus README lists exactly the registry's cases, and every case is driven by a test file.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CASES } from "./cases.js";

const here = new URL("./", import.meta.url);
const read = (f: string) => readFileSync(new URL(f, here), "utf8");

describe("the corpus registry", () => {
  it("has at least 60 distinct cases", () => {
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  it("README.md lists every case, and only those", () => {
    const rows = read("README.md")
      .split("\n")
      .filter((l) => /^\| [A-Z]\d\d \|/.test(l));
    expect(rows.map((l) => l.split(" | ")[0]!.slice(2))).toEqual(CASES.map((c) => c.id));
    for (const c of CASES) expect(rows).toContain(`| ${[c.id, c.category, c.attacks, c.expected].map((s) => s.replace(/\|/g, "\\|")).join(" | ")} |`);
  });

  it("every case is run by a test file", () => {
    const tests = readdirSync(here)
      .filter((f) => f.endsWith(".test.ts") && f !== "corpus.meta.test.ts")
      .map(read)
      .join("\n");
    for (const c of CASES) expect(tests, c.id).toMatch(new RegExp(`(id: |title\\()"${c.id}"`));
  });
});
