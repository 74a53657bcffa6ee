// User mode (the CLI): the stores take the user's environment as handed down, never this process's.
import { describe, expect, it } from "vitest";
import { userOptions } from "../../../src/revisions/dvc/stores/gs.js";
import { userConfig } from "../../../src/revisions/dvc/stores/s3.js";

describe("the user's environment in the DVC stores' SDK configuration", () => {
  it("S3: the region and keys as boto takes them; the remote's options and a named profile win", async () => {
    const env = { AWS_REGION: "eu-west-3", AWS_ACCESS_KEY_ID: "AKIAUSER", AWS_SECRET_ACCESS_KEY: "user-secret", AWS_SESSION_TOKEN: "user-session" };
    const fromEnv = userConfig({}, env);
    expect(fromEnv.region).toBe("eu-west-3");
    expect(fromEnv.credentials).toEqual({ accessKeyId: "AKIAUSER", secretAccessKey: "user-secret", sessionToken: "user-session" });
    expect(userConfig({}, { AWS_DEFAULT_REGION: "ap-south-1" }).region).toBe("ap-south-1");
    expect(userConfig({ region: "us-west-2" }, env).region).toBe("us-west-2");
    expect(userConfig({ access_key_id: "AKIAREPO", secret_access_key: "repo-secret" }, env).credentials).toEqual({ accessKeyId: "AKIAREPO", secretAccessKey: "repo-secret" });
    // A profile (the remote's or AWS_PROFILE) wins over the environment's keys, in boto as in the SDK.
    for (const c of [userConfig({ profile: "ml" }, env), userConfig({}, { ...env, AWS_PROFILE: "ml" })]) {
      expect(c.profile).toBe("ml");
      expect(c.credentials).toBeUndefined();
    }
    // Nothing given: the SDK's own chain, and the region dvc-s3 would default to.
    const bare = userConfig({}, {});
    expect([bare.region, bare.credentials, bare.profile]).toEqual(["us-east-1", undefined, undefined]);
  });

  it("GCS: GOOGLE_APPLICATION_CREDENTIALS unless the remote names its credentialpath, never when anonymous", () => {
    const env = { GOOGLE_APPLICATION_CREDENTIALS: "/home/u/gcs.json" };
    expect(userOptions({}, env).keyFilename).toBe("/home/u/gcs.json");
    expect(userOptions({ credentialpath: "/repo/key.json" }, env).keyFilename).toBe("/repo/key.json");
    expect(userOptions({ allow_anonymous_login: "true" }, env).keyFilename).toBeUndefined();
    expect(userOptions({}, {}).keyFilename).toBeUndefined();
  });
});
