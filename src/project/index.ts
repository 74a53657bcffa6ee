export { discoverProject, CONFIG_FILES, type DiscoverOptions, type Discovered } from "./discover.js";
export { isImagePath } from "./plots.js";
export type { Project, PlotDefinition, PlotField, ProjectSettings, Threshold } from "./types.js";
