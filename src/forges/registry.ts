import { github } from "./github/index.js";
import type { ForgeModule } from "./types.js";

/**
 * Every forge mlreview knows, by id (Renovate's lib/modules/platform/api.ts is the model). Adding a
 * forge adds its folder and one line here; nothing else names a forge folder.
 */
export const FORGES: readonly ForgeModule[] = [
  github,
  // gitlab, ← the GitLab module's line (src/forges/gitlab/index.ts) goes here
];

/** The forge of a task's `forge` field; undefined for an id no forge has (a task from a newer or older release). */
export function forgeById(id: string): ForgeModule | undefined {
  return FORGES.find((f) => f.id === id);
}
