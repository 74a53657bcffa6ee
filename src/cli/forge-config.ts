import { existsSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_FILES } from "../project/index.js";
import { gitMaybe } from "../revisions/git.js";

/** What the CLI needs of a forge module (src/forges/types.ts ForgeModule): where its config lives, and whose checkout this is. */
export interface ConfigForge {
  readonly configFiles: readonly string[];
  claims(project: { remoteUrl: string | undefined; hasFile(path: string): Promise<boolean> }): Promise<boolean>;
}

/**
 * The config files the CLI reads in a checkout, as the bot of its forge would: the union, in order, of
 * what every module that claims the checkout lists (a GitLab project's `.gitlab/mlreview.yml`).
 */
export async function checkoutConfigFiles(root: string, forges?: readonly ConfigForge[]): Promise<readonly string[]> {
  // Loaded here, not at start-up: `mlreview --help` and `metrics show` need no forge module.
  forges ??= (await import("../forges/registry.js")).FORGES;
  const remoteUrl = await gitMaybe(["config", "--get", "remote.origin.url"], { cwd: root, network: false });
  const project = { remoteUrl, hasFile: async (path: string) => existsSync(join(root, path)) };
  const files = new Set<string>();
  for (const f of forges) if (await f.claims(project)) for (const c of f.configFiles) files.add(c);
  // No module claims it (a GitHub checkout while the registry has no github line): the default locations.
  return files.size > 0 ? [...files] : CONFIG_FILES;
}
