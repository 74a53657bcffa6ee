import type { DvcRemoteRule } from "../../sources/config.js";

/**
 * Who decides which DVC remotes are contacted, and with what credentials.
 * - "user" (the CLI, CI mode): the repository's .dvc/config and .dvc/config.local and the user's own
 *   credentials (AWS_* / ~/.aws, GOOGLE_APPLICATION_CREDENTIALS, AZURE_*), as `dvc` itself would.
 * - "operator" (the bot): only remotes under a rule of MLREVIEW_SOURCES, with that rule's endpoint and
 *   credentials; nothing from the repository's config but the URL (its endpointurl, its credentials, a
 *   local path would all be the repository choosing what the server contacts or reads).
 */
export type RemoteAccess = { kind: "user" } | { kind: "operator"; rules: readonly DvcRemoteRule[] };

export const USER_ACCESS: RemoteAccess = Object.freeze({ kind: "user" });
