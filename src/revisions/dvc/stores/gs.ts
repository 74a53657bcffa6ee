import type { Readable } from "node:stream";
import type { Storage, StorageOptions } from "@google-cloud/storage";
import type { DvcRemoteRule } from "../../../sources/config.js";
import type { Env } from "../access.js";
import { CLOUD_TIMEOUT_MS, deadline, joinKey, readCapped, safeName, splitBucketUrl, transportError } from "./cloud.js";
import { remoteLabel } from "./index.js";
import { ObjectTooLarge, StoreError, type ObjectStore, type RemoteConfig } from "./types.js";

/** One retry of a 5xx or a dropped connection; more would multiply what a stalled remote costs. */
const GS_MAX_RETRIES = 1;
const GS_API = "https://storage.googleapis.com";

/**
 * A Google Cloud Storage remote, as dvc-gs reads it: `gs://bucket/prefix`, one media download per
 * object. User mode (the CLI): the repository's options, the user's GOOGLE_APPLICATION_CREDENTIALS
 * (from `env`), then Application Default Credentials (gcloud's). Operator mode (the bot): only the
 * operator's rule (endpoint, credentials_file, anonymous).
 */
export function openGs(remote: RemoteConfig, rule: DvcRemoteRule | undefined, env: Env = {}): ObjectStore {
  const describe = remoteLabel(remote);
  const where = splitBucketUrl(remote.url, "gs");
  let client: Promise<Storage> | undefined;
  return {
    describe,
    async get(key, maxBytes, signal) {
      if (!where) throw new StoreError("the URL names no bucket (expected gs://bucket/prefix)");
      client ??= (async () => new (await import("@google-cloud/storage")).Storage(rule ? operatorOptions(rule) : userOptions(remote.options, env)))();
      const storage = await client;
      const d = deadline(signal);
      // DVC verifies each object's md5 itself, so the SDK's hash check would only cost time.
      const stream = storage.bucket(where.bucket).file(joinKey(where.prefix, key)).createReadStream({ validation: false });
      let tooLarge: ObjectTooLarge | undefined;
      stream.once("response", (res: { statusCode?: number; headers?: Record<string, string | undefined> }) => {
        const length = Number(res.headers?.["content-length"]);
        // A gzip-encoded answer declares its compressed size; the count while reading still applies.
        const gzip = res.headers?.["content-encoding"] === "gzip";
        if (res.statusCode === 200 && !gzip && Number.isFinite(length) && length > maxBytes) stream.destroy((tooLarge = new ObjectTooLarge(maxBytes)));
      });
      try {
        return await readCapped(stream as unknown as Readable, maxBytes, d.signal).catch((e: unknown) => {
          throw tooLarge ?? e;
        });
      } catch (e) {
        stream.destroy();
        if (e instanceof ObjectTooLarge) throw e;
        const status = typeof (e as { code?: unknown }).code === "number" ? (e as { code: number }).code : undefined;
        const message = String((e as { message?: unknown }).message ?? "");
        if (status === 404) {
          if (/specified bucket does not exist/i.test(message)) throw new StoreError(`bucket '${where.bucket}' does not exist`);
          return undefined;
        }
        if (status === 401 || status === 403) throw new StoreError(`access denied (${status})`);
        const t = transportError(e, d.timedOut(), signal);
        if (t) throw t;
        if (/default credentials|credential/i.test(message) && status === undefined) throw new StoreError("no Google credentials found (GOOGLE_APPLICATION_CREDENTIALS, gcloud, or the remote's credentialpath)");
        if (status) throw new StoreError(`unexpected answer (${status})`);
        throw new StoreError(`cannot be read (${safeName((e as { name?: unknown }).name) ?? "error"})`);
      }
    },
  };
}

function base(endpoint: string | undefined, anonymous: boolean): StorageOptions {
  return {
    // The SDK sends no credentials to an endpoint other than its default one unless told to; anonymous
    // (a public bucket) is that default endpoint spelled differently, so it counts as custom and goes unsigned.
    apiEndpoint: endpoint ?? (anonymous ? `${GS_API}/` : undefined),
    useAuthWithCustomEndpoint: !anonymous,
    timeout: CLOUD_TIMEOUT_MS,
    retryOptions: { maxRetries: GS_MAX_RETRIES, totalTimeout: CLOUD_TIMEOUT_MS / 1000 },
  };
}

export function operatorOptions(rule: DvcRemoteRule): StorageOptions {
  const anonymous = rule.anonymous === true;
  return { ...base(rule.endpoint, anonymous), ...(!anonymous && rule.credentials_file ? { keyFilename: rule.credentials_file } : {}) };
}

/** dvc-gs's options (lower-cased keys of `[remote "x"]`), mapped onto the SDK's; the key file, else the user's GOOGLE_APPLICATION_CREDENTIALS. */
export function userOptions(o: Readonly<Record<string, string>>, env: Env = {}): StorageOptions {
  const anonymous = o.allow_anonymous_login !== undefined && /^(true|yes|on|1)$/i.test(o.allow_anonymous_login.trim());
  const keyFilename = o.credentialpath ?? (env.GOOGLE_APPLICATION_CREDENTIALS || undefined);
  return {
    ...base(o.endpointurl, anonymous),
    ...(o.projectname ? { projectId: o.projectname } : {}),
    ...(!anonymous && keyFilename ? { keyFilename } : {}),
  };
}
