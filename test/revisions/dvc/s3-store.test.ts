import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openS3 } from "../../../src/revisions/dvc/stores/s3.js";
import { ObjectTooLarge, StoreError, StoreUnreachable, type RemoteConfig } from "../../../src/revisions/dvc/stores/types.js";
import type { DvcRemoteRule } from "../../../src/sources/config.js";
import { mlreview } from "../../helpers/cli.js";
import { dvc, dvcSteps } from "../../helpers/dvc.js";
import { git, tempDir, writeFiles } from "../../helpers/git-repo.js";
import { startMoto, type MotoServer } from "../../helpers/moto.js";

// Three IAM calls set up a user; from then on moto checks every signature and the user's policy.
const SETUP_ACTIONS = 3;
const NEW_KEY = "files/md5/d8/e8fca2dc0f896fd7cb4cb0031ba249"; // DVC 3 layout
const OLD_KEY = "c1/57a79031e1c40f85931829bc5fc552"; // DVC 2 layout
const BIG_KEY = "files/md5/aa/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

let moto: MotoServer;
let keyId: string;
let secret: string;
const savedEnv = { ...process.env };

async function iam(endpoint: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(`${endpoint}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      // Unchecked during the setup actions; moto routes by the credential scope's service.
      authorization: "AWS4-HMAC-SHA256 Credential=setup/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00",
    },
    body: new URLSearchParams({ Version: "2010-05-08", ...params }).toString(),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`IAM ${params.Action}: ${res.status} ${text}`);
  return text;
}

function remote(options: Record<string, string>, url = "s3://dvc-bucket/project/cache"): RemoteConfig {
  return { name: "storage", url, options };
}

function secrets(): string[] {
  return [secret, keyId];
}

async function failure(p: Promise<unknown>): Promise<StoreError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StoreError);
  const msg = (e as Error).message;
  expect(msg).not.toContain("\n");
  for (const s of secrets()) expect(msg).not.toContain(s);
  return e as StoreError;
}

beforeAll(async () => {
  moto = await startMoto({ authAfter: SETUP_ACTIONS });
  await iam(moto.endpoint, { Action: "CreateUser", UserName: "dvc" });
  await iam(moto.endpoint, {
    Action: "PutUserPolicy",
    UserName: "dvc",
    PolicyName: "all",
    PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
  });
  const created = await iam(moto.endpoint, { Action: "CreateAccessKey", UserName: "dvc" });
  keyId = /<AccessKeyId>([^<]+)</.exec(created)![1]!;
  secret = /<SecretAccessKey>([^<]+)</.exec(created)![1]!;
  const admin = new S3Client({ endpoint: moto.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: keyId, secretAccessKey: secret } });
  await admin.send(new CreateBucketCommand({ Bucket: "dvc-bucket" }));
  await admin.send(new PutObjectCommand({ Bucket: "dvc-bucket", Key: `project/cache/${NEW_KEY}`, Body: "accuracy: 0.91\n" }));
  await admin.send(new PutObjectCommand({ Bucket: "dvc-bucket", Key: `project/cache/${OLD_KEY}`, Body: '{"loss": 0.2}' }));
  await admin.send(new PutObjectCommand({ Bucket: "dvc-bucket", Key: `project/cache/${BIG_KEY}`, Body: Buffer.alloc(64 * 1024, 7) }));
  admin.destroy();
}, 120_000);

afterAll(async () => {
  await moto?.stop();
});

afterEach(() => {
  for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"]) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

/** The bot's own keys, where the SDK's default chain finds them (operator mode: the SDK reads them, mlreview does not). */
function useEnvKeys(): void {
  process.env.AWS_ACCESS_KEY_ID = keyId;
  process.env.AWS_SECRET_ACCESS_KEY = secret;
}

/** A user's environment with keys, as the CLI hands it down (user mode). */
function envKeys(): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: secret };
}

describe("openS3, user mode (the repository's options and the user's credentials)", () => {
  it("reads objects of both DVC layouts below the prefix, with endpointurl and keys from the options", async () => {
    const store = openS3(remote({ endpointurl: moto.endpoint, access_key_id: keyId, secret_access_key: secret }), undefined);
    expect(store.describe).toBe("DVC remote 'storage' (s3://dvc-bucket/project/cache)");
    expect((await store.get(NEW_KEY, 1024))?.toString()).toBe("accuracy: 0.91\n");
    expect((await store.get(OLD_KEY, 1024))?.toString()).toBe('{"loss": 0.2}');
  });

  it("takes the keys from the user's environment, as boto does", async () => {
    const store = openS3(remote({ endpointurl: moto.endpoint }), undefined, envKeys());
    expect((await store.get(NEW_KEY, 1024))?.toString()).toBe("accuracy: 0.91\n");
  });

  it("reads credentialpath as a shared credentials file, with the remote's profile", async () => {
    const dir = tempDir("mlreview-s3-");
    const file = join(dir, "credentials");
    writeFileSync(file, `[default]\naws_access_key_id = WRONG\naws_secret_access_key = WRONG\n\n[ml]\naws_access_key_id = ${keyId}\naws_secret_access_key = ${secret}\n`);
    const store = openS3(remote({ endpointurl: moto.endpoint, credentialpath: file, profile: "ml" }), undefined);
    expect((await store.get(OLD_KEY, 1024))?.toString()).toBe('{"loss": 0.2}');
  });

  it("answers undefined for an absent object", async () => {
    const store = openS3(remote({ endpointurl: moto.endpoint, access_key_id: keyId, secret_access_key: secret }), undefined);
    expect(await store.get("files/md5/00/000000000000000000000000000000", 1024)).toBeUndefined();
  });

  it("refuses an object over maxBytes", async () => {
    const store = openS3(remote({ endpointurl: moto.endpoint, access_key_id: keyId, secret_access_key: secret }), undefined);
    await expect(store.get(BIG_KEY, 1000)).rejects.toBeInstanceOf(ObjectTooLarge);
    expect((await store.get(BIG_KEY, 64 * 1024))?.length).toBe(64 * 1024);
  });

  it("says access denied for a wrong secret, without the secret or the key", async () => {
    const store = openS3(remote({ endpointurl: moto.endpoint, access_key_id: keyId, secret_access_key: `${secret}x` }), undefined);
    const e = await failure(store.get(NEW_KEY, 1024));
    expect(e.message).toMatch(/^access denied \(403: \w+\)$/);
    expect(e.message).not.toContain(`${secret}x`);
  });

  it("says access denied for an unknown key id", async () => {
    const store = openS3(remote({ endpointurl: moto.endpoint, access_key_id: "AKIAUNKNOWN000000000", secret_access_key: "not-a-real-secret-value" }), undefined);
    const e = await failure(store.get(NEW_KEY, 1024));
    expect(e.message).toMatch(/^access denied \(403/);
    expect(e.message).not.toContain("not-a-real-secret-value");
  });

  it("sends no credentials with allow_anonymous_login, even when the environment has keys", async () => {
    useEnvKeys();
    const store = openS3(remote({ endpointurl: moto.endpoint, allow_anonymous_login: "true" }), undefined, envKeys());
    const e = await failure(store.get(NEW_KEY, 1024));
    expect(e.message).toMatch(/^access denied \(403/);
  });

  it("says the bucket does not exist (not 'absent')", async () => {
    const store = openS3(remote({ endpointurl: moto.endpoint, access_key_id: keyId, secret_access_key: secret }, "s3://no-such-bucket/x"), undefined);
    const e = await failure(store.get(NEW_KEY, 1024));
    expect(e.message).toBe("bucket 'no-such-bucket' does not exist");
    expect(e).not.toBeInstanceOf(StoreUnreachable);
  });

  it("says it cannot connect to an endpoint where nothing listens", async () => {
    const store = openS3(remote({ endpointurl: "http://127.0.0.1:1", access_key_id: keyId, secret_access_key: secret }), undefined);
    const e = await failure(store.get(NEW_KEY, 1024));
    expect(e.message).toMatch(/^cannot connect \(E[A-Z]+\)$/);
    // Unreachable: the fetcher asks it for no further object in this run.
    expect(e).toBeInstanceOf(StoreUnreachable);
  });

  it("stops when the caller aborts", async () => {
    const store = openS3(remote({ endpointurl: moto.endpoint, access_key_id: keyId, secret_access_key: secret }), undefined);
    const e = await failure(store.get(NEW_KEY, 1024, AbortSignal.abort()));
    expect(e.message).toBe("cancelled");
  });
});

describe("openS3, operator mode (the operator's rule only)", () => {
  it("uses the rule's endpoint and the bot's own credentials, never the repository's endpointurl or keys", async () => {
    useEnvKeys();
    const rule: DvcRemoteRule = { url: "s3://dvc-bucket/project", endpoint: moto.endpoint, region: "us-east-1" };
    // The repository's options name an endpoint where nothing listens and a wrong key: both must be ignored.
    const store = openS3(remote({ endpointurl: "http://127.0.0.1:1", access_key_id: "AKIAREPO", secret_access_key: "repo-secret" }), rule);
    expect((await store.get(NEW_KEY, 1024))?.toString()).toBe("accuracy: 0.91\n");
    expect((await store.get(OLD_KEY, 1024))?.toString()).toBe('{"loss": 0.2}');
    expect(await store.get("files/md5/00/000000000000000000000000000000", 1024)).toBeUndefined();
  });

  it("uses the rule's profile from the bot's own AWS files", async () => {
    const dir = tempDir("mlreview-s3-");
    writeFileSync(join(dir, "credentials"), `[default]\naws_access_key_id = WRONG\naws_secret_access_key = WRONG\n\n[bot]\naws_access_key_id = ${keyId}\naws_secret_access_key = ${secret}\n`);
    writeFileSync(join(dir, "config"), "");
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, "credentials");
    process.env.AWS_CONFIG_FILE = join(dir, "config");
    const store = openS3(remote({ profile: "default" }), { url: "s3://dvc-bucket", endpoint: moto.endpoint, profile: "bot" });
    expect((await store.get(NEW_KEY, 1024))?.toString()).toBe("accuracy: 0.91\n");
    const wrong = openS3(remote({ profile: "bot" }), { url: "s3://dvc-bucket", endpoint: moto.endpoint, profile: "default" });
    expect((await failure(wrong.get(NEW_KEY, 1024))).message).toMatch(/^access denied \(403/);
  });

  it("sends no credentials when the rule says anonymous", async () => {
    useEnvKeys();
    const store = openS3(remote({}), { url: "s3://dvc-bucket", endpoint: moto.endpoint, anonymous: true });
    const e = await failure(store.get(NEW_KEY, 1024));
    expect(e.message).toMatch(/^access denied \(403/);
  });

  it("ignores the repository's allow_anonymous_login and keys (the bot's own keys from the environment are used)", async () => {
    useEnvKeys();
    const store = openS3(remote({ allow_anonymous_login: "true" }), { url: "s3://dvc-bucket", endpoint: moto.endpoint });
    expect((await store.get(NEW_KEY, 1024))?.toString()).toBe("accuracy: 0.91\n");
  });
});

describe("the CLI on a DVC project whose outs the real dvc pushed to S3 (moto)", () => {
  it("diffs the metrics of two revisions from the remote alone, as dvc does, with the keys in config.local", { timeout: 120_000 }, async () => {
    const work = tempDir();
    git(work, "init", "-q", "-b", "main");
    writeFiles(work, {
      "acc.txt": "0.6\n",
      "gen.sh": 'mkdir -p eval\nprintf \'{"acc": %s}\' "$(cat acc.txt)" > eval/metrics.json\n',
      "dvc.yaml": "stages:\n  train:\n    cmd: sh gen.sh\n    deps: [acc.txt, gen.sh]\n    outs: [eval]\nmetrics: [eval/metrics.json]\n",
    });
    // dvc's commands per commit (test/helpers/dvc.ts dvcSteps); the push before `git commit`,
    // which changes nothing dvc reads: it pushes the outs of the workspace's dvc.lock.
    const setup = [
      ["init", "-q"],
      ["remote", "add", "-d", "storage", "s3://dvc-bucket/e2e"],
      ["remote", "modify", "storage", "endpointurl", moto.endpoint],
      // Secrets where DVC users keep them: config.local, git-ignored.
      ["remote", "modify", "--local", "storage", "access_key_id", keyId],
      ["remote", "modify", "--local", "storage", "secret_access_key", secret],
    ];
    const commit = async (msg: string, first: string[][] = []) => {
      await dvcSteps(work, ...first, ["repro", "-q"], ["push", "-q"]);
      git(work, "add", "-A");
      git(work, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", msg);
    };
    await commit("base", setup);
    git(work, "checkout", "-q", "-b", "feature");
    writeFiles(work, { "acc.txt": "0.7\n" });
    await commit("better");
    rmSync(join(work, ".dvc", "cache"), { recursive: true, force: true });
    rmSync(join(work, "eval"), { recursive: true, force: true });

    const env = { MLREVIEW_DATA_DIR: tempDir(), AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" };
    const r = await mlreview(["metrics", "diff", "main", "feature", "--json"], { cwd: work, env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const ours = JSON.parse(r.stdout);
    const theirs = JSON.parse(await dvc(work, "metrics", "diff", "main", "feature", "--json"));
    expect(theirs).toEqual({ "eval/metrics.json": { acc: { old: 0.6, new: 0.7, diff: expect.closeTo(0.1, 10) } } });
    expect(ours).toEqual(theirs);
  });
});
