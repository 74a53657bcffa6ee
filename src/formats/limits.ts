/** Hard limits applied to every file read from a repository or an artifact. */
export interface Limits {
  /** Files larger than this are reported, not read. */
  maxFileBytes: number;
  /** Deepest nesting of objects/lists accepted in JSON/YAML/TOML. */
  maxDepth: number;
  /** YAML alias expansions allowed per document (alias bombs). */
  maxAliases: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxFileBytes: 50 * 1024 * 1024,
  maxDepth: 512,
  maxAliases: 100,
});

export function withLimits(over: Partial<Limits> | undefined): Limits {
  return { ...DEFAULT_LIMITS, ...(over ?? {}) };
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}
