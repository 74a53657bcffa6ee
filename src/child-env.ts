/**
 * The one environment policy for every git process the bot or the CLI starts (through src/revisions/git.ts).
 * Children get an allow-list, never `process.env`: the bot's environment holds PRIVATE_KEY,
 * WEBHOOK_SECRET, GITLAB_TOKEN and AWS keys, and git runs repository-chosen helpers and hooks.
 *
 * This is the one read of `process.env` outside settings.ts and the CLI's main.ts, kept on purpose: what
 * a child inherits is the child's policy (PATH, HOME, a proxy, a private CA), not a setting, and taking it
 * from each caller would put the parent's whole environment within reach of every call site.
 */
const PASSED_THROUGH = ["PATH", "HOME", "TMPDIR", "LANG", "TZ", "XDG_CONFIG_HOME"] as const;

/** Operators behind a proxy or a private CA need these for git over HTTPS; GIT_TRACE shows a user what ran. */
const NETWORK = ["GIT_TRACE", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "GIT_SSL_CAINFO"] as const;

/**
 * The allow-listed part of this process's environment plus `extra` (which wins). `network: false` for
 * git commands that never connect: simple-git refuses to run with GIT_SSL_CAINFO or GIT_TRACE in an explicit env.
 */
export function childEnv(extra: Record<string, string> = {}, { network = true } = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of network ? [...PASSED_THROUGH, ...NETWORK] : PASSED_THROUGH) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return { ...env, LC_ALL: "C", ...extra };
}
