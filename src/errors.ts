/** Input the user must fix (not a git repository, unknown revision, bad flag): exit 1 with one line. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
