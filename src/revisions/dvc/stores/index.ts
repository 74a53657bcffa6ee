import { isAbsolute, resolve } from "node:path";
import { homedir } from "node:os";
import { allowedBy, type DvcRemoteRule } from "../../../sources/config.js";
import type { RemoteAccess } from "../access.js";
import { basicAuth } from "../../http.js";
import { HttpStore } from "./http.js";
import { LocalStore } from "./local.js";
import type { ObjectStore, RemoteConfig } from "./types.js";

export type Opened = { store: ObjectStore } | { refused: string };

/** How a remote is named in every line about it: its name and URL, never a credential or a query string. */
export function remoteLabel(remote: RemoteConfig): string {
  return `DVC remote '${remote.name}' (${safeUrl(remote.url)})`;
}

export function safeUrl(url: string): string {
  return url.replace(/^(\w+:\/\/)[^/@]*@/, "$1").replace(/[?#].*$/, "");
}

/**
 * The store for a repository's remote, or why it is not read. `repoRoot` (the CLI's checkout) anchors
 * local remotes, which DVC resolves against `.dvc/`.
 */
export async function openStore(remote: RemoteConfig, access: RemoteAccess, repoRoot?: string): Promise<Opened> {
  const describe = remoteLabel(remote);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(remote.url)?.[1]?.toLowerCase();
  let rule: DvcRemoteRule | undefined;
  // The user's environment (CLI); the bot's stores read none: its rules carry what it resolved.
  const env = access.kind === "user" ? access.env : {};
  if (access.kind === "operator") {
    if (scheme === undefined) return { refused: `${describe} is a local path, which the bot never reads` };
    rule = allowedBy(access.rules, remote.url);
    if (!rule) return { refused: `${describe} is not allowed on this server: its operator can add it to dvc_remotes in MLREVIEW_SOURCES` };
  }
  switch (scheme) {
    case undefined:
    case "file":
      if (!repoRoot) return { refused: `${describe} is a local path and there is no checkout to resolve it against` };
      return { store: new LocalStore(localPath(remote.url, repoRoot), describe) };
    case "http":
    case "https":
      return { store: httpStore(remote, rule, access, describe) };
    case "s3":
      return { store: (await import("./s3.js")).openS3(remote, rule, env) };
    case "gs":
      return { store: (await import("./gs.js")).openGs(remote, rule, env) };
    case "azure":
      return { store: (await import("./azure.js")).openAzure(remote, rule, env) };
    default:
      return { refused: `${describe}: ${scheme} remotes are not supported (supported: local, http(s), s3, gs, azure)` };
  }
}

/** DVC resolves a relative local URL against the config file's folder, `.dvc/` (dvc/config.py `_resolve`). */
function localPath(url: string, repoRoot: string): string {
  const p = url.replace(/^file:\/\//, "");
  if (p.startsWith("~")) return resolve(homedir(), p.slice(1).replace(/^\/+/, ""));
  return isAbsolute(p) ? p : resolve(repoRoot, ".dvc", p);
}

/**
 * DVC's http auth (dvc_http): `auth = basic` (user, password) or `auth = custom` (custom_auth_header:
 * password). In the bot, only the operator's rule says how to authenticate, with the secret the
 * settings resolved from the variable it names (password_env).
 */
function httpStore(remote: RemoteConfig, rule: DvcRemoteRule | undefined, access: RemoteAccess, describe: string): HttpStore {
  const headers: Record<string, string> = {};
  if (rule) {
    const secret = rule.password_env ? rule.password : undefined;
    if (rule.custom_auth_header && secret !== undefined) headers[rule.custom_auth_header] = secret;
    else if (rule.user !== undefined) headers.authorization = basicAuth(rule.user, secret ?? "");
  } else {
    const o = remote.options;
    if (o.auth === "custom" && o.custom_auth_header && o.password !== undefined) headers[o.custom_auth_header] = o.password;
    else if (o.auth === "basic" && o.user !== undefined) headers.authorization = basicAuth(o.user, o.password ?? "");
  }
  const rules = access.kind === "operator" ? access.rules : undefined;
  return new HttpStore({
    url: remote.url,
    describe,
    headers,
    allowRedirect: (url) => (rules ? allowedBy(rules, url) !== undefined : true),
  });
}
