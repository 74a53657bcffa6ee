import { github } from "./github/index.js";
import { gitlab } from "./gitlab/index.js";
import type { ForgeId, ForgeModule } from "./types.js";

/**
 * Every forge mlreview speaks, by id, one line each (Renovate's lib/modules/platform/api.ts is the
 * model). Adding a forge adds its folder and its line here; nothing outside src/forges/ names a forge folder.
 */
export const FORGES: readonly ForgeModule[] = [github, gitlab as ForgeModule];

/** The forge of a task's `forge` field; undefined for an id no forge has (a task from another release). */
export function forgeById(id: ForgeId): ForgeModule | undefined {
  return FORGES.find((f) => f.id === id);
}
