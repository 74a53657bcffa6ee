import { readFileSync } from "node:fs";
import { parseJson } from "../../src/formats/json.js";
import { toPlain, type Value } from "../../src/formats/value.js";

/** Fixture JSON read losslessly (2.0 stays a float, 2 an int) — values compared with the CLI's output. */
export function typedFixture(name: string): Value {
  return parseJson(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8"), 512);
}

export interface Vector {
  name: string;
  kind: string;
  call: { a_rev?: string; b_rev?: string; all?: boolean; targets?: string[]; argv?: string[]; precision?: number };
  old: Record<string, string> | null;
  new: Record<string, string> | null;
  input?: unknown;
  expected: Record<string, unknown>;
  markdown: string | null;
  markdown_derived?: string;
}

export function vectors(kinds: string[]): { plain: Vector; typed: Value }[] {
  const typed = typedFixture("dvc-vectors.json") as unknown as { vectors: Value[] };
  return typed.vectors.map((t) => ({ plain: toPlain(t) as unknown as Vector, typed: t })).filter((v) => kinds.includes(v.plain.kind));
}
