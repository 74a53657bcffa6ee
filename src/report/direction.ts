import { Budget, type StepBudget } from "../formats/budget.js";
import { compileGlob } from "../formats/glob.js";

export type Direction = "higher" | "lower";

const LOWER = /(^|[._\-\s])(loss|error|err|rmse|mse|mae|mape|wer|cer|perplexity|ppl|latency|fpr|fnr)([._\-\s]|$)/i;
const HIGHER = /(^|[._\-\s])(acc|accuracy|f1|auc|roc_auc|precision|recall|map|iou|bleu|rouge|r2|score|top1|top5)([._\-\s]|$)/i;

/**
 * Glob steps one config's `direction` (or `thresholds`) may spend against a report's metric keys. Each
 * match is linear (formats/glob.ts), but a thousand patterns against a hundred thousand keys still add
 * up: past this, patterns stop matching, names decide, and the report says so.
 */
export const MAX_KEY_MATCH_STEPS = 200_000_000;

const budgets = new WeakMap<object, Budget<"matchSteps">>();

/** The matching budget of one config section (its direction record or thresholds list). */
export function keyBudget(owner: object): Budget<"matchSteps"> {
  let b = budgets.get(owner);
  if (!b) budgets.set(owner, (b = new Budget({ matchSteps: MAX_KEY_MATCH_STEPS })));
  return b;
}

/** Does a key from the config (`eval.accuracy`, `loss`, `eval.*`) name this metric? */
export function keyMatches(pattern: string, key: string, budget?: StepBudget): boolean {
  if (pattern === key) return true;
  if (!pattern.includes(".") && key.slice(key.lastIndexOf(".") + 1) === pattern) return true;
  const glob = compileGlob(pattern);
  return glob.isGlob && glob.match(key, budget);
}

/** Which way is better: the config's word first, else the metric's name; undefined when neither says. */
export function directionOf(key: string, configured: Record<string, Direction>): Direction | undefined {
  const budget = keyBudget(configured);
  for (const [pattern, dir] of Object.entries(configured)) if (keyMatches(pattern, key, budget)) return dir;
  const last = key.split(".").pop() ?? key;
  if (LOWER.test(last)) return "lower";
  if (HIGHER.test(last)) return "higher";
  return undefined;
}

/** One line per config section whose matching budget ran out (empty when none did). */
export function keyMatchProblems(sections: Record<string, object>): string[] {
  return Object.entries(sections)
    .filter(([, owner]) => budgets.get(owner)?.isSpent("matchSteps"))
    .map(([name]) => `${name}: matching its patterns took more than ${MAX_KEY_MATCH_STEPS.toLocaleString("en-US")} steps; the remaining metrics were not matched`);
}
