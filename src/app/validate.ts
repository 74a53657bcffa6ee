/**
 * Start-up validation of the server's configuration (environment, key, data directory, operator
 * files): the settings' schema (src/settings/env.ts) run for its problems. Each is one line naming the
 * variable and what is expected, never its value (most are secrets).
 */
import { SettingsError, settingsFromEnv, type EnvInput } from "./settings.js";

export { isSetupMode, type EnvInput } from "./settings.js";

export interface ValidateOptions {
  /** Where relative paths (PRIVATE_KEY_PATH, MLREVIEW_RUNNERS, a lone *.pem) are resolved; default process.cwd(). */
  cwd?: string;
  /**
   * Probot's setup mode (no APP_ID outside production): the GitHub App does not exist yet, so its
   * credentials are not required; everything else is still checked. Default: required.
   */
  setupMode?: boolean;
}

export function validateEnv(env: EnvInput, o: ValidateOptions = {}): string[] {
  try {
    settingsFromEnv(env, { ...(o.cwd !== undefined ? { cwd: o.cwd } : {}), setupMode: o.setupMode ?? false });
    return [];
  } catch (e) {
    if (e instanceof SettingsError) return [...e.problems];
    throw e;
  }
}

/**
 * `docker run --env-file` keeps quotes as part of the value, and Probot's setup writes the key as
 * PRIVATE_KEY="-----BEGIN …\n…": a PRIVATE_KEY wrapped in one pair of double quotes is unwrapped
 * (a PEM never starts with a quote), so the same .env works with npm start, compose and docker run.
 */
export function normalizeEnv(env: Record<string, string | undefined>): void {
  const key = env.PRIVATE_KEY;
  if (key && key.length >= 2 && key.startsWith('"') && key.endsWith('"')) env.PRIVATE_KEY = key.slice(1, -1);
}
