import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import { ProbotOctokit } from "probot";

/** A real webhook payload from @octokit/webhooks-examples (GitHub's own documentation examples). */
export function example<T = Record<string, unknown>>(event: string, action?: string): T {
  const e = (examples as { name: string; examples: Record<string, unknown>[] }[]).find((x) => x.name === event);
  const found = e?.examples.find((p) => action === undefined || p.action === action);
  if (!found) throw new Error(`no example for ${event}.${action}`);
  return structuredClone(found) as T;
}

/** An installation Octokit as Probot builds it, without retries or throttling so nock sees every call once. */
export function testOctokit(): InstanceType<typeof ProbotOctokit> {
  return new ProbotOctokit({ auth: { token: "test-token" }, retry: { enabled: false }, throttle: { enabled: false } });
}
