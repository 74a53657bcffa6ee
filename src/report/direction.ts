import picomatch from "picomatch";

export type Direction = "higher" | "lower";

const LOWER = /(^|[._\-\s])(loss|error|err|rmse|mse|mae|mape|wer|cer|perplexity|ppl|latency|fpr|fnr)([._\-\s]|$)/i;
const HIGHER = /(^|[._\-\s])(acc|accuracy|f1|auc|roc_auc|precision|recall|map|iou|bleu|rouge|r2|score|top1|top5)([._\-\s]|$)/i;

/** Does a key from the config (`eval.accuracy`, `loss`, `eval.*`) name this metric? */
export function keyMatches(pattern: string, key: string): boolean {
  if (pattern === key) return true;
  if (!pattern.includes(".") && key.split(".").pop() === pattern) return true;
  return picomatch.scan(pattern).isGlob && picomatch(pattern, { dot: true })(key);
}

/** Which way is better: the config's word first, else the metric's name; undefined when neither says. */
export function directionOf(key: string, configured: Record<string, Direction>): Direction | undefined {
  for (const [pattern, dir] of Object.entries(configured)) if (keyMatches(pattern, key)) return dir;
  const last = key.split(".").pop() ?? key;
  if (LOWER.test(last)) return "lower";
  if (HIGHER.test(last)) return "higher";
  return undefined;
}
