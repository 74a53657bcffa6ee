import type { RevisionProblem } from "../compare/index.js";
import type { ArtifactSource, CloneAccess, ReviewSession } from "../forges/types.js";
import { discoverProject } from "../project/index.js";
import { ArtifactError } from "../revisions/artifact.js";
import { ObjectCache } from "../revisions/dvc/cache.js";
import { ObjectFetcher } from "../revisions/dvc/fetcher.js";
import { DvcTree } from "../revisions/dvc/tree.js";
import { forgeLfs } from "../revisions/lfs/forge.js";
import { OverlayTree } from "../revisions/overlay.js";
import type { FileTree } from "../revisions/types.js";
import type { DvcRemoteRule } from "../sources/config.js";

/** The layers over an open revision, in the one order the bot and the CLI share (see layered()). */
export interface TreeLayers {
  /** Git-LFS pointers read as their content. */
  lfs(tree: FileTree): FileTree;
  /** DVC-tracked outputs filled in from the cache or a remote. */
  dvc(tree: FileTree): FileTree;
}

/** A CI run's files for each side: they win over the commit's. */
export interface ArtifactOverlay {
  head?: ReadonlyMap<string, Buffer>;
  base?: ReadonlyMap<string, Buffer>;
}

/**
 * LFS first (a pointer committed in git), then the CI artifact, then DVC last: a file the CI run produced
 * wins over the lock's hash, and a dvc.lock the run wrote names the outs.
 */
export function layered(tree: FileTree, layers: TreeLayers | undefined, overlay: ReadonlyMap<string, Buffer> | undefined): FileTree {
  const lfs = layers ? layers.lfs(tree) : tree;
  const over = overlay ? new OverlayTree(lfs, overlay) : lfs;
  return layers ? layers.dvc(over) : over;
}

/**
 * The bot's layers (operator mode): LFS through the forge's own endpoint for this clone, the token to that
 * endpoint only; DVC through the remotes the operator allowed. Both stop at the task's deadline.
 */
export function forgeLayers(o: { clone: CloneAccess; lfsEndpoint: string | undefined; dvc: { rules: readonly DvcRemoteRule[]; objectCacheDir: string }; maxFileBytes: number; signal: AbortSignal }): TreeLayers {
  const lfs = forgeLfs({ cloneUrl: o.clone.url, endpoint: o.lfsEndpoint, forgeOrigin: o.clone.forgeOrigin, token: o.clone.token, username: o.clone.username, maxFileBytes: o.maxFileBytes, signal: o.signal });
  const fetcher = new ObjectFetcher(new ObjectCache(o.dvc.objectCacheDir), o.signal);
  const access = { kind: "operator", rules: o.dvc.rules } as const;
  return { lfs, dvc: (tree) => new DvcTree(tree, { access, fetcher, maxFileBytes: o.maxFileBytes }) };
}

/** A report line is one line: the zip reader's and the download's messages are cut to this. */
const MAX_PROBLEM_CHARS = 300;

/** Whatever went wrong reading an artifact (a refused zip, a redirect loop, a 500, the deadline), as one report line. */
export function artifactProblem(rev: string, name: string, e: unknown): RevisionProblem {
  const message = e instanceof ArtifactError ? e.message : `could not be read: ${e instanceof Error ? e.message : String(e)}`;
  return { rev, path: `artifact '${name}'`, message: message.replace(/\s+/g, " ").slice(0, MAX_PROBLEM_CHARS) };
}

/**
 * The CI results of a review that came from a CI run: the head's config says which artifact; undefined
 * when this run is not the one it asked for (nothing is posted then). A failed read is a problem line and
 * the committed files are compared instead.
 */
export async function sessionArtifacts(
  artifacts: ArtifactSource,
  head: FileTree,
  o: { base: string; labels: ReviewSession["labels"]; configFiles: readonly string[]; signal: AbortSignal },
): Promise<{ overlay: ArtifactOverlay; problems: RevisionProblem[] } | undefined> {
  const project = await discoverProject(head, { configFiles: o.configFiles });
  const wanted = "error" in project ? undefined : project.settings.artifacts;
  if (!wanted) return undefined;
  try {
    const found = await artifacts(wanted, { base: o.base }, o.signal);
    if (!found) return undefined;
    const problems: RevisionProblem[] = [];
    if (!found.base && found.baseMissing) problems.push({ rev: o.labels.base, path: `artifact '${wanted.name}'`, message: found.baseMissing });
    return { overlay: { head: found.head, ...(found.base ? { base: found.base } : {}) }, problems };
  } catch (e) {
    // The deadline is the task's failure, not the artifact's: the review stops.
    if (o.signal.aborted) throw o.signal.reason;
    return { overlay: {}, problems: [artifactProblem(o.labels.head, wanted.name, e)] };
  }
}
