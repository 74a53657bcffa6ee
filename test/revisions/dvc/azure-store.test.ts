import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAzure } from "../../../src/revisions/dvc/stores/azure.js";
import { ObjectTooLarge, StoreError, StoreUnreachable, type RemoteConfig } from "../../../src/revisions/dvc/stores/types.js";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type AzuriteServer } from "../../helpers/azurite.js";

const NEW_KEY = "files/md5/d8/e8fca2dc0f896fd7cb4cb0031ba249";
const OLD_KEY = "c1/57a79031e1c40f85931829bc5fc552";
const BIG_KEY = "files/md5/aa/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const ABSENT = "files/md5/00/000000000000000000000000000000";
const CS_ENV = "MLREVIEW_TEST_AZURE_CS";

let azurite: AzuriteServer;

function remote(options: Record<string, string>, url = "azure://dvc/project/cache"): RemoteConfig {
  return { name: "storage", url, options };
}

async function failure(p: Promise<unknown>): Promise<StoreError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StoreError);
  const msg = (e as Error).message;
  expect(msg).not.toContain("\n");
  expect(msg).not.toContain(AZURITE_KEY);
  expect(msg).not.toContain(AZURITE_KEY.slice(0, 12));
  return e as StoreError;
}

beforeAll(async () => {
  azurite = await startAzurite();
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  const container = service.getContainerClient("dvc");
  await container.create();
  const put = (key: string, body: string | Buffer) => container.getBlockBlobClient(`project/cache/${key}`).uploadData(Buffer.from(body));
  await put(NEW_KEY, "accuracy: 0.91\n");
  await put(OLD_KEY, '{"loss": 0.2}');
  await put(BIG_KEY, Buffer.alloc(64 * 1024, 7));
  // A public container: anyone may read its blobs.
  const open = service.getContainerClient("public");
  await open.create({ access: "blob" });
  await open.getBlockBlobClient(`dvc/${NEW_KEY}`).uploadData(Buffer.from("accuracy: 0.91\n"));
}, 60_000);

afterAll(async () => {
  await azurite?.stop();
});

describe("openAzure, user mode", () => {
  it("reads both DVC layouts with the repository's connection_string", async () => {
    const store = openAzure(remote({ connection_string: azurite.connectionString }), undefined);
    expect(store.describe).toBe("DVC remote 'storage' (azure://dvc/project/cache)");
    expect((await store.get(NEW_KEY, 1024))?.toString()).toBe("accuracy: 0.91\n");
    expect((await store.get(OLD_KEY, 1024))?.toString()).toBe('{"loss": 0.2}');
  });

  it("falls back to the user's AZURE_STORAGE_CONNECTION_STRING, as DVC does", async () => {
    const store = openAzure(remote({}), undefined, { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString });
    expect((await store.get(OLD_KEY, 1024))?.toString()).toBe('{"loss": 0.2}');
  });

  it("answers undefined for an absent blob and refuses one over maxBytes", async () => {
    const store = openAzure(remote({ connection_string: azurite.connectionString }), undefined);
    expect(await store.get(ABSENT, 1024)).toBeUndefined();
    await expect(store.get(BIG_KEY, 1000)).rejects.toBeInstanceOf(ObjectTooLarge);
    expect((await store.get(BIG_KEY, 64 * 1024))?.length).toBe(64 * 1024);
  });

  it("says access denied for a wrong account key, without the key", async () => {
    const wrongKey = Buffer.from("not the key of this account at all").toString("base64");
    const cs = azurite.connectionString.replace(AZURITE_KEY, wrongKey);
    const store = openAzure(remote({ connection_string: cs }), undefined);
    const e = await failure(store.get(NEW_KEY, 1024));
    expect(e.message).toMatch(/^access denied \(403/);
    expect(e.message).not.toContain(wrongKey);
  });

  it("says the container does not exist (not 'absent')", async () => {
    const store = openAzure(remote({ connection_string: azurite.connectionString }, "azure://nope/x"), undefined);
    const e = await failure(store.get(NEW_KEY, 1024));
    expect(e.message).toBe("container 'nope' does not exist");
  });

  it("with allow_anonymous_login, does not take AZURE_STORAGE_CONNECTION_STRING's key", async () => {
    // Anonymous needs an account (account_name → an Azure URL, not on loopback): reading is tested through the operator's endpoint below.
    const store = openAzure(remote({ allow_anonymous_login: "true" }), undefined, { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString });
    const e = await failure(store.get(NEW_KEY, 1024));
    expect(e.message).toMatch(/^no account/);
  });

  it("says it cannot connect to a blob endpoint where nothing listens (unreachable: not asked again)", async () => {
    const cs = azurite.connectionString.replace(azurite.endpoint, "http://127.0.0.1:1/devstoreaccount1");
    const e = await failure(openAzure(remote({ connection_string: cs }), undefined).get(NEW_KEY, 1024));
    expect(e.message).toBe("cannot connect (ECONNREFUSED)");
    expect(e).toBeInstanceOf(StoreUnreachable);
  });

  it("says the connection string is invalid without quoting it", async () => {
    const store = openAzure(remote({ connection_string: `AccountKey=${AZURITE_KEY};garbage` }), undefined);
    const e = await failure(store.get(NEW_KEY, 1024));
    expect(e.message).toBe("the connection string is not valid");
  });
});

describe("openAzure, operator mode", () => {
  it("reads the connection string the settings resolved from the env variable its rule names, ignoring the repository's and the environment's", async () => {
    const repository = remote({ connection_string: "DefaultEndpointsProtocol=http;AccountName=evil;AccountKey=AAAA;BlobEndpoint=http://127.0.0.1:1/evil;" });
    const rule = { url: "azure://dvc", connection_string_env: CS_ENV };
    // The variable was not set when the settings were built: the rule carries no value.
    const missing = await failure(openAzure(repository, rule, { [CS_ENV]: azurite.connectionString }).get(NEW_KEY, 1024));
    expect(missing.message).toContain(CS_ENV);
    const store = openAzure(repository, { ...rule, connection_string: azurite.connectionString });
    expect((await store.get(NEW_KEY, 1024))?.toString()).toBe("accuracy: 0.91\n");
    expect(await store.get(ABSENT, 1024)).toBeUndefined();
  });

  it("reads a public container anonymously at the rule's endpoint", async () => {
    const rule = { url: "azure://public", endpoint: azurite.endpoint, anonymous: true };
    const store = openAzure(remote({}, "azure://public/dvc"), rule, { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString });
    expect((await store.get(NEW_KEY, 1024))?.toString()).toBe("accuracy: 0.91\n");
    // The same anonymous client on a private container: refused, so no key was sent.
    const priv = openAzure(remote({ connection_string: azurite.connectionString }), { url: "azure://dvc", endpoint: azurite.endpoint, anonymous: true });
    const e = await failure(priv.get(NEW_KEY, 1024));
    expect(e.message).toBe("access denied (403: AuthorizationFailure)");
  });

  it("refuses a rule with neither endpoint nor connection_string_env (the account would be the repository's choice)", async () => {
    const store = openAzure(remote({ account_name: AZURITE_ACCOUNT }), { url: "azure://dvc" });
    const e = await failure(store.get(NEW_KEY, 1024));
    expect(e.message).toBe("the operator's rule names neither an endpoint nor connection_string_env");
  });
});
