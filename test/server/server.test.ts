import { copyFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { normalizeEnv, validateEnv } from "../../src/app/validate.js";
import { tempDir } from "../helpers/git-repo.js";
import { freePort, ROOT, startServer, waitFor } from "../helpers/server.js";
import { testPrivateKey } from "../helpers/keys.js";

const SECRET = "server-test-webhook-secret";
const privateKey = testPrivateKey("pkcs1");
const start = startServer;

// Each case its own process, directory and port: they run at once.
describe.concurrent("node dist/server.js", () => {
  it("serves /healthz and /metrics, counts a signed webhook, and exits 0 on SIGTERM well within the deadline", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "app.pem"), privateKey);
    const port = await freePort();
    const s = start({ APP_ID: "123", PRIVATE_KEY_PATH: "app.pem", WEBHOOK_SECRET: SECRET, HOST: "127.0.0.1", PORT: String(port), NODE_ENV: "production", LOG_FORMAT: "json", LOG_LEVEL: "info", MLREVIEW_DATA_DIR: join(dir, "data") }, dir);
    const url = `http://127.0.0.1:${port}`;
    try {
      const health = await waitFor(`${url}/healthz`, 200, 20_000, s);
      expect(await health.json()).toMatchObject({ status: "ok" });

      const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
      const delivered = await fetch(`${url}/api/github/webhooks`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": "d-1", "x-hub-signature-256": await sign(SECRET, body) },
        body,
      });
      expect(delivered.status).toBe(200);
      const m = await fetch(`${url}/metrics`);
      expect(m.status).toBe(200);
      expect(m.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await m.text();
      expect(text).toContain('mlreview_webhooks_total{forge="github",event="ping"} 1');
      expect(text).toContain("mlreview_reports_total");
      expect(text).toContain("process_resident_memory_bytes");

      const sent = Date.now();
      s.child.kill("SIGTERM");
      const { code, at } = await s.exited;
      expect(code).toBe(0);
      expect(at - sent).toBeLessThan(25_000);
      expect(s.out()).toContain("mlreview: shutdown complete");
      // Nothing listens any more.
      await expect(fetch(`${url}/healthz`)).rejects.toMatchObject({ message: "fetch failed", cause: { code: "ECONNREFUSED" } });
    } finally {
      s.child.kill("SIGKILL");
    }
  }, 40_000);

  it("a bad configuration: exit 1, one `mlreview: ` line per problem on stderr, no secret echoed, nothing started", async () => {
    const dir = tempDir();
    const s = start(
      {
        NODE_ENV: "production",
        APP_ID: "abc",
        PRIVATE_KEY_PATH: "missing.pem",
        PORT: "99999",
        REDIS_URL: "http://:TOPSECRET@redis:6379",
        MLREVIEW_IMAGES: "bucket",
        GITLAB_TOKEN: "glpat-TOPSECRET",
        MLREVIEW_RUNNERS: "runners.yml",
      },
      dir,
    );
    const { code } = await s.exited;
    expect(code).toBe(1);
    expect(s.out()).toBe("");
    const lines = s.err().trimEnd().split("\n");
    expect(lines).toEqual([
      "mlreview: APP_ID must be the GitHub App's numeric id (digits only)",
      "mlreview: PRIVATE_KEY_PATH: missing.pem: no such file",
      expect.stringMatching(/^mlreview: WEBHOOK_SECRET is not set/),
      "mlreview: PORT must be a TCP port number from 1 to 65535",
      "mlreview: MLREVIEW_IMAGES must be serve or branch",
      expect.stringMatching(/^mlreview: GITLAB_WEBHOOK_SECRET must be set too/),
      "mlreview: MLREVIEW_RUNNERS: runners.yml: no such file",
      expect.stringMatching(/^mlreview: REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/),
    ]);
    expect(s.err()).not.toContain("TOPSECRET");
  }, 20_000);

  it("the settings' own variables and the operator's files: exit 1 with one line each, before anything starts", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "app.pem"), privateKey);
    writeFileSync(join(dir, "sources.yml"), "dvc_remotes:\n  - url: https://dagshub.com/acme/x.dvc\n    user: bot\n    password_env: DAGSHUB_TOKEN\n");
    const s = start(
      {
        NODE_ENV: "production",
        APP_ID: "123",
        PRIVATE_KEY_PATH: "app.pem",
        WEBHOOK_SECRET: SECRET,
        MLREVIEW_HTTP_MAX_CONNECTIONS: "0",
        MLREVIEW_CONCURRENCY: "many",
        MLREVIEW_SOURCES: "sources.yml",
      },
      dir,
    );
    const { code } = await s.exited;
    expect(code).toBe(1);
    expect(s.out()).toBe("");
    expect(s.err().trimEnd().split("\n")).toEqual([
      "mlreview: MLREVIEW_HTTP_MAX_CONNECTIONS must be a whole number from 1 to 1000000",
      "mlreview: MLREVIEW_CONCURRENCY must be a whole number from 1 to 256 (tasks run at once)",
      "mlreview: MLREVIEW_SOURCES: dvc_remotes[0].password_env names DAGSHUB_TOKEN, which is not set",
    ]);
  }, 20_000);

  it("without APP_ID outside production: Probot's setup mode serves /probot, and SIGTERM exits 0", async () => {
    const dir = tempDir();
    copyFileSync(join(ROOT, "app.yml"), join(dir, "app.yml"));
    copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
    const port = await freePort();
    const s = start({ HOST: "127.0.0.1", PORT: String(port), NODE_ENV: "development", NO_SMEE_SETUP: "true", LOG_FORMAT: "json", MLREVIEW_ENV_FILE: join(dir, "setup.env") }, dir);
    try {
      const page = await waitFor(`http://127.0.0.1:${port}/probot`, 200, 20_000, s);
      expect(await page.text()).toContain("mlreview");
      // What GitHub hands back lands in MLREVIEW_ENV_FILE, readable by its owner only, and reads back as a valid configuration.
      const imported = await fetch(`http://127.0.0.1:${port}/probot/import`, { method: "POST", body: JSON.stringify({ appId: 4242, pem: privateKey, webhook_secret: "from-github" }) });
      expect(imported.status).toBe(200);
      const written = readFileSync(join(dir, "setup.env"), "utf8");
      expect(written).toContain("APP_ID=4242\n");
      expect(written).toContain("WEBHOOK_SECRET=from-github\n");
      expect(statSync(join(dir, "setup.env")).mode & 0o777).toBe(0o600);
      const back: Record<string, string | undefined> = { ...parseEnv(written), NODE_ENV: "production" };
      normalizeEnv(back);
      expect(validateEnv(back, { cwd: dir })).toEqual([]);
      s.child.kill("SIGTERM");
      expect((await s.exited).code).toBe(0);
    } finally {
      s.child.kill("SIGKILL");
    }
  }, 30_000);
});
