// The GitLab ForgeModule through its own surface: which checkouts it claims, the tasks its listener
// submits for each hook (kinds, keys, versions as before the module), the task schema, and the review
// session's calls against a strict nock GitLab behind a sub-path.
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import nock from "nock";
import { describe, expect, it } from "vitest";
import type { AppSettings } from "../../../src/app/settings.js";
import { gitlab, GITLAB_CONFIG_FILES } from "../../../src/forges/gitlab/index.js";
import { FORGES, forgeById } from "../../../src/forges/registry.js";
import type { ForgeHost, ForgeTask } from "../../../src/forges/types.js";
import { CONFIG_FILES } from "../../../src/project/index.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/gitlab/${name}`, import.meta.url), "utf8")) as Record<string, any>;
const GITLAB = "https://git.example.com/gitlab";
const API = `${GITLAB}/api/v4`;
const TOKEN = "glpat-module-test-0123456789";
const SECRET = "module-hook-secret";
const SHA = "a".repeat(40);

const settings = (o: Partial<AppSettings> = {}): AppSettings => ({ appId: 1, publicUrl: undefined, dataDir: "/nonexistent", imageKey: "k", gitlab: { url: GITLAB, token: TOKEN, secret: SECRET }, ...o });

/** A host that records what the module registers and submits. */
function host(s: AppSettings) {
  const submitted: (ForgeTask & { forge?: string })[] = [];
  const logs: string[] = [];
  let handler: ((req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>) | undefined;
  const log = { warn: (_o: object, m: string) => void logs.push(m), error: (_o: object, m: string) => void logs.push(m), info: () => {}, debug: () => {} };
  const h = {
    settings: s,
    probot: undefined,
    addHandler: (fn: typeof handler) => void (handler = fn),
    submit: async (t: ForgeTask) => void submitted.push(t),
    remember: async () => {},
    recall: async () => undefined,
    images: undefined,
    log,
  } as unknown as ForgeHost;
  /** One delivery through the registered route; resolves once the module has submitted (or dropped) it. */
  const deliver = async (event: string, body: unknown) => {
    const req = Object.assign(Readable.from([Buffer.from(JSON.stringify(body))]), {
      url: "/gitlab/webhook",
      method: "POST",
      headers: { "x-gitlab-event": event, "x-gitlab-token": SECRET, "idempotency-key": `d-${event}` },
    }) as unknown as IncomingMessage;
    let status = 0;
    const res = { writeHead: (s: number) => ((status = s), res), end: () => res, setHeader: () => res } as unknown as ServerResponse;
    expect(await handler!(req, res)).toBe(true);
    // The handler answers first and submits behind: wait for that submission's turn of the event loop.
    await new Promise((ok) => setImmediate(ok));
    return status;
  };
  return { h, submitted, logs, deliver, registered: () => handler !== undefined };
}

describe("the gitlab forge module", () => {
  it("is registered by id, and reads .gitlab/mlreview.yml after the common config files", () => {
    expect(forgeById("gitlab")).toBe(gitlab);
    expect(FORGES).toContain(gitlab);
    expect(GITLAB_CONFIG_FILES).toEqual([...CONFIG_FILES, ".gitlab/mlreview.yml"]);
    expect(gitlab.configFiles).toBe(GITLAB_CONFIG_FILES);
  });

  it("claims a checkout with a .gitlab-ci.yml or a remote on a GitLab host, and no other", async () => {
    const claims = (remoteUrl: string | undefined, files: string[] = []) => gitlab.claims({ remoteUrl, hasFile: async (p) => files.includes(p) });
    expect(await claims(undefined, [".gitlab-ci.yml"])).toBe(true);
    expect(await claims("https://gitlab.com/group/sub/repo.git")).toBe(true);
    expect(await claims("git@gitlab.com:group/repo.git")).toBe(true);
    expect(await claims("ssh://git@gitlab.example.com:2222/group/repo.git")).toBe(true);
    expect(await claims("https://code.gitlab-internal.corp/g/r")).toBe(true);
    expect(await claims("https://github.com/acme/model.git")).toBe(false);
    expect(await claims("git@github.com:acme/model.git")).toBe(false);
    expect(await claims("/srv/git/gitlab/repo.git")).toBe(false);
    expect(await claims(undefined)).toBe(false);
  });

  it("is enabled by settings.gitlab only", () => {
    expect(gitlab.enabled(settings())).toBe(true);
    const { gitlab: _, ...none } = settings();
    expect(gitlab.enabled(none)).toBe(false);
  });

  it("validates a review task's data with one line naming the bad field", () => {
    const good = { projectId: 1, mr: { iid: 2, source_branch: "f", target_branch: "main", sha: SHA } };
    expect(gitlab.schemas.review.parse(good)).toEqual(good);
    const bad = gitlab.schemas.review.safeParse({ ...good, mr: { ...good.mr, sha: "--upload-pack=x" } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.message).toBe("not a commit id (40 or 64 hex digits)");
    expect(gitlab.schemas.review.safeParse({ ...good, projectId: "1/../../users" }).success).toBe(false);
  });
});

describe("the gitlab listener", () => {
  it("Merge Request and Pipeline Hooks → review tasks under today's keys and versions", async () => {
    const { h, submitted, deliver } = host(settings());
    gitlab.listen(h);
    const mr = fixture("merge-request-hook.json");
    expect(await deliver("Merge Request Hook", mr)).toBe(200);
    const pipeline = fixture("pipeline-hook.json");
    expect(await deliver("Pipeline Hook", pipeline)).toBe(200);
    expect(submitted).toHaveLength(2);
    expect(submitted[0]).toEqual({
      kind: "review",
      forge: "gitlab",
      key: `gitlab:${mr.project.id}!${mr.object_attributes.iid}`,
      version: mr.object_attributes.last_commit.id,
      delivery: "d-Merge Request Hook",
      data: { projectId: mr.project.id, mr: { iid: 1, source_branch: mr.object_attributes.source_branch, target_branch: mr.object_attributes.target_branch, sha: mr.object_attributes.last_commit.id } },
    });
    expect(submitted[1]).toMatchObject({ kind: "review", forge: "gitlab", key: `gitlab:${pipeline.project.id}!${pipeline.merge_request.iid}`, version: `${pipeline.object_attributes.sha}+pipeline${pipeline.object_attributes.id}` });
    // What goes on the queue is what the worker's schema takes off it.
    for (const t of submitted) expect(gitlab.schemas.review.safeParse(t.data).success).toBe(true);
  });

  it("the Job Hook → a runner task only when runners are configured; an invalid hook is one log line", async () => {
    const job = fixture("job-hook-pending.json");
    const without = host(settings());
    gitlab.listen(without.h);
    expect(await without.deliver("Job Hook", job)).toBe(200);
    expect(without.submitted).toEqual([]);

    const withRunners = host(settings({ runnersFile: "/etc/mlreview/runners.yml" }));
    gitlab.listen(withRunners.h);
    expect(await withRunners.deliver("Job Hook", job)).toBe(200);
    expect(withRunners.submitted).toEqual([{ kind: "runner", forge: "gitlab", key: `gitlab:${job.project_id}#${job.build_id}:pending`, version: "pending", delivery: "d-Job Hook", data: job }]);
    expect(gitlab.schemas.runner.safeParse(withRunners.submitted[0]!.data).success).toBe(true);

    const mr = fixture("merge-request-hook.json");
    mr.object_attributes.iid = "1/../../users";
    expect(await withRunners.deliver("Merge Request Hook", mr)).toBe(200);
    expect(withRunners.submitted).toHaveLength(1);
    expect(withRunners.logs).toEqual([expect.stringMatching(/^mlreview: GitLab Merge Request Hook dropped, invalid payload: /)]);
  });

  it("registers nothing without settings.gitlab", () => {
    const { gitlab: _, ...none } = settings();
    const { h, registered } = host(none);
    gitlab.listen(h);
    expect(registered()).toBe(false);
  });
});

describe("the gitlab review session", () => {
  it("merge-base, the API's clone URL with oauth2, the LFS endpoint, a neutral check as success with its ⚠️ line", async () => {
    const s = settings();
    const { h } = host(s);
    const data = { projectId: 12, mr: { iid: 3, source_branch: "feature", target_branch: "main", sha: SHA } };
    const statuses: unknown[] = [];
    const scope = nock(API, { reqheaders: { "private-token": TOKEN } })
      .get("/projects/12/repository/merge_base")
      .query({ "refs[]": ["main", SHA] })
      .reply(200, { id: "b".repeat(40) })
      .get("/projects/12")
      .reply(200, { id: 12, http_url_to_repo: `${GITLAB}/group/repo.git` })
      .post(`/projects/12/statuses/${SHA}`, (b: unknown) => (statuses.push(b), true))
      .reply(201, {});
    const signal = new AbortController().signal;
    const session = await gitlab.review(data, h, signal);
    expect(session.cr).toEqual({ repo: "12", number: 3, headSha: SHA, baseRef: "main" });
    expect(session.labels).toEqual({ base: "main", head: "feature" });
    expect(session.artifacts).toBeUndefined();
    expect(await session.mergeBase(signal)).toBe("b".repeat(40));
    const clone = await session.clone(signal);
    expect(clone).toEqual({ url: `${GITLAB}/group/repo.git`, forgeOrigin: "https://git.example.com", token: TOKEN, username: "oauth2" });
    expect(session.lfsEndpoint(clone)).toBe(`${GITLAB}/group/repo.git/info/lfs`);
    await session.setCheck({ conclusion: "neutral", title: "⚠️ metrics.json could not be read", summary: "" }, signal);
    expect(statuses).toEqual([{ state: "success", name: "mlreview", description: "⚠️ metrics.json could not be read" }]);
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("a Pipeline Hook's task reads artifacts; the task's signal stops a call", async () => {
    const { h } = host(settings());
    const data = { projectId: 12, mr: { iid: 3, source_branch: "feature", target_branch: "main", sha: SHA }, builds: [] };
    const stop = new AbortController();
    const session = await gitlab.review(data, h, stop.signal);
    expect(session.artifacts).toBeTypeOf("function");
    // No build matches: not this run's results, and GitLab is not asked.
    expect(await session.artifacts!({ name: "mlreview" }, { base: SHA }, stop.signal)).toBeUndefined();
    stop.abort();
    await expect(session.mergeBase(stop.signal)).rejects.toThrow("GitLab GET /projects/12/repository/merge_base: aborted");
  });
});
