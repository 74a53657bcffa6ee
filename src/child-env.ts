/**
 * The one environment policy for every child process the bot or the CLI starts (git, render workers).
 * Children get an allow-list, never `process.env`: the bot's environment holds PRIVATE_KEY,
 * WEBHOOK_SECRET, GITLAB_TOKEN and AWS keys, and git runs repository-chosen helpers and hooks, a render
 * worker runs repository-chosen Vega specs.
 */
const PASSED_THROUGH = [
  "PATH",
  "HOME",
  "TMPDIR",
  "LANG",
  "TZ",
  "XDG_CONFIG_HOME",
  // Operators behind a proxy or a private CA need these for git over HTTPS.
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "https_proxy",
  "http_proxy",
  "no_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "GIT_SSL_CAINFO",
] as const;

/** The allow-listed part of this process's environment plus `extra` (which wins). */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of PASSED_THROUGH) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return { ...env, LC_ALL: "C", ...extra };
}
