import type { RevisionBudget } from "./budget.js";

/** One side of a comparison: the files of a repository at a revision (or the workspace). */
export interface FileTree {
  /** The revision as the user named it ("HEAD~1", "main", "workspace"); used as a column header. */
  readonly label: string;
  /** The resolved commit sha, or undefined for the workspace. */
  readonly commit: string | undefined;
  /** Read many files at once; paths are repository-relative POSIX paths. Never throws for a bad file. */
  read(paths: readonly string[]): Promise<Map<string, ReadResult>>;
  /** Every file below `dir` ("" for the root), repository-relative, sorted. */
  list(dir: string): Promise<string[]>;
  /** What reading this revision may still cost (see budget.ts); read it through budgetOf(tree). */
  readonly budget?: RevisionBudget;
}

export type ReadResult = { ok: true; data: Buffer } | { ok: false; error: FileError };

/**
 * "over-budget": not read because the revision's budget ran out; the budget says so once, in its own line.
 * "unavailable": DVC-tracked, and no cache or remote that may be asked has it (not pushed, not allowed,
 * the remote failed). "corrupt": a copy was found but does not match its recorded hash.
 */
export type FileErrorCode = "missing" | "too-large" | "escapes" | "not-a-file" | "unreadable" | "over-budget" | "unavailable" | "corrupt";

export interface FileError {
  code: FileErrorCode;
  /** One line, without the path: "file is 61 MB, over the 50 MB limit". */
  message: string;
}

export const WORKSPACE = "workspace";
