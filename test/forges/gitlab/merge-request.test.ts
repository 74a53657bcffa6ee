import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { createNodeMiddleware, Probot } from "probot";
import { afterAll, describe, expect, it } from "vitest";
import { zip as makeZip } from "../../helpers/zip.js";
import { createApp, type MlreviewApp } from "../../../src/app/index.js";
import { MARKER } from "../../../src/report/index.js";
import { forgeChange, recordUnexpectedRequests } from "../../helpers/forge.js";
import { gitHttpServer } from "../../helpers/git-http.js";
import { tempDir } from "../../helpers/git-repo.js";
import { testPrivateKey } from "../../helpers/keys.js";

// Self-managed, behind a sub-path: git over HTTP on loopback, the API (same origin) mocked with nock.
const forge = await gitHttpServer();
afterAll(() => forge.close());
const GITLAB = `${forge.origin}/gitlab`;
const API = `${GITLAB}/api/v4`;
const SECRET = "gitlab-hook-secret";
const TOKEN = "glpat-test-token";
const BOT_USER = 77;
const privateKey = testPrivateKey("pkcs8");
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/gitlab/${name}`, import.meta.url), "utf8")) as Record<string, any>;

/** master with the base results; ms-viewport (the MR's source branch) with better ones and a plot. */
function repo(both: Record<string, string> = {}) {
  const files = (acc: string, loss: string) => ({
    "dvc.yaml": "metrics: [metrics.json]\nplots:\n  - loss.csv:\n      y: loss\n      title: Loss\n",
    "metrics.json": `{"acc": ${acc}}`,
    "loss.csv": `step,loss\n0,1\n1,${loss}\n`,
    ...both,
  });
  const { bare, base, head } = forgeChange({ base: files("0.8", "0.5"), head: files("0.9", "0.3"), branch: "master", feature: "ms-viewport", message: "better" });
  return { bare, url: forge.serve(`gitlab/gitlabhq/gitlab-test-${++served}.git`, bare), base, head };
}
let served = 0;

async function server(mlreview: MlreviewApp) {
  const probot = new Probot({ appId: 1, privateKey, secret: "unused", logLevel: "fatal" });
  const middleware = await createNodeMiddleware(mlreview.app, { probot });
  const s = createServer((req, res) => void middleware(req, res, () => res.writeHead(404).end()));
  await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/gitlab/webhook`;
  const post = (event: string, body: unknown, token = SECRET) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-gitlab-event": event, "x-gitlab-token": token }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { post, close: () => s.close() };
}

/** One delivery to a fresh server of `mlreview`, waiting for everything it set off; the HTTP status. */
async function deliver(mlreview: MlreviewApp, event: string, body: unknown): Promise<number> {
  const s = await server(mlreview);
  try {
    const status = (await s.post(event, body)).status;
    await mlreview.idle();
    return status;
  } finally {
    s.close();
  }
}

const app = () => createApp({ appId: 1, publicUrl: undefined, dataDir: tempDir(), imageKey: "k", gitlab: { url: GITLAB, token: TOKEN, secret: SECRET } });

describe("GitLab merge requests", () => {
  const unexpected = recordUnexpectedRequests();

  it("Merge Request Hook → one note (found on page 2, edited), images uploaded and linked relatively, a commit status", async () => {
    const r = repo();
    const hook = fixture("merge-request-hook.json");
    hook.object_attributes.last_commit.id = r.head;
    const project = hook.project.id;
    const notes = `/projects/${project}/merge_requests/1/notes`;
    const sent: { uploads: number; note?: string; status?: unknown } = { uploads: 0 };
    const scope = nock(API, { reqheaders: { "private-token": TOKEN } })
      .get(`/projects/${project}`)
      .reply(200, { id: project, http_url_to_repo: r.url })
      .get(`/projects/${project}/repository/merge_base`)
      .query({ "refs[]": ["master", r.head] })
      .reply(200, { id: r.base })
      .get("/user")
      .reply(200, { id: BOT_USER, username: "mlreview-bot" })
      .get(notes)
      .query({ sort: "asc", order_by: "created_at", per_page: 100, page: 1 })
      .reply(200, [{ id: 1, body: `${MARKER} pasted by a user`, system: false, author: { id: 5, username: "someone" } }], { "x-next-page": "2" })
      .get(notes)
      .query({ sort: "asc", order_by: "created_at", per_page: 100, page: 2 })
      .reply(200, [{ id: 2, body: `${MARKER}\nold report`, system: false, author: { id: BOT_USER, username: "mlreview-bot" } }], { "x-next-page": "" })
      .post(`/projects/${project}/uploads`)
      .reply(201, () => (sent.uploads++, { url: `/uploads/0123456789abcdef0123456789abcdef/loss.png`, markdown: "![loss.png](/uploads/0123456789abcdef0123456789abcdef/loss.png)" }))
      .put(`${notes}/2`, (b: { body: string }) => ((sent.note = b.body), true))
      .reply(200, { id: 2 })
      .post(`/projects/${project}/statuses/${r.head}`, (b: unknown) => ((sent.status = b), true))
      .reply(201, {});
    expect(await deliver(app(), "Merge Request Hook", hook)).toBe(200);
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(sent.uploads).toBe(1);
    expect(sent.note).toContain("### ML results: ms-viewport vs master");
    expect(sent.note).toContain("| metrics.json | acc | 0.8 | 0.9 | ▲ +0.1 | +12.5% |");
    expect(sent.note).toContain("![Loss](/uploads/0123456789abcdef0123456789abcdef/loss.png)");
    expect(sent.status).toEqual({ state: "success", name: "mlreview", description: "Metrics: 1 improved ▲ (▲ acc +12.5%)." });
  });

  it("a wrong or missing token is 401, a huge body 413, a body that is not JSON 400, and none of them does anything", async () => {
    const mlreview = app();
    const s = await server(mlreview);
    try {
      expect((await s.post("Merge Request Hook", fixture("merge-request-hook.json"), "wrong")).status).toBe(401);
      expect((await s.post("Merge Request Hook", fixture("merge-request-hook.json"), "")).status).toBe(401);
      expect((await s.post("Merge Request Hook", "x".repeat(6 * 1024 * 1024))).status).toBe(413);
      expect((await s.post("Merge Request Hook", "{not json")).status).toBe(400);
      await mlreview.idle();
    } finally {
      s.close();
    }
    expect(unexpected).toEqual([]);
  });

  it("updates without new commits (title, labels) are ignored", async () => {
    const hook = fixture("merge-request-hook.json");
    hook.object_attributes.action = "update"; // the documented example changes labels and the draft flag, not code
    expect(await deliver(app(), "Merge Request Hook", hook)).toBe(200);
    expect(unexpected).toEqual([]);
  });

  it("Pipeline Hook: the job's artifact against the target branch's latest successful pipeline", async () => {
    // The results live only in the artifacts, and the config (in .gitlab/) says so at both commits.
    const r = repo({ ".gitlab/mlreview.yml": "metrics: [out/metrics.json]\nartifacts: {name: mlreview}\n" });
    const hook = fixture("pipeline-hook.json");
    const project = hook.project.id;
    hook.object_attributes.sha = r.head;
    hook.merge_request.source_branch = "ms-viewport";
    hook.builds.push({ ...hook.builds[1], id: 381, name: "train", status: "success", artifacts_file: { filename: "mlreview.zip", size: 200 } });
    const zip = (acc: number) => makeZip({ "out/metrics.json": `{"acc": ${acc}}` });
    let note = "";
    const zipType = { "content-type": "application/zip" };
    const scope = nock(API)
      .get(`/projects/${project}`)
      .reply(200, { id: project, http_url_to_repo: r.url })
      .get(`/projects/${project}/repository/merge_base`)
      .query(true)
      .reply(200, { id: r.base })
      .get(`/projects/${project}/jobs/381/artifacts`)
      .reply(200, await zip(0.95), zipType)
      .get(`/projects/${project}/pipelines`)
      .query({ ref: "master", status: "success", per_page: 1 })
      .reply(200, [{ id: 20 }])
      .get(`/projects/${project}/pipelines/20/jobs`)
      .query(true)
      .reply(200, [{ id: 300, name: "train", status: "success", artifacts_file: { filename: "mlreview.zip" } }])
      .get(`/projects/${project}/jobs/300/artifacts`)
      .reply(200, await zip(0.9), zipType)
      .get("/user")
      .reply(200, { id: BOT_USER })
      .get(`/projects/${project}/merge_requests/1/notes`)
      .query(true)
      .reply(200, [])
      .post(`/projects/${project}/merge_requests/1/notes`, (b: { body: string }) => ((note = b.body), true))
      .reply(201, { id: 9 })
      .post(`/projects/${project}/statuses/${hook.object_attributes.sha}`)
      .reply(201, {});
    expect(await deliver(app(), "Pipeline Hook", hook)).toBe(200);
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(note).toContain("| out/metrics.json | acc | 0.9 | 0.95 | ▲ +0.05 | +5.56% |");
  });
});

describe("GitLab faults", () => {
  const unexpected = recordUnexpectedRequests();

  it("a 500 on the note and a 502 on the commit status are retried to completion: one note, one status", async () => {
    // The client retries both within the one task run (Retry-After: 0 keeps the test quick): the clone,
    // the merge-base, the notes and the upload are asked once, and the queue never re-runs the task.
    const r = repo();
    const hook = fixture("merge-request-hook.json");
    hook.object_attributes.last_commit.id = r.head;
    const project = hook.project.id;
    const notes = `/projects/${project}/merge_requests/1/notes`;
    const created: string[] = [];
    let statuses = 0;
    const now = { "retry-after": "0" };
    const scope = nock(API)
      .get(`/projects/${project}`)
      .reply(200, { id: project, http_url_to_repo: r.url })
      .get(`/projects/${project}/repository/merge_base`)
      .query(true)
      .reply(200, { id: r.base })
      .get("/user")
      .reply(200, { id: BOT_USER })
      .get(notes)
      .query(true)
      .reply(200, () => created.map((body, i) => ({ id: i + 1, body, system: false, author: { id: BOT_USER } })))
      .post(`/projects/${project}/uploads`)
      .reply(201, { url: "/uploads/00000000000000000000000000000000/loss.png" })
      .post(notes)
      .reply(500, { message: "500 Internal Server Error" }, now)
      .post(notes, (b: { body: string }) => (created.push(b.body), true))
      .reply(201, { id: 1 })
      .post(`/projects/${project}/statuses/${r.head}`)
      .reply(502, "Bad Gateway", now)
      .post(`/projects/${project}/statuses/${r.head}`, () => (statuses++, true))
      .reply(201, {});
    const { MemoryQueue } = await import("../../../src/queue/memory.js");
    expect(
      await deliver(
        createApp({ appId: 1, publicUrl: undefined, dataDir: tempDir(), imageKey: "k", gitlab: { url: GITLAB, token: TOKEN, secret: SECRET } }, { queue: new MemoryQueue(undefined, { retryDelayMs: 20 }) }),
        "Merge Request Hook",
        hook,
      ),
    ).toBe(200);
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    expect(created).toHaveLength(1);
    expect(statuses).toBe(1);
  });
});
