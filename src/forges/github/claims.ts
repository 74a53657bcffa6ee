/**
 * Is a local checkout a GitHub project? Its remote is on github.com (https, ssh or scp-like), on a host
 * named github.* (GitHub Enterprise Server's usual name), or it has GitHub Actions workflows. The CLI
 * then reads the config where the bot reads it on GitHub.
 */
export async function claimsGitHub(project: { remoteUrl: string | undefined; hasFile(path: string): Promise<boolean> }): Promise<boolean> {
  const host = project.remoteUrl ? remoteHost(project.remoteUrl) : undefined;
  if (host && (host === "github.com" || host.endsWith(".github.com") || host.startsWith("github."))) return true;
  return (await project.hasFile(".github/workflows")) || (await project.hasFile(".github/mlreview.yml"));
}

/** The host of an https, ssh or scp-like (`git@host:owner/repo`) remote, lower-cased; undefined for a path. */
export function remoteHost(url: string): string | undefined {
  const scp = /^(?:[^@/:]+@)?([^:/]+):(?!\/\/)/.exec(url);
  if (scp && !/^[a-z]$/i.test(scp[1]!)) return scp[1]!.toLowerCase();
  try {
    const u = new URL(url);
    return u.protocol === "file:" ? undefined : u.hostname.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}
