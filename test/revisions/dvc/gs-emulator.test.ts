import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openGs } from "../../../src/revisions/dvc/stores/gs.js";
import { ObjectTooLarge, StoreUnreachable, type RemoteConfig } from "../../../src/revisions/dvc/stores/types.js";
import { startFakeGcs, type FakeGcs } from "../../helpers/fake-gcs.js";
import { tempDir } from "../../helpers/git-repo.js";

// The real @google-cloud/storage client against a GCS emulator (fake-gcs-server) on loopback: the
// requests are the SDK's own, not a mock's idea of them.
const NEW_KEY = "files/md5/d8/e8fca2dc0f896fd7cb4cb0031ba249";
const OLD_KEY = "c1/57a79031e1c40f85931829bc5fc552";
const BIG_KEY = "files/md5/aa/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const ABSENT = "files/md5/00/000000000000000000000000000000";

let gcs: FakeGcs;

beforeAll(async () => {
  const data = tempDir();
  const put = (name: string, body: string | Buffer) => {
    const file = join(data, "dvc-bucket", name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, body);
  };
  put(`project/cache/${NEW_KEY}`, "accuracy: 0.91\n");
  put(`project/cache/${OLD_KEY}`, '{"loss": 0.2}');
  put(`project/cache/${BIG_KEY}`, Buffer.alloc(64 * 1024, 7));
  gcs = await startFakeGcs(data);
}, 20 * 60_000);

afterAll(async () => {
  await gcs?.stop();
});

function remote(options: Record<string, string>, url = "gs://dvc-bucket/project/cache"): RemoteConfig {
  return { name: "storage", url, options };
}

describe("openGs against a GCS emulator", () => {
  it("user mode: endpointurl and allow_anonymous_login; both DVC layouts, absent, size limit", async () => {
    const store = openGs(remote({ endpointurl: gcs.endpoint, allow_anonymous_login: "true" }), undefined);
    expect((await store.get(NEW_KEY, 1024))?.toString()).toBe("accuracy: 0.91\n");
    expect((await store.get(OLD_KEY, 1024))?.toString()).toBe('{"loss": 0.2}');
    expect(await store.get(ABSENT, 1024)).toBeUndefined();
    await expect(store.get(BIG_KEY, 1000)).rejects.toBeInstanceOf(ObjectTooLarge);
    expect((await store.get(BIG_KEY, 64 * 1024))?.length).toBe(64 * 1024);
  });

  it("operator mode: the rule's endpoint, not the repository's endpointurl", async () => {
    const store = openGs(remote({ endpointurl: "http://127.0.0.1:1" }), { url: "gs://dvc-bucket", endpoint: gcs.endpoint, anonymous: true });
    expect((await store.get(NEW_KEY, 1024))?.toString()).toBe("accuracy: 0.91\n");
  });

  // A missing bucket is not tested here: the emulator answers a bare "Not Found" for it, where GCS says
  // "The specified bucket does not exist." (gs-store.test.ts covers that answer).

  it("an endpoint where nothing listens is unreachable", async () => {
    const store = openGs(remote({ endpointurl: "http://127.0.0.1:1", allow_anonymous_login: "true" }), undefined);
    const e = await store.get(NEW_KEY, 1024).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(StoreUnreachable);
    expect((e as Error).message).toBe("cannot connect (ECONNREFUSED)");
  });
});
