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
 * Interim, until src/forges/registry.ts exists on this branch: the two forges' config locations and
 * claims as their modules state them. The lead replaces this with `FORGES` from the registry.
 */
export const INTERIM_FORGES: readonly ConfigForge[] = [
  { configFiles: CONFIG_FILES, claims: async () => true },
  {
    configFiles: [...CONFIG_FILES, ".gitlab/mlreview.yml"],
    claims: async ({ remoteUrl, hasFile }) => (await hasFile(".gitlab-ci.yml")) || /gitlab/i.test(remoteHost(remoteUrl)),
  },
];

/**
 * The config files the CLI reads in a checkout, as the bot of its forge would: the union, in order, of
 * what every module that claims the checkout lists (a GitLab project's `.gitlab/mlreview.yml`).
 */
export async function checkoutConfigFiles(root: string, forges: readonly ConfigForge[] = INTERIM_FORGES): Promise<readonly string[]> {
  const remoteUrl = await gitMaybe(["config", "--get", "remote.origin.url"], { cwd: root, network: false });
  const project = { remoteUrl, hasFile: async (path: string) => existsSync(join(root, path)) };
  const files = new Set<string>();
  for (const f of forges) if (await f.claims(project)) for (const c of f.configFiles) files.add(c);
  return files.size > 0 ? [...files] : CONFIG_FILES;
}

function remoteHost(url: string | undefined): string {
  if (!url) return "";
  try {
    return new URL(url).hostname;
  } catch {
    // scp-like git@host:path
    return /^[^@/]+@([^:/]+):/.exec(url)?.[1] ?? "";
  }
}
