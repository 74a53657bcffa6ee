import type { DvcRemoteRule } from "../../sources/config.js";

/** An environment handed down by an entry point (never this process's, read here). */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Who decides which DVC remotes are contacted, and with what credentials.
 * - "user" (the CLI, CI mode): the repository's .dvc/config and .dvc/config.local and the user's own
 *   credentials, as `dvc` itself would: `env` is the user's environment as the CLI's entry point read
 *   it (AWS_* / ~/.aws, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_*, HOME).
 * - "operator" (the bot): only remotes under a rule of MLREVIEW_SOURCES, with that rule's endpoint and
 *   credentials (the values of the variables it names, resolved by the settings); nothing from the
 *   repository's config but the URL (its endpointurl, its credentials, a local path would all be the
 *   repository choosing what the server contacts or reads).
 */
export type RemoteAccess = { kind: "user"; env: Env } | { kind: "operator"; rules: readonly DvcRemoteRule[] };

export function userAccess(env: Env): RemoteAccess {
  return Object.freeze({ kind: "user", env });
}
