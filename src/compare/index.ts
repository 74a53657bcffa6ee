import type { Discovered } from "../project/discover.js";
import { budgetProblems } from "../revisions/budget.js";
import type { FileTree } from "../revisions/types.js";
import { collect, type CollectOptions, type Kind, type RevisionProblem } from "./collect.js";
import { diffFiles, type Diff } from "./diff.js";

export type { Diff, Entry } from "./diff.js";
export type { Collected, CollectOptions, Kind, RevisionProblem } from "./collect.js";
export { collect } from "./collect.js";

export interface DiffResult {
  diff: Diff;
  /** Unreadable files and revisions, base first; reported, never fatal. */
  problems: RevisionProblem[];
}

export interface DiffOptions extends CollectOptions {
  /** Keep unchanged entries (DVC's --all). */
  all?: boolean;
  /** Projects already discovered for the two trees (the report needs them anyway). */
  projects?: { base: Discovered; head: Discovered };
}

/** `dvc metrics diff` / `dvc params diff` between two trees. */
export async function diffRevisions(kind: Kind, base: FileTree, head: FileTree, opts: DiffOptions = {}): Promise<DiffResult> {
  const [a, b] = await Promise.all([collect(kind, base, opts, opts.projects?.base), collect(kind, head, opts, opts.projects?.head)]);
  const problems = [...a.problems, ...b.problems, ...budgetProblems(base), ...budgetProblems(head)];
  return { diff: diffFiles(a.files, b.files, opts.all ?? false), problems };
}
