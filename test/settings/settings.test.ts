import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SettingsError, settingsFromEnv, settingsSecrets, type EnvInput } from "../../src/app/settings.js";
import { DEFAULT_HTTP_LIMITS } from "../../src/server/http-limits.js";
import { VARIABLE_ORDER } from "../../src/settings/env.js";
import { tempDir } from "../helpers/git-repo.js";
import { testPrivateKey } from "../helpers/keys.js";

const privateKey = testPrivateKey("pkcs1");

function good(): EnvInput {
  return { APP_ID: "12345", PRIVATE_KEY: privateKey, WEBHOOK_SECRET: "s3cret-webhook", NODE_ENV: "production" };
}

function problems(env: EnvInput, cwd = tempDir()): readonly string[] {
  try {
    settingsFromEnv(env, { cwd });
  } catch (e) {
    expect(e).toBeInstanceOf(SettingsError);
    expect((e as Error).message).toBe((e as SettingsError).problems.join("\n"));
    return (e as SettingsError).problems;
  }
  throw new Error("settingsFromEnv accepted the environment");
}

describe("settingsFromEnv: the environment and the operator's files, as one typed object", () => {
  it("the defaults, with only the GitHub App set", () => {
    const cwd = tempDir();
    const s = settingsFromEnv(good(), { cwd });
    expect(s).toMatchObject({
      appId: 12345,
      publicUrl: undefined,
      dataDir: join(cwd, ".mlreview-data"),
      concurrency: 4,
      http: { host: "localhost", port: 3000, webhookPath: "/api/github/webhooks", limits: DEFAULT_HTTP_LIMITS },
      sources: { dvc_remotes: [], mlflow: [], wandb: [], comet: [] },
      setupMode: false,
    });
    expect(s.imageKey).toMatch(/^[0-9a-f]{64}$/);
    for (const absent of ["images", "runnersFile", "runners", "gitlab", "redisUrl", "metricsToken", "webhookProxyUrl"] as const) expect(s[absent]).toBeUndefined();
  });

  it("numbers in the settings' units, the listener, GitLab, Redis, images", () => {
    const cwd = tempDir();
    const s = settingsFromEnv(
      {
        ...good(),
        HOST: "0.0.0.0",
        PORT: "8080",
        WEBHOOK_PATH: "/hooks/github",
        MLREVIEW_HTTP_HEADERS_TIMEOUT_MS: "2000",
        MLREVIEW_HTTP_REQUEST_TIMEOUT_MS: "60000",
        MLREVIEW_HTTP_IDLE_TIMEOUT_MS: "5000",
        MLREVIEW_HTTP_MAX_CONNECTIONS: "64",
        MLREVIEW_PUBLIC_URL: "https://bot.example.com",
        MLREVIEW_DATA_DIR: "data",
        MLREVIEW_METRICS_TOKEN: "a-metrics-token-of-16+",
        MLREVIEW_CONCURRENCY: "8",
        MLREVIEW_REPORT_IMAGES: "0",
        MLREVIEW_IMAGE_STORE_DAYS: "2",
        GITLAB_TOKEN: "glpat-abcdefabcdef",
        GITLAB_WEBHOOK_SECRET: "gitlab-hook-secret",
        REDIS_URL: "redis://redis:6379",
      },
      { cwd },
    );
    expect(s).toMatchObject({
      publicUrl: "https://bot.example.com",
      images: "serve",
      dataDir: join(cwd, "data"),
      metricsToken: "a-metrics-token-of-16+",
      concurrency: 8,
      imageLimits: { reportFiles: 0, maxAgeMs: 2 * 86_400_000 },
      http: { host: "0.0.0.0", port: 8080, webhookPath: "/hooks/github", limits: { headersTimeoutMs: 2000, requestTimeoutMs: 60_000, idleTimeoutMs: 5000, maxConnections: 64 } },
      gitlab: { url: "https://gitlab.com", token: "glpat-abcdefabcdef", secret: "gitlab-hook-secret" },
      redisUrl: "redis://redis:6379",
    });
  });

  it("an empty variable counts as unset", () => {
    const s = settingsFromEnv({ ...good(), PORT: "", MLREVIEW_CONCURRENCY: "", MLREVIEW_IMAGES: "", REDIS_URL: "" }, { cwd: tempDir() });
    expect([s.http?.port, s.concurrency, s.images, s.redisUrl]).toEqual([3000, 4, undefined, undefined]);
  });

  it("the runners file is parsed once: the settings hold its path and its value", () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "runners.yml"), "region: eu-west-1\nallow: [acme/*]\nprofiles:\n  gpu:\n    instance_types: [g5.xlarge]\n    image: ami-0123456789abcdef0\n    subnets: [subnet-a]\n");
    const s = settingsFromEnv({ ...good(), MLREVIEW_RUNNERS: "runners.yml" }, { cwd });
    expect(s.runnersFile).toBe("runners.yml");
    expect(s.runners).toMatchObject({ region: "eu-west-1", allow: ["acme/*"], profiles: { gpu: { instance_types: ["g5.xlarge"] } } });
  });

  it("the sources' named variables are resolved into their entries, the bot's AWS_REGION onto S3 rules without one", () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, "sources.yml"),
      "dvc_remotes:\n  - url: https://dagshub.com/acme/x.dvc\n    user: bot\n    password_env: DAGSHUB_TOKEN\n  - url: azure://ml\n    connection_string_env: ML_CS\n  - url: s3://acme-ml/dvc\n  - url: s3://other/dvc\n    region: us-west-2\nmlflow:\n  - url: https://mlflow.acme.internal\n    token_env: MLFLOW_TRACKING_TOKEN\n",
    );
    const env = { ...good(), MLREVIEW_SOURCES: "sources.yml", DAGSHUB_TOKEN: "dagshub-secret-value", ML_CS: "AccountName=a;AccountKey=b", MLFLOW_TRACKING_TOKEN: "mlflow-secret", AWS_REGION: "eu-central-1" };
    const s = settingsFromEnv(env, { cwd });
    expect(s.sources?.dvc_remotes).toEqual([
      { url: "https://dagshub.com/acme/x.dvc", user: "bot", password_env: "DAGSHUB_TOKEN", password: "dagshub-secret-value" },
      { url: "azure://ml", connection_string_env: "ML_CS", connection_string: "AccountName=a;AccountKey=b" },
      { url: "s3://acme-ml/dvc", region: "eu-central-1" },
      { url: "s3://other/dvc", region: "us-west-2" },
    ]);
    expect(s.sources?.mlflow).toEqual([{ url: "https://mlflow.acme.internal", token_env: "MLFLOW_TRACKING_TOKEN", token: "mlflow-secret" }]);
    // What the logger is told to scrub: every resolved value, whatever its variable is called.
    expect(settingsSecrets(s).sort()).toEqual(["AccountName=a;AccountKey=b", "dagshub-secret-value", "mlflow-secret"]);
    // The file cannot set a resolved field itself.
    writeFileSync(join(cwd, "bad.yml"), "dvc_remotes:\n  - url: https://x.example/dvc\n    password: inline\n");
    expect(problems({ ...good(), MLREVIEW_SOURCES: "bad.yml" }, cwd)).toEqual(["MLREVIEW_SOURCES: bad.yml: dvc_remotes[0]: unknown key 'password'"]);
  });

  it("one error lists every problem, one line each, naming the variable and never its value", () => {
    const cwd = tempDir();
    const env: EnvInput = {
      ...good(),
      WEBHOOK_SECRET: undefined,
      PORT: "0",
      WEBHOOK_PATH: "hooks",
      MLREVIEW_HTTP_MAX_CONNECTIONS: "0",
      MLREVIEW_HTTP_IDLE_TIMEOUT_MS: "5s",
      MLREVIEW_METRICS_TOKEN: "SECRETVALUE",
      MLREVIEW_CONCURRENCY: "1e3",
      MLREVIEW_IMAGE_STORE_MB: "SECRETVALUE",
      GITLAB_TOKEN: "glpat-SECRETVALUE",
      MLREVIEW_SOURCES: "missing.yml",
    };
    const lines = problems(env, cwd);
    expect(lines).toEqual([
      expect.stringMatching(/^WEBHOOK_SECRET is not set/),
      "PORT must be a TCP port number from 1 to 65535",
      "WEBHOOK_PATH must be a URL path starting with /, e.g. /api/github/webhooks",
      "MLREVIEW_HTTP_IDLE_TIMEOUT_MS must be a whole number from 100 to 3600000",
      "MLREVIEW_HTTP_MAX_CONNECTIONS must be a whole number from 1 to 1000000",
      "MLREVIEW_METRICS_TOKEN must be at least 16 characters",
      "MLREVIEW_CONCURRENCY must be a whole number from 1 to 256 (tasks run at once)",
      "MLREVIEW_IMAGE_STORE_MB must be a whole number from 1 to 10000000 (MB the image store may hold)",
      expect.stringMatching(/^GITLAB_WEBHOOK_SECRET must be set too/),
      "MLREVIEW_SOURCES: missing.yml: no such file",
    ]);
    for (const l of lines) {
      expect(l).not.toContain("\n");
      expect(l).not.toContain("SECRETVALUE");
    }
  });

  it("the HTTP timeouts together: headers within the request's", () => {
    expect(problems({ ...good(), MLREVIEW_HTTP_HEADERS_TIMEOUT_MS: "40000" })).toEqual(["MLREVIEW_HTTP_HEADERS_TIMEOUT_MS must not exceed MLREVIEW_HTTP_REQUEST_TIMEOUT_MS (30000 ms)"]);
    expect(settingsFromEnv({ ...good(), MLREVIEW_HTTP_HEADERS_TIMEOUT_MS: "40000", MLREVIEW_HTTP_REQUEST_TIMEOUT_MS: "40000" }, { cwd: tempDir() }).http?.limits.headersTimeoutMs).toBe(40_000);
  });

  it("setup mode (no APP_ID outside production) asks for no credentials; production does", () => {
    const s = settingsFromEnv({ PORT: "3001" }, { cwd: tempDir() });
    expect([s.setupMode, s.appId, s.http?.port]).toEqual([true, undefined, 3001]);
    expect(problems({ NODE_ENV: "production" })).toHaveLength(3);
  });

  it("covers every variable the README's env table documents", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const table = readme.slice(readme.indexOf("### 2. The env file"), readme.indexOf("```sh", readme.indexOf("### 2. The env file")));
    const documented = [...new Set([...table.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!))];
    // Read elsewhere, on purpose: the mode (isSetupMode), the env file's name (before there is an
    // environment to build settings from), and the AWS SDK's own configuration (the runners' fleet).
    const elsewhere = ["NODE_ENV", "MLREVIEW_ENV_FILE", "AWS_REGION", "AWS_ENDPOINT_URL_EC2"];
    expect(documented.length).toBeGreaterThan(20);
    expect(documented.filter((v) => !VARIABLE_ORDER.includes(v) && !elsewhere.includes(v))).toEqual([]);
  });
});
