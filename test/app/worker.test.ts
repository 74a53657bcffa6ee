// The queue's worker (src/app/index.ts): a task went through Redis, so its envelope and its data are
// validated before anything runs; an invalid one is one warn line and dropped, never retried.
import { Writable } from "node:stream";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app/index.js";
import type { Task } from "../../src/queue/task.js";
import { tempDir } from "../helpers/git-repo.js";
import { testPrivateKey } from "../helpers/keys.js";

const privateKey = testPrivateKey("pkcs8");
const SHA = "a".repeat(40);
const good = {
  installation: 1,
  repository: { full_name: "acme/model", clone_url: "https://github.com/acme/model.git", html_url: "https://github.com/acme/model", owner: { login: "acme" }, name: "model" },
  pr: { number: 3, head: { sha: SHA, ref: "feature" }, base: { sha: "b".repeat(40), ref: "main" } },
};

async function worker() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: "info" }, new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(c.toString())), cb()) }));
  // The app's own queue: an envelope the queue refuses reaches the app's log as the same one warn line.
  const mlreview = createApp({ appId: 1, publicUrl: undefined, dataDir: tempDir(), imageKey: "k" });
  const queue = mlreview.queue;
  const probot = new Probot({ appId: 1, privateKey, log, Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
  await probot.load(mlreview.app, { cwd: process.cwd(), addHandler: () => {} });
  const run = async (task: Record<string, unknown>) => {
    await queue.submit(task as unknown as Task);
    await mlreview.idle();
  };
  // A task that failed (and would be retried) is logged at error level: none may be.
  return { run, warnings: () => lines.filter((l) => l.level === 40).map((l) => l.msg), failures: () => lines.filter((l) => l.level >= 50).map((l) => l.msg) };
}

describe("the worker validates every task it takes off the queue", () => {
  it.each([
    [
      "a head sha that is an option for git",
      { kind: "review", forge: "github", key: "acme/model#3", version: "v1", data: { ...good, pr: { ...good.pr, head: { sha: "--upload-pack=touch /tmp/x", ref: "f" } } } },
      "mlreview: github review task dropped: pr.head.sha is not a commit id (40 or 64 hex digits)",
    ],
    ["an installation that is not a number", { kind: "review", forge: "github", key: "acme/model#3", version: "v2", data: { ...good, installation: "1; drop" } }, "mlreview: github review task dropped: installation must be a number"],
    [
      "a clone URL that is not http(s)",
      { kind: "review", forge: "github", key: "acme/model#3", version: "v3", data: { ...good, repository: { ...good.repository, clone_url: "ext::sh -c touch% /tmp/x" } } },
      "mlreview: github review task dropped: repository.clone_url is not an http(s) URL",
    ],
    [
      "a runner task without its workflow job",
      { kind: "runner", forge: "github", key: "acme/model#9@1:queued", version: "queued", data: { installation: 1, payload: { action: "queued" } } },
      "mlreview: github runner task dropped: payload.workflow_job",
    ],
    ["a forge no module has", { kind: "review", forge: "bitbucket", key: "k", version: "v", data: {} }, "mlreview: task dropped: no forge 'bitbucket'"],
    ["a kind that is neither review nor runner", { kind: "deploy", forge: "github", key: "k2", version: "v", data: {} }, "mlreview: task dropped: kind is not one of review, runner"],
    ["no forge at all", { kind: "review", key: "k3", version: "v", data: {} }, "mlreview: task dropped: forge is not a string"],
  ])("%s: one warn line, no forge call, not retried", async (_what, task, line) => {
    const w = await worker();
    await w.run(task);
    expect(w.warnings()).toHaveLength(1);
    expect(w.warnings()[0]!.startsWith(line)).toBe(true);
    expect(w.failures()).toEqual([]);
  });

  it("a task queued by the release before forge modules (github.pull_request) is validated as a GitHub review task", async () => {
    const w = await worker();
    await w.run({ kind: "github.pull_request", key: "acme/model#3", version: "old", data: { ...good, pr: { ...good.pr, base: { sha: "nope", ref: "main" } } } });
    expect(w.warnings()).toEqual(["mlreview: github review task dropped: pr.base.sha is not a commit id (40 or 64 hex digits)"]);
  });
});
