import type { Threshold } from "../project/types.js";
import { keyBudget, keyMatches } from "./direction.js";
import type { MetricRow } from "./rows.js";

export interface Breach {
  metric: string;
  path: string;
  reason: string;
}

/**
 * Regression gates from the config: `max_drop` / `max_rise` on the change, `min` / `max` on the head value.
 * A gated metric missing from the head is a breach too: a gate that silently passes is worse than none.
 */
export function checkThresholds(rows: readonly MetricRow[], thresholds: readonly Threshold[]): Breach[] {
  const breaches: Breach[] = [];
  const budget = keyBudget(thresholds);
  for (const t of thresholds) {
    const matching = rows.filter((r) => keyMatches(t.metric, r.key, budget));
    if (matching.length === 0) {
      breaches.push({ metric: t.metric, path: "", reason: `${t.metric}: no such metric in the head revision` });
      continue;
    }
    for (const r of matching) {
      const name = `${r.key} (${r.path})`;
      const head = typeof r.new === "number" || typeof r.new === "bigint" ? Number(r.new) : undefined;
      if (head === undefined) {
        breaches.push({ metric: r.key, path: r.path, reason: `${name} has no numeric value in the head revision` });
        continue;
      }
      const diff = r.diff === undefined ? undefined : Number(r.diff);
      if (t.max_drop !== undefined && diff !== undefined && -diff > t.max_drop) {
        breaches.push({ metric: r.key, path: r.path, reason: `${name} dropped by ${round(-diff)} (max_drop ${t.max_drop})` });
      }
      if (t.max_rise !== undefined && diff !== undefined && diff > t.max_rise) {
        breaches.push({ metric: r.key, path: r.path, reason: `${name} rose by ${round(diff)} (max_rise ${t.max_rise})` });
      }
      if (t.min !== undefined && head < t.min) breaches.push({ metric: r.key, path: r.path, reason: `${name} is ${head}, below the minimum ${t.min}` });
      if (t.max !== undefined && head > t.max) breaches.push({ metric: r.key, path: r.path, reason: `${name} is ${head}, above the maximum ${t.max}` });
    }
  }
  return breaches;
}

const round = (n: number) => +n.toPrecision(6);
