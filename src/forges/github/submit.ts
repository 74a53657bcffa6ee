import type { ForgeHost } from "../types.js";
import type { GitHubReviewData } from "./schemas.js";

/** This forge's id in the registry and on every task it queues. */
export const GITHUB_ID = "github";

/**
 * A task on the wire: `{kind, forge, key, version, delivery, data}`. Keys and versions are the ones
 * the bot always used (`owner/name#12`, the head sha, `<sha>+run<id>`), so coalescing and redelivery
 * dedupe hold across an upgrade.
 */
export async function submitReview(host: ForgeHost, t: { key: string; version: string; delivery: string; data: GitHubReviewData }): Promise<void> {
  const task = { kind: "review" as const, forge: GITHUB_ID, ...t };
  await host.submit(task);
}

export async function submitRunner(host: ForgeHost, t: { key: string; version: string; delivery: string; data: unknown }): Promise<void> {
  const task = { kind: "runner" as const, forge: GITHUB_ID, ...t };
  await host.submit(task);
}
