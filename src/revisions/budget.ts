import { Budget } from "../formats/budget.js";
import { formatBytes } from "../formats/limits.js";

/**
 * What reading one revision may cost in total, whatever its files say. Per-file limits (size, depth,
 * aliases) do not bound a revision: one 40 MB blob under 32 paths, one dvc.yaml folder copied 40
 * times, or 9 tree objects that list as 10^8 paths each stay under every per-file limit.
 */
export const REVISION_BUDGET = Object.freeze({
  /** Paths listed by all walks of the revision: a tree bomb (trees repeating trees) lists 10^8 from 112 KB. */
  treeEntries: 1_000_000,
  /** Milliseconds spent walking tree objects or directories, for listings slow rather than large. */
  walkMs: 20_000,
  /** Files read (metrics, params, plot data, images, configs): a glob over thousands of copies of one file. */
  filesRead: 10_000,
  /** Bytes read: one blob of 40 MB under 32 paths took 2.8 GB; the heaviest real project reads a few MB. */
  bytesRead: 128 * 1024 * 1024,
  /** Stages across every dvc.yaml after foreach/matrix: one file under 40 folders expanded 400,000. */
  stages: 20_000,
  /** Plot definitions drawn from one revision's project (each one is a render). */
  plots: 1_000,
  /** Image files shown from one revision. */
  images: 1_000,
  /** Glob steps matching repository patterns against paths and keys (linear per match, but many matches). */
  matchSteps: 200_000_000,
});

export type RevisionBudgetKind = keyof typeof REVISION_BUDGET;

/** The one budget object of a revision, made with its tree and spent by listing, reading and discovery. */
export class RevisionBudget extends Budget<RevisionBudgetKind> {
  constructor(limits: Partial<Record<RevisionBudgetKind, number>> = {}) {
    super({ ...REVISION_BUDGET, ...limits });
  }

  /** What a file that was not read because the budget ran out says instead of its contents. */
  refusal(kind: "filesRead" | "bytesRead"): string {
    return `not read: ${describe(kind, this.limits[kind])}`;
  }

  /** One line per kind that ran out, for the report's problems. */
  problems(): string[] {
    return this.spentKinds().map((k) => `${describe(k, this.limits[k])}; ${CONSEQUENCE[k]}`);
  }
}

const CONSEQUENCE: Record<RevisionBudgetKind, string> = {
  treeEntries: "the rest was not listed (a tree bomb?)",
  walkMs: "the rest was not listed",
  filesRead: "the rest was not read",
  bytesRead: "the rest was not read",
  stages: "later dvc.yaml files were not read",
  plots: "the rest are not drawn",
  images: "the rest are not shown",
  matchSteps: "the rest of its paths and keys were not matched",
};

function describe(kind: RevisionBudgetKind, limit: number): string {
  const n = limit.toLocaleString("en-US");
  switch (kind) {
    case "treeEntries":
      return `the revision lists more than ${n} files`;
    case "walkMs":
      return `listing the revision took more than ${limit / 1000} s`;
    case "filesRead":
      return `the revision's budget of ${n} files read is spent`;
    case "bytesRead":
      return `the revision's budget of ${formatBytes(limit)} read is spent`;
    case "stages":
      return `the revision's dvc.yaml files expand to more than ${n} stages`;
    case "plots":
      return `the revision declares more than ${n} plots`;
    case "images":
      return `the revision declares more than ${n} images`;
    case "matchSteps":
      return `matching the revision's globs took more than ${n} steps`;
  }
}

const attached = new WeakMap<object, RevisionBudget>();

/** The tree's budget: its own, or one made for it on first use (trees built by hand, e.g. in tests). */
export function budgetOf(tree: { readonly budget?: RevisionBudget | undefined }): RevisionBudget {
  if (tree.budget) return tree.budget;
  let b = attached.get(tree);
  if (!b) attached.set(tree, (b = new RevisionBudget()));
  return b;
}

/** A revision's budget for trees read with this per-file limit: a file the limit allows always fits. */
export function revisionBudget(maxFileBytes: number): RevisionBudget {
  return new RevisionBudget({ bytesRead: Math.max(REVISION_BUDGET.bytesRead, 2 * maxFileBytes) });
}

/** The budget's lines as the report's problems for `tree`. */
export function budgetProblems(tree: { readonly label: string; readonly budget?: RevisionBudget | undefined }): { rev: string; path?: string; message: string }[] {
  return budgetOf(tree)
    .problems()
    .map((message) => ({ rev: tree.label, message }));
}
