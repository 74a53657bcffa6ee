import { gitlab } from "./gitlab/index.js";
import type { ForgeId, ForgeModule } from "./types.js";

/** Every forge mlreview speaks, one line each (the github branch adds its own). */
export const FORGES: readonly ForgeModule[] = [gitlab as ForgeModule];

export function forgeById(id: ForgeId): ForgeModule | undefined {
  return FORGES.find((f) => f.id === id);
}
