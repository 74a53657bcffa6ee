import { posix } from "node:path";

/** Why a path from a repository's config cannot be read, or undefined when it is a safe repo-relative path. */
export function unsafePathReason(p: string): string | undefined {
  if (p.length === 0) return "empty path";
  if (/[\0\n\r]/.test(p)) return "path contains a control character";
  if (p.startsWith("/") || p.startsWith("\\") || /^[A-Za-z]:/.test(p)) return "absolute paths are not allowed";
  const segments = p.split(/[\\/]/);
  if (segments.includes("..")) return "path leaves the repository";
  // git's own files (and, in CI, the token actions/checkout keeps in .git/config) are never results.
  if (segments.some((s) => s.toLowerCase() === ".git")) return "paths inside .git are not read";
  return undefined;
}

/**
 * `p`, written relative to `baseDir` (a config file's directory), as a normalised repo-relative POSIX path:
 * "dir" + "../m.yaml" → "m.yaml". A path that is absolute or climbs out stays so, and reading it is refused.
 */
export function joinRepoPath(baseDir: string, p: string): string {
  if (p.startsWith("/") || p.startsWith("\\") || /^[A-Za-z]:/.test(p)) return p;
  const joined = posix.normalize(posix.join(baseDir || ".", p.replace(/\\/g, "/")));
  return joined === "." ? "" : joined.replace(/\/$/, "");
}
