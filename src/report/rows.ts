import type { Diff } from "../compare/diff.js";
import { pyRound, pyStr } from "../python/format.js";
import type { Value } from "../formats/value.js";
import { directionOf, type Direction } from "./direction.js";
import { md } from "./escape.js";

export type Verdict = "improved" | "regressed" | "changed" | "added" | "removed" | "unchanged";

export interface MetricRow {
  path: string;
  key: string;
  old: Value;
  new: Value;
  /** new - old, an int (bigint) when both sides are ints, as DVC computes it. */
  diff: bigint | number | undefined;
  /** Relative change in percent; undefined when the base is 0 or not a number. */
  pct: number | undefined;
  direction: Direction | undefined;
  verdict: Verdict;
}

/** Every metric of the diff (computed with unchanged entries) with its verdict, in path/key order. */
export function metricRows(diff: Diff, configured: Record<string, Direction>): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const [path, entries] of diff) {
    for (const [key, e] of entries) {
      const diffNum = e.diff === undefined ? undefined : Number(e.diff);
      const oldNum = typeof e.old === "boolean" || e.old === null || typeof e.old === "string" ? undefined : Number(e.old);
      const pct = diffNum !== undefined && oldNum !== undefined && oldNum !== 0 && Number.isFinite(diffNum) ? (diffNum / Math.abs(oldNum)) * 100 : undefined;
      const direction = directionOf(key, configured);
      rows.push({ path, key, old: e.old, new: e.new, diff: e.diff, pct, direction, verdict: verdictOf(e.old, e.new, diffNum, direction) });
    }
  }
  return rows;
}

function verdictOf(oldV: Value, newV: Value, diff: number | undefined, dir: Direction | undefined): Verdict {
  if (oldV === null && newV !== null) return "added";
  if (newV === null && oldV !== null) return "removed";
  if (diff === undefined) return oldV === newV ? "unchanged" : "changed";
  if (diff === 0 || Number.isNaN(diff)) return Number.isNaN(diff) ? "changed" : "unchanged";
  if (!dir) return "changed";
  return diff > 0 === (dir === "higher") ? "improved" : "regressed";
}

/**
 * A value as the DVC table shows it (Python's str(), floats rounded to `precision` decimals), as
 * Markdown: strings come from the repository and are escaped, numbers are ours.
 */
export function cellValue(v: Value | undefined, precision: number): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "string") return md(v);
  return md(pyStr(typeof v === "number" ? pyRound(v, precision) : v));
}

/** A change with its sign, rounded like the values (ints stay ints). */
export function signed(n: bigint | number, precision: number): string {
  const text = typeof n === "bigint" ? n.toString() : pyStr(pyRound(n, precision));
  return n > 0 ? `+${text}` : text;
}

export function percent(pct: number): string {
  const abs = Math.abs(pct);
  const text = abs >= 100 ? abs.toFixed(0) : abs >= 10 ? abs.toFixed(1) : abs.toFixed(2);
  return `${pct > 0 ? "+" : pct < 0 ? "-" : ""}${text}%`;
}
