import { basicAuth } from "../http.js";
import type { FileTree } from "../types.js";
import { lfsUrlFromClone } from "./endpoint.js";
import { LfsFetcher } from "./fetcher.js";
import { LfsServer } from "./server.js";
import { LfsTree } from "./tree.js";

export interface ForgeLfsOptions {
  /** The forge's own clone URL (the one the bot fetched git from), never a repository's `.lfsconfig`. */
  cloneUrl: string;
  /**
   * The batch endpoint the forge module gives for that clone URL (ReviewSession.lfsEndpoint); undefined
   * there: the forge has none, pointers are reported. Omitted: git-lfs's default for the clone URL.
   */
  endpoint?: string | undefined;
  forgeOrigin: string;
  token?: string;
  /** "x-access-token" for GitHub apps, "oauth2" for GitLab, as for git itself. */
  username: string;
  maxFileBytes: number;
  /** The task's deadline: batch requests and downloads stop when it fires. */
  signal?: AbortSignal;
}

/**
 * The bot's LFS objects (operator mode), whatever the forge: only the forge's endpoint for its clone URL,
 * the token as HTTP basic to that batch endpoint alone. A repository cannot choose what the server
 * contacts: `.lfsconfig` and `lfs.url` are not read (an `lfs.url` of http://169.254.169.254/ would be SSRF).
 */
export function forgeLfs(o: ForgeLfsOptions): (tree: FileTree) => FileTree {
  const url = "endpoint" in o ? o.endpoint : lfsUrlFromClone(o.cloneUrl);
  let server: LfsServer | { none: string };
  if (!url) server = { none: "the clone URL has no Git-LFS endpoint" };
  else if (o.token && new URL(url).origin !== new URL(o.forgeOrigin).origin) server = { none: `the LFS endpoint ${new URL(url).origin} is not on the forge's origin: the token is not sent there` };
  else server = new LfsServer({ url, ...(o.token ? { batchHeaders: { authorization: basicAuth(o.username, o.token) } } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  const fetcher = new LfsFetcher({ server });
  return (tree) => new LfsTree(tree, fetcher, o.maxFileBytes);
}
