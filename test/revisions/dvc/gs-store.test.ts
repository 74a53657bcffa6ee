import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openGs } from "../../../src/revisions/dvc/stores/gs.js";
import { ObjectTooLarge, StoreError, type RemoteConfig } from "../../../src/revisions/dvc/stores/types.js";
import { testPrivateKey } from "../../helpers/keys.js";
import { tempDir } from "../../helpers/git-repo.js";

// No GCS emulator runs here: strict mocks of the exact JSON API requests @google-cloud/storage makes
// (media download `GET /storage/v1/b/<bucket>/o/<encoded name>?alt=media`). Every mock must be used,
// and any other request fails the test.
const API = "https://storage.googleapis.com";
const ENDPOINT = "http://gcs.test:4443";
const NEW_KEY = "files/md5/d8/e8fca2dc0f896fd7cb4cb0031ba249";
const OLD_KEY = "c1/57a79031e1c40f85931829bc5fc552";
const TOKEN = "ya29.test-access-token-value";
const media = (bucket: string, name: string) => `/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`;
const notFound = (message: string) => ({ error: { code: 404, message, errors: [{ message, domain: "global", reason: "notFound" }] } });

let unexpected: string[] = [];
const onNoMatch = (req: { method?: string; path?: string; host?: string; options?: { host?: string } }) => unexpected.push(`${req.method} ${req.options?.host ?? req.host ?? ""}${req.path}`);

beforeEach(() => {
  unexpected = [];
  nock.disableNetConnect();
  nock.emitter.on("no match", onNoMatch);
});

afterEach(() => {
  nock.emitter.removeListener("no match", onNoMatch);
  const pending = nock.pendingMocks();
  nock.cleanAll();
  nock.enableNetConnect();
  expect(unexpected).toEqual([]);
  expect(pending).toEqual([]);
});

function remote(options: Record<string, string>, url = "gs://dvc-bucket/project/cache"): RemoteConfig {
  return { name: "storage", url, options };
}

/** A service-account key file the real auth library signs a JWT with (the token endpoint is mocked). */
function serviceAccountFile(): string {
  const privateKey = testPrivateKey("pkcs8");
  const dir = tempDir("mlreview-gs-");
  const file = join(dir, "sa.json");
  writeFileSync(
    file,
    JSON.stringify({
      type: "service_account",
      project_id: "ml-project",
      private_key_id: "k1",
      private_key: privateKey,
      client_email: "dvc@ml-project.iam.gserviceaccount.com",
      client_id: "1",
      // The auth library (gtoken) posts the signed JWT to www.googleapis.com/oauth2/v4/token.
      token_uri: "https://oauth2.googleapis.com/token",
    }),
  );
  return file;
}

async function failure(p: Promise<unknown>): Promise<StoreError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StoreError);
  expect((e as Error).message).not.toContain("\n");
  expect((e as Error).message).not.toContain(TOKEN);
  return e as StoreError;
}

describe("openGs, operator mode", () => {
  it("reads a public bucket anonymously from the default API: no Authorization header, both DVC layouts", async () => {
    nock(API, { badheaders: ["authorization"] })
      .get(media("dvc-bucket", `project/cache/${NEW_KEY}`))
      .query({ alt: "media" })
      .reply(200, "accuracy: 0.91\n")
      .get(media("dvc-bucket", `project/cache/${OLD_KEY}`))
      .query({ alt: "media" })
      .reply(200, '{"loss": 0.2}');
    const store = openGs(remote({ endpointurl: "http://evil.test" }), { url: "gs://dvc-bucket", anonymous: true });
    expect(store.describe).toBe("DVC remote 'storage' (gs://dvc-bucket/project/cache)");
    expect((await store.get(NEW_KEY, 1024))?.toString()).toBe("accuracy: 0.91\n");
    expect((await store.get(OLD_KEY, 1024))?.toString()).toBe('{"loss": 0.2}');
  });

  it("uses the rule's endpoint and credentials_file, never the repository's endpointurl or credentialpath", async () => {
    nock("https://www.googleapis.com").post("/oauth2/v4/token").reply(200, { access_token: TOKEN, expires_in: 3600, token_type: "Bearer" });
    nock(ENDPOINT, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get(media("dvc-bucket", `project/cache/${NEW_KEY}`))
      .query({ alt: "media" })
      .reply(200, "accuracy: 0.91\n");
    const store = openGs(remote({ endpointurl: "http://evil.test", credentialpath: "/nonexistent/repo-key.json" }), {
      url: "gs://dvc-bucket",
      endpoint: ENDPOINT,
      credentials_file: serviceAccountFile(),
    });
    expect((await store.get(NEW_KEY, 1024))?.toString()).toBe("accuracy: 0.91\n");
  });
});

describe("openGs, user mode", () => {
  it("says the credentials file cannot be read, and sends nothing", async () => {
    const e = await failure(openGs(remote({ credentialpath: "/nonexistent/key.json" }), undefined).get(NEW_KEY, 1024));
    expect(e.message).toBe("a credentials file cannot be read (ENOENT)");
  });

  it("signs with the remote's credentialpath at its endpointurl", async () => {
    nock("https://www.googleapis.com").post("/oauth2/v4/token").reply(200, { access_token: TOKEN, expires_in: 3600, token_type: "Bearer" });
    nock(ENDPOINT, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get(media("dvc-bucket", `project/cache/${OLD_KEY}`))
      .query({ alt: "media" })
      .reply(200, '{"loss": 0.2}');
    const store = openGs(remote({ endpointurl: ENDPOINT, credentialpath: serviceAccountFile(), projectname: "ml-project" }), undefined);
    expect((await store.get(OLD_KEY, 1024))?.toString()).toBe('{"loss": 0.2}');
  });

  it("answers undefined for an absent object, and says so when the bucket itself is missing", async () => {
    nock(API, { badheaders: ["authorization"] })
      .get(media("dvc-bucket", `project/cache/${NEW_KEY}`))
      .query({ alt: "media" })
      .reply(404, notFound(`No such object: dvc-bucket/project/cache/${NEW_KEY}`))
      .get(media("gone", `x/${NEW_KEY}`))
      .query({ alt: "media" })
      .reply(404, notFound("The specified bucket does not exist."));
    expect(await openGs(remote({ allow_anonymous_login: "true" }), undefined).get(NEW_KEY, 1024)).toBeUndefined();
    const e = await failure(openGs(remote({ allow_anonymous_login: "true" }, "gs://gone/x"), undefined).get(NEW_KEY, 1024));
    expect(e.message).toBe("bucket 'gone' does not exist");
  });

  it("says access denied (403) in one line, without the token", async () => {
    nock("https://www.googleapis.com").post("/oauth2/v4/token").reply(200, { access_token: TOKEN, expires_in: 3600, token_type: "Bearer" });
    nock(ENDPOINT)
      .get(media("dvc-bucket", `project/cache/${NEW_KEY}`))
      .query({ alt: "media" })
      .reply(403, { error: { code: 403, message: `dvc@ml-project.iam.gserviceaccount.com does not have storage.objects.get access (token ${TOKEN})` } });
    const e = await failure(openGs(remote({ endpointurl: ENDPOINT, credentialpath: serviceAccountFile() }), undefined).get(NEW_KEY, 1024));
    expect(e.message).toBe("access denied (403)");
  });

  it("refuses an object whose declared length is over maxBytes", async () => {
    nock(API)
      .get(media("dvc-bucket", `project/cache/${NEW_KEY}`))
      .query({ alt: "media" })
      .reply(200, Buffer.alloc(5000, 1), { "content-length": "5000" });
    await expect(openGs(remote({ allow_anonymous_login: "true" }), undefined).get(NEW_KEY, 1000)).rejects.toBeInstanceOf(ObjectTooLarge);
  });

  it("refuses an object over maxBytes that declares no length, while reading it", async () => {
    nock(API)
      .get(media("dvc-bucket", `project/cache/${NEW_KEY}`))
      .query({ alt: "media" })
      .reply(200, () => Readable.from([Buffer.alloc(600, 1), Buffer.alloc(600, 2)]));
    await expect(openGs(remote({ allow_anonymous_login: "true" }), undefined).get(NEW_KEY, 1000)).rejects.toBeInstanceOf(ObjectTooLarge);
  });

  it("stops when the caller aborts", async () => {
    nock(API)
      .get(media("dvc-bucket", `project/cache/${NEW_KEY}`))
      .query({ alt: "media" })
      .delay(2000)
      .reply(200, "late");
    const ac = new AbortController();
    const p = openGs(remote({ allow_anonymous_login: "true" }), undefined).get(NEW_KEY, 1000, ac.signal);
    setTimeout(() => ac.abort(), 50);
    const e = await failure(p);
    expect(e.message).toBe("cancelled");
  });
});
