import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isSetupMode, normalizeEnv, validateEnv, type EnvInput } from "../../src/app/validate.js";
import { tempDir } from "../helpers/git-repo.js";
import { testPrivateKey } from "../helpers/keys.js";

const privateKey = testPrivateKey("pkcs1");

const RUNNERS = `region: us-east-1
allow: [acme/*]
profiles:
  gpu:
    instance_types: [g5.xlarge]
    image: ami-0123456789abcdef0
    subnets: [subnet-a]
`;

function good(): EnvInput {
  return { APP_ID: "12345", PRIVATE_KEY: privateKey, WEBHOOK_SECRET: "s3cret-webhook", NODE_ENV: "production" };
}

describe("validateEnv: one line per problem, never a value", () => {
  it("a complete, valid configuration has no problem", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "runners.yml"), RUNNERS);
    writeFileSync(join(dir, "key.pem"), privateKey);
    const env = {
      ...good(),
      PRIVATE_KEY: undefined,
      PRIVATE_KEY_PATH: "key.pem",
      PORT: "3000",
      HOST: "0.0.0.0",
      LOG_LEVEL: "info",
      GHE_HOST: "github.example.com",
      GHE_PROTOCOL: "https",
      MLREVIEW_PUBLIC_URL: "https://bot.example.com/mlreview",
      MLREVIEW_IMAGES: "serve",
      MLREVIEW_DATA_DIR: join(dir, "data", "nested"),
      MLREVIEW_RUNNERS: "runners.yml",
      GITLAB_URL: "https://git.example.com/gitlab",
      GITLAB_TOKEN: "glpat-abcdefabcdef",
      GITLAB_WEBHOOK_SECRET: "gitlab-hook-secret",
      REDIS_URL: "rediss://:pw@redis.example.com:6380/0",
    };
    expect(validateEnv(env, { cwd: dir })).toEqual([]);
  });

  it("PRIVATE_KEY as Probot accepts it: \\n escapes, base64, PKCS#8", () => {
    const dir = tempDir();
    expect(validateEnv({ ...good(), PRIVATE_KEY: privateKey.replace(/\n/g, "\\n") }, { cwd: dir })).toEqual([]);
    expect(validateEnv({ ...good(), PRIVATE_KEY: Buffer.from(privateKey).toString("base64") }, { cwd: dir })).toEqual([]);
    const pkcs8 = testPrivateKey("pkcs8");
    expect(validateEnv({ ...good(), PRIVATE_KEY: pkcs8 }, { cwd: dir })).toEqual([]);
    // A lone .pem file in the working directory, as Probot finds it.
    writeFileSync(join(dir, "app.private-key.pem"), privateKey);
    expect(validateEnv({ ...good(), PRIVATE_KEY: undefined }, { cwd: dir })).toEqual([]);
  });

  it("docker --env-file keeps the quotes Probot's setup wrote around PRIVATE_KEY: normalizeEnv drops them", () => {
    const env = { ...good(), PRIVATE_KEY: `"${privateKey.replace(/\n/g, "\\n")}"` };
    expect(validateEnv(env, { cwd: tempDir() })).toHaveLength(1);
    normalizeEnv(env);
    expect(validateEnv(env, { cwd: tempDir() })).toEqual([]);
  });

  it("every problem at once, each one line naming the variable, no secret echoed", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "runners.yml"), "region: mars\nallow: [acme/*]\nprofiles: {}\n");
    const env: EnvInput = {
      NODE_ENV: "production",
      APP_ID: "12a",
      PRIVATE_KEY: "not-a-key-SECRETVALUE",
      PORT: "70000",
      LOG_LEVEL: "loud",
      GHE_HOST: "https://ghe.example.com",
      GHE_PROTOCOL: "ftp",
      MLREVIEW_PUBLIC_URL: "ftp://x",
      MLREVIEW_IMAGES: "s3",
      MLREVIEW_IMAGE_KEY: "short",
      MLREVIEW_RUNNERS: "runners.yml",
      GITLAB_TOKEN: "glpat-SECRETVALUE",
      GITLAB_URL: "gitlab.com",
      REDIS_URL: "http://:SECRETVALUE@redis:6379",
    };
    const problems = validateEnv(env, { cwd: dir });
    expect(problems).toEqual([
      "APP_ID must be the GitHub App's numeric id (digits only)",
      expect.stringMatching(/^PRIVATE_KEY is not a PEM private key/),
      expect.stringMatching(/^WEBHOOK_SECRET is not set/),
      "PORT must be a TCP port number from 1 to 65535",
      expect.stringMatching(/^LOG_LEVEL must be one of trace, debug/),
      expect.stringMatching(/^GHE_HOST must be a host name/),
      "GHE_PROTOCOL must be https or http",
      expect.stringMatching(/^MLREVIEW_PUBLIC_URL must be an http\(s\) URL/),
      "MLREVIEW_IMAGES must be serve or branch",
      expect.stringMatching(/^MLREVIEW_IMAGE_KEY must be at least 16/),
      expect.stringMatching(/^GITLAB_WEBHOOK_SECRET must be set too/),
      expect.stringMatching(/^GITLAB_URL must be an http\(s\) URL/),
      expect.stringMatching(/^MLREVIEW_RUNNERS: runners.yml: region: expected an AWS region/),
      expect.stringMatching(/^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/),
    ]);
    for (const p of problems) {
      expect(p).not.toContain("\n");
      expect(p).not.toContain("SECRETVALUE");
    }
  });

  it("missing credentials in production; in setup mode they are not asked for", () => {
    const dir = tempDir();
    expect(validateEnv({ NODE_ENV: "production" }, { cwd: dir })).toEqual([
      expect.stringMatching(/^APP_ID is not set: the GitHub App's id \(to create the app/),
      "PRIVATE_KEY or PRIVATE_KEY_PATH is not set: the GitHub App's private key (PEM)",
      expect.stringMatching(/^WEBHOOK_SECRET is not set/),
    ]);
    expect(isSetupMode({ NODE_ENV: "production" })).toBe(false);
    expect(isSetupMode({})).toBe(true);
    expect(isSetupMode({ APP_ID: "1" })).toBe(false);
    expect(validateEnv({}, { cwd: dir, setupMode: true })).toEqual([]);
    expect(validateEnv({ REDIS_URL: "localhost:6379" }, { cwd: dir, setupMode: true })).toEqual([expect.stringMatching(/^REDIS_URL/)]);
  });

  it("files: a key path that is missing or not a key, a runners file that is missing, a data dir that is a file", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "notkey.pem"), "hello\n");
    writeFileSync(join(dir, "file"), "x");
    expect(validateEnv({ ...good(), PRIVATE_KEY: undefined, PRIVATE_KEY_PATH: "missing.pem" }, { cwd: dir })).toEqual(["PRIVATE_KEY_PATH: missing.pem: no such file"]);
    expect(validateEnv({ ...good(), PRIVATE_KEY: undefined, PRIVATE_KEY_PATH: "notkey.pem" }, { cwd: dir })).toEqual(["PRIVATE_KEY_PATH: notkey.pem: not a PEM private key"]);
    expect(validateEnv({ ...good(), MLREVIEW_RUNNERS: "/nonexistent/runners.yml" }, { cwd: dir })).toEqual(["MLREVIEW_RUNNERS: /nonexistent/runners.yml: no such file"]);
    expect(validateEnv({ ...good(), MLREVIEW_DATA_DIR: "file" }, { cwd: dir })).toEqual(["MLREVIEW_DATA_DIR is not a directory"]);
    expect(validateEnv({ ...good(), MLREVIEW_DATA_DIR: "file/sub" }, { cwd: dir })).toEqual(["MLREVIEW_DATA_DIR cannot be created: a parent is not a directory"]);
    if (process.getuid?.() !== 0) {
      const ro = join(dir, "ro");
      mkdirSync(ro);
      chmodSync(ro, 0o500);
      expect(validateEnv({ ...good(), MLREVIEW_DATA_DIR: ro }, { cwd: dir })).toEqual(["MLREVIEW_DATA_DIR is not writable by this user"]);
    }
  });

  it("GitLab is all or none; MLREVIEW_IMAGES=serve needs a public URL", () => {
    const dir = tempDir();
    expect(validateEnv({ ...good(), GITLAB_URL: "https://gitlab.com" }, { cwd: dir })).toEqual([expect.stringMatching(/^GITLAB_URL is set but GITLAB_TOKEN and GITLAB_WEBHOOK_SECRET are not/)]);
    expect(validateEnv({ ...good(), GITLAB_WEBHOOK_SECRET: "x" }, { cwd: dir })).toEqual([expect.stringMatching(/^GITLAB_TOKEN must be set too/)]);
    expect(validateEnv({ ...good(), GITLAB_WEBHOOK_SECRET: "x", GITLAB_TOKEN: "y" }, { cwd: dir })).toEqual([]);
    expect(validateEnv({ ...good(), MLREVIEW_IMAGES: "serve" }, { cwd: dir })).toEqual([expect.stringMatching(/^MLREVIEW_IMAGES=serve needs MLREVIEW_PUBLIC_URL/)]);
    expect(validateEnv({ ...good(), MLREVIEW_IMAGES: "branch" }, { cwd: dir })).toEqual([]);
  });

  it("the queue's concurrency and the image store's caps are whole numbers in range; valid ones reach the settings", async () => {
    const { settingsFromEnv } = await import("../../src/app/settings.js");
    const dir = tempDir();
    const bad = { MLREVIEW_CONCURRENCY: "0", MLREVIEW_REPORT_IMAGES: "many", MLREVIEW_REPORT_IMAGES_MB: "-1", MLREVIEW_IMAGE_STORE_MB: "1.5", MLREVIEW_IMAGE_STORE_DAYS: "99999999" };
    expect(validateEnv({ ...good(), ...bad }, { cwd: dir })).toEqual(Object.keys(bad).map((name) => expect.stringMatching(new RegExp(`^${name} must be a whole number from \\d+ to \\d+ \\(`))));
    const ok = { MLREVIEW_CONCURRENCY: "2", MLREVIEW_REPORT_IMAGES: "10", MLREVIEW_REPORT_IMAGES_MB: "5", MLREVIEW_IMAGE_STORE_MB: "100", MLREVIEW_IMAGE_STORE_DAYS: "7" };
    expect(validateEnv({ ...good(), ...ok }, { cwd: dir })).toEqual([]);
    const s = settingsFromEnv({ ...good(), ...ok });
    expect([s.concurrency, s.imageLimits]).toEqual([2, { reportFiles: 10, reportBytes: 5 * 1024 * 1024, totalBytes: 100 * 1024 * 1024, maxAgeMs: 7 * 86_400_000 }]);
  });
});
