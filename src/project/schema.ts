import { z } from "zod";
import { globProblem } from "../formats/glob.js";

/** The repository config file (.mlreview.yml), DESIGN §2. Strict: a misspelt key is an error, not ignored. */

const path = z.string().min(1, "expected a non-empty path");

/**
 * A key glob the repository writes (formats/glob.ts): extglob and regex syntax is refused, naming the
 * pattern. Paths are not: file names hold `(`, `+` and `@` (`run (1).json`, `c++.json`), which the
 * matcher takes literally.
 */
const pattern = (empty: string) =>
  z
    .string()
    .min(1, empty)
    .superRefine((p, ctx) => {
      const why = globProblem(p);
      if (why) ctx.addIssue({ code: "custom", message: `'${p.length > 80 ? `${p.slice(0, 80)}…` : p}': ${why}` });
    });
const keyPattern = pattern("expected a non-empty key");
const stringList = z.union([path, z.array(path)]);

export const TEMPLATES = ["linear", "simple", "scatter", "smooth", "confusion", "confusion_normalized", "bar_horizontal", "bar_horizontal_sorted"] as const;

const plot = z.strictObject({
  id: z.string().min(1).optional(),
  file: path.optional(),
  files: z.array(path).optional(),
  x: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
  y: z.union([z.string(), z.array(z.string()), z.record(z.string(), z.union([z.string(), z.array(z.string())]))]).optional(),
  template: z.string().min(1).optional(),
  title: z.string().optional(),
  x_label: z.string().optional(),
  y_label: z.string().optional(),
  header: z.boolean().optional(),
});

const threshold = z
  .strictObject({
    metric: keyPattern,
    max_drop: z.number().nonnegative().optional(),
    max_rise: z.number().nonnegative().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .refine((t) => t.max_drop !== undefined || t.max_rise !== undefined || t.min !== undefined || t.max !== undefined, {
    message: "expected at least one of max_drop, max_rise, min, max",
  });

export const configSchema = z.strictObject({
  metrics: stringList.optional(),
  params: z.array(z.union([path, z.record(path, z.array(keyPattern).nullable())])).optional(),
  plots: z.array(z.union([path, plot])).optional(),
  images: stringList.optional(),
  direction: z.record(keyPattern, z.enum(["higher", "lower"])).optional(),
  thresholds: z.array(threshold).optional(),
  artifacts: z.strictObject({ name: z.string().min(1).default("mlreview"), workflow: z.string().optional() }).optional(),
  precision: z.number().int().min(1).max(15).optional(),
});

export type Config = z.infer<typeof configSchema>;
export type PlotConfig = z.infer<typeof plot>;

/** dvc.yaml, as far as mlreview reads it (dvc/schema.py); other keys (cmd, deps, outs, ...) pass through. */
const out = z.union([path, z.record(path, z.record(z.string(), z.unknown()).nullable())]);
const stage = z.looseObject({
  wdir: z.string().optional(),
  params: z.array(z.union([z.string(), z.record(path, z.array(z.string()).nullable())])).optional(),
  metrics: z.array(out).optional(),
  plots: z.array(out).optional(),
  // DVC 2's `live:` (DVCLive 0.x/1.x) was removed in DVC 3.0, whose schema then refuses the whole dvc.yaml.
  live: z.custom<never>(() => false, { message: "the stage key 'live' was removed in DVC 3.0, which refuses this dvc.yaml (declare DVCLive's files under metrics:/plots:)" }).optional(),
});
const dvcPlot = z.union([path, z.record(z.string(), plot.omit({ id: true, file: true, files: true }).nullable())]);

export const dvcYamlSchema = z.looseObject({
  stages: z.record(z.string(), stage).optional(),
  metrics: z.array(path).optional(),
  params: z.array(path).optional(),
  plots: z.array(dvcPlot).optional(),
});

export type DvcYaml = z.infer<typeof dvcYamlSchema>;
export type DvcStage = z.infer<typeof stage>;

/** Zod issues as one line: "plots[0].template: expected string, got a number (and 2 more problems)". */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const first = issues[0];
  if (!first) return "invalid";
  const where = first.path.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), "");
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
  return `${where ? `${where}: ` : ""}${humanize(first)}${more}`;
}

function humanize(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => String(v)).join(", ")}`;
    case "invalid_union":
      return "not one of the accepted forms (see the documentation of this key)";
    case "invalid_key":
      return issue.issues[0] ? humanize(issue.issues[0]) : issue.message;
    default:
      return issue.message.replace(/^Invalid input: /, "");
  }
}
