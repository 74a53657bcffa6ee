/** What to compare in one revision, whichever way it was declared (.mlreview.yml, dvc.yaml, defaults). */
export interface Project {
  /** Where the definition came from: ".mlreview.yml", "dvc.yaml, sub/dvc.yaml", or "defaults". */
  source: string;
  /** Metrics files; a directory stands for every file below it. */
  metrics: string[];
  /** File → the keys to keep (dotted, globs allowed as in DVC); `null` means the whole file. */
  params: Map<string, string[] | null>;
  /** Files used only "if present" (defaults, the root params.yaml): missing is not an error. */
  optional: Set<string>;
  plots: PlotDefinition[];
  images: string[];
  settings: ProjectSettings;
}

export interface ProjectSettings {
  direction: Record<string, "higher" | "lower">;
  thresholds: Threshold[];
  artifacts?: { name: string; workflow?: string };
  precision?: number;
}

export interface Threshold {
  metric: string;
  max_drop?: number;
  max_rise?: number;
  min?: number;
  max?: number;
}

/** A y (or x) data source: a file and the fields taken from it. */
export interface PlotField {
  file: string;
  field: string;
}

/**
 * A plot as DVC declares it, with paths made repository-relative.
 * `y` empty for a file means "infer": the last key of the first row (DVC's default).
 */
export interface PlotDefinition {
  id: string;
  /** The config file that declared it (dvc.yaml, sub/dvc.yaml, .mlreview.yml). */
  origin: string;
  /** Data files of the plot, in declaration order (each has at least one entry in `y`, or is inferred). */
  files: string[];
  y: PlotField[];
  /** undefined: x is the row index, named "step". One entry, or one per y file when given per file. */
  x: PlotField[] | undefined;
  template: string;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** CSV/TSV files have a header row (DVC's `header: false` names columns "0", "1", ...). */
  header: boolean;
}
