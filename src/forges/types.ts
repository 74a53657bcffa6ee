/**
 * What the pipeline needs from a code forge, and nothing else: GitHub and GitLab implement it, and a
 * third forge must not touch the core (Renovate's platform modules are the model).
 */
export interface ChangeRequest {
  /** "owner/name" on GitHub, the project path on GitLab. */
  repo: string;
  /** Pull request number / merge request iid. */
  number: number;
  headSha: string;
  baseRef: string;
}

export interface CheckResult {
  conclusion: "success" | "failure" | "neutral";
  /** One line. */
  title: string;
  /** Markdown. */
  summary: string;
}

export interface Forge {
  readonly name: string;
  /** The one report comment of the change: found by its marker on any page, edited, or created. */
  upsertReport(cr: ChangeRequest, body: string): Promise<{ id: number; action: "created" | "updated" | "unchanged" }>;
  /** The "mlreview" check (GitHub check run, GitLab commit status) on the head commit. */
  setCheck(cr: ChangeRequest, result: CheckResult): Promise<void>;
}
