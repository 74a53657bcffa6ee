/**
 * The LFS URL git-lfs derives from a clone URL when nothing configures one (lfsapi/endpoint_finder.go
 * NewEndpointFromCloneURL): `<url>/info/lfs` for a URL ending in `.git`, else `<url>.git/info/lfs`;
 * ssh and scp-like remotes map to https on the same host. Undefined for a local path or file:// URL.
 */
export function lfsUrlFromClone(cloneUrl: string): string | undefined {
  const base = httpsBase(cloneUrl.trim());
  if (!base) return undefined;
  const trimmed = base.replace(/\/+$/, "");
  return trimmed.endsWith(".git") ? `${trimmed}/info/lfs` : `${trimmed}.git/info/lfs`;
}

function httpsBase(url: string): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    // scp-like `[user@]host:path`; a Windows drive or a plain path is local.
    const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/\/)(.+)$/.exec(url);
    if (!scp || /^[a-z]$/i.test(scp[1]!)) return undefined;
    return `https://${scp[1]}/${scp[2]!.replace(/^\/+/, "")}`;
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (scheme === "http" || scheme === "https") {
    u.username = "";
    u.password = "";
    u.search = "";
    u.hash = "";
    return u.href;
  }
  // git-lfs talks https to an ssh or git:// host's own name (the port is ssh's, not the web server's).
  if (scheme === "ssh" || scheme === "git+ssh" || scheme === "ssh+git" || scheme === "git") return `https://${u.hostname}${u.pathname}`;
  return undefined;
}

/** Is this an http(s) URL git-lfs's HTTP client would talk to? */
export function isHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}
