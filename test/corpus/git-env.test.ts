// What git children see (issue 10, M1): a `git` first on PATH records its environment, then runs the
// real git. Every secret the bot or a CI job holds is set; none may reach any git process, through a
// GitLab report end to end (config, fetch, cat-file) and through the CLI.
import { execFileSync } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import nock from "nock";
import { createNodeMiddleware, Probot } from "probot";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app/index.js";
// End to end on purpose: what a real process environment holds must not reach git.
import { mlreviewBinary as mlreview } from "../helpers/cli.js";
import { forgeChange, recordUnexpectedRequests } from "../helpers/forge.js";
import { gitHttpServer } from "../helpers/git-http.js";
import { makeRepo, tempDir } from "../helpers/git-repo.js";
import { title } from "./cases.js";
import { testPrivateKey } from "../helpers/keys.js";

const forge = await gitHttpServer();
afterAll(() => forge.close());
const GITLAB = `${forge.origin}/gitlab`;
const privateKey = testPrivateKey("pkcs8");

/** The secrets of a bot's (or a CI job's) environment, each a distinctive value. */
const SECRETS = {
  PRIVATE_KEY: privateKey,
  WEBHOOK_SECRET: "whsec-corpus-0123456789",
  GITLAB_TOKEN: "glpat-corpus-secret-0123456789",
  GITLAB_WEBHOOK_SECRET: "gitlab-hook-corpus-secret",
  AWS_ACCESS_KEY_ID: "AKIACORPUS0123456789",
  AWS_SECRET_ACCESS_KEY: "aws-secret-corpus-0123456789abcdef",
  AWS_SESSION_TOKEN: "aws-session-corpus-0123456789",
  MLREVIEW_IMAGE_KEY: "image-key-corpus-0123456789",
};
/** How a value would show in `env` output: a PEM key by one of its lines. */
const needle = (v: string) => (v.includes("\n") ? v.split("\n")[1]! : v);

/** A directory whose `git` records its environment into `records` and then execs the real git. */
function gitShim(): { bin: string; records: string; envs(): string[] } {
  const bin = tempDir("git-shim-");
  const records = tempDir("git-envs-");
  const real = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  writeFileSync(join(bin, "git"), `#!/bin/sh\nenv > "${records}/$$-$(date +%s%N).env"\nexec "${real}" "$@"\n`);
  chmodSync(join(bin, "git"), 0o755);
  return { bin, records, envs: () => readdirSync(records).map((f) => readFileSync(join(records, f), "utf8")) };
}

/** GIT_CONFIG_KEY_n=... / GIT_CONFIG_VALUE_n=... of one recorded environment, as pairs. */
function gitConfig(env: string): [string, string][] {
  const get = (name: string) => new RegExp(`^${name}=(.*)$`, "m").exec(env)?.[1];
  const n = Number(get("GIT_CONFIG_COUNT") ?? 0);
  return Array.from({ length: n }, (_, i) => [get(`GIT_CONFIG_KEY_${i}`) ?? "", get(`GIT_CONFIG_VALUE_${i}`) ?? ""]);
}

function expectNoSecret(envs: string[]): void {
  expect(envs.length).toBeGreaterThan(0);
  for (const env of envs) for (const [name, value] of Object.entries(SECRETS)) expect(env.includes(needle(value)), `${name} in a git child's environment`).toBe(false);
}

describe("secrets and git children", () => {
  const unexpected = recordUnexpectedRequests();

  it(title("L09"), async () => {
    const { bare, base, head } = forgeChange({ base: { "metrics.json": '{"acc": 0.8}' }, head: { "metrics.json": '{"acc": 0.9}' }, branch: "master", message: "better" });
    const url = forge.serve("gitlab/group/secrets.git", bare);
    const hook = JSON.parse(readFileSync(new URL("../fixtures/gitlab/merge-request-hook.json", import.meta.url), "utf8")) as Record<string, any>;
    hook.object_attributes.last_commit.id = head;
    const project = hook.project.id as number;
    const scope = nock(`${GITLAB}/api/v4`)
      .get(`/projects/${project}`)
      .reply(200, { id: project, http_url_to_repo: url })
      .get(`/projects/${project}/repository/merge_base`)
      .query(true)
      .reply(200, { id: base })
      .get("/user")
      .reply(200, { id: 77 })
      .get(`/projects/${project}/merge_requests/1/notes`)
      .query(true)
      .reply(200, [])
      .post(`/projects/${project}/merge_requests/1/notes`)
      .reply(201, { id: 9 })
      .post(`/projects/${project}/statuses/${head}`)
      .reply(201, {});

    const shim = gitShim();
    const saved = { ...process.env };
    Object.assign(process.env, SECRETS, { PATH: `${shim.bin}:${process.env.PATH}` });
    try {
      const app = createApp({ appId: 1, publicUrl: undefined, dataDir: tempDir(), imageKey: "k", gitlab: { url: GITLAB, token: SECRETS.GITLAB_TOKEN, secret: SECRETS.GITLAB_WEBHOOK_SECRET } });
      const probot = new Probot({ appId: 1, privateKey, secret: "unused", logLevel: "fatal" });
      const middleware = await createNodeMiddleware(app.app, { probot });
      const s = createServer((req, res) => void middleware(req, res, () => res.writeHead(404).end()));
      await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
      try {
        const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/gitlab/webhook`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-gitlab-event": "Merge Request Hook", "x-gitlab-token": SECRETS.GITLAB_WEBHOOK_SECRET },
          body: JSON.stringify(hook),
        });
        expect(res.status).toBe(200);
        await app.idle();
      } finally {
        s.close();
      }
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    expect(unexpected).toEqual([]);
    expect(scope.pendingMocks()).toEqual([]);
    const envs = shim.envs();
    expectNoSecret(envs);
    // The token reaches git only as the Authorization header scoped to the clone URL, and does reach the fetches.
    const header = `Authorization: Basic ${Buffer.from(`oauth2:${SECRETS.GITLAB_TOKEN}`).toString("base64")}`;
    const carrying = envs.filter((e) => e.includes(header));
    expect(carrying.length).toBeGreaterThan(0);
    for (const env of carrying) {
      expect(gitConfig(env).filter(([, v]) => v === header)).toEqual([[`http.${url}.extraHeader`, header]]);
      // Beside it: no transport but http(s), no redirect that would carry the header elsewhere.
      expect(gitConfig(env)).toEqual(
        expect.arrayContaining([
          ["protocol.allow", "never"],
          ["protocol.https.allow", "always"],
          ["http.followRedirects", "false"],
        ]),
      );
    }
  });

  it(title("L10"), () => {
    const work = makeRepo({ commits: [{ "metrics.json": '{"acc": 0.8}' }, { "metrics.json": '{"acc": 0.9}' }] });
    const shim = gitShim();
    const r = mlreview(["report", "--base", "HEAD~1", "--head", "HEAD"], { cwd: work, env: { ...SECRETS, PATH: `${shim.bin}:${process.env.PATH}` } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("| metrics.json | acc | 0.8 | 0.9 |");
    const show = mlreview(["metrics", "show", "--all-branches"], { cwd: work, env: { ...SECRETS, PATH: `${shim.bin}:${process.env.PATH}` } });
    expect(show.code).toBe(0);
    expectNoSecret(shim.envs());
  });
});
