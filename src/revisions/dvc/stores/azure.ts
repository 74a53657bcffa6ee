import type { Readable } from "node:stream";
import type { BlobServiceClient, StoragePipelineOptions } from "@azure/storage-blob";
import type { DvcRemoteRule } from "../../../sources/config.js";
import type { Env } from "../access.js";
import { CLOUD_TIMEOUT_MS, deadline, joinKey, readCapped, safeName, splitBucketUrl, transportError } from "./cloud.js";
import { remoteLabel } from "./index.js";
import { ObjectTooLarge, StoreError, StoreUnreachable, type ObjectStore, type RemoteConfig } from "./types.js";

/** One retry of a 5xx or a dropped connection; more would multiply what a stalled remote costs. */
const AZURE_MAX_TRIES = 2;

/**
 * An Azure Blob remote, as dvc-azure reads it: `azure://container/prefix`. User mode (the CLI): the
 * repository's options, else the user's `env` (AZURE_STORAGE_CONNECTION_STRING, _ACCOUNT, _KEY,
 * _SAS_TOKEN) as DVC does. Operator mode (the bot): the operator's connection string (the value of the
 * variable its rule names, resolved by the settings) or endpoint.
 */
export function openAzure(remote: RemoteConfig, rule: DvcRemoteRule | undefined, env: Env = {}): ObjectStore {
  const describe = remoteLabel(remote);
  const where = splitBucketUrl(remote.url, "azure");
  return {
    describe,
    async get(key, maxBytes, signal) {
      if (!where) throw new StoreError("the URL names no container (expected azure://container/prefix)");
      const service = await makeClient(remote, rule, env);
      const blob = service.getContainerClient(where.bucket).getBlobClient(joinKey(where.prefix, key));
      const d = deadline(signal);
      try {
        const res = await blob.download(0, undefined, { abortSignal: d.signal, maxRetryRequests: 0 });
        const body = res.readableStreamBody as Readable | undefined;
        if (!body) return Buffer.alloc(0);
        if (typeof res.contentLength === "number" && res.contentLength > maxBytes) {
          body.destroy();
          throw new ObjectTooLarge(maxBytes);
        }
        return await readCapped(body, maxBytes, d.signal);
      } catch (e) {
        if (e instanceof ObjectTooLarge) throw e;
        const status = (e as { statusCode?: number }).statusCode;
        const code = safeName((e as { code?: unknown }).code);
        if (code === "BlobNotFound" || (status === 404 && code === undefined)) return undefined;
        if (code === "ContainerNotFound") throw new StoreError(`container '${where.bucket}' does not exist`);
        if (status === 401 || status === 403) throw new StoreError(`access denied (${status}${code ? `: ${code}` : ""})`);
        const t = transportError(e, d.timedOut(), signal);
        if (t) throw t;
        if ((e as { name?: unknown }).name === "AbortError") throw signal?.aborted ? new StoreError("cancelled") : new StoreUnreachable(`no answer within ${CLOUD_TIMEOUT_MS / 1000} s`);
        if (status) throw new StoreError(`unexpected answer (${status}${code ? `: ${code}` : ""})`);
        throw new StoreError(`cannot be read (${code ?? safeName((e as { name?: unknown }).name) ?? "error"})`);
      }
    },
  };
}

const PIPELINE: StoragePipelineOptions = {
  // The SDK's default first back-off is 4 s; a report waits for each object it reads.
  retryOptions: { maxTries: AZURE_MAX_TRIES, tryTimeoutInMs: CLOUD_TIMEOUT_MS, retryDelayInMs: 500, maxRetryDelayInMs: 2000 },
};

async function makeClient(remote: RemoteConfig, rule: DvcRemoteRule | undefined, env: Env): Promise<BlobServiceClient> {
  const sdk = await import("@azure/storage-blob");
  const fromConnectionString = (cs: string) => {
    try {
      return sdk.BlobServiceClient.fromConnectionString(cs, PIPELINE);
    } catch {
      // The SDK's message quotes the string, key included.
      throw new StoreError("the connection string is not valid");
    }
  };
  if (rule) {
    if (!rule.anonymous && rule.connection_string_env) {
      const cs = rule.connection_string;
      if (!cs) throw new StoreError(`the environment variable ${rule.connection_string_env} (the operator's connection_string_env) is not set`);
      return fromConnectionString(cs);
    }
    // The account is not part of an azure:// URL, so the rule must say where it is: a repository's account_name would pick any account.
    if (!rule.endpoint) throw new StoreError("the operator's rule names neither an endpoint nor connection_string_env");
    return new sdk.BlobServiceClient(rule.endpoint, new sdk.AnonymousCredential(), PIPELINE);
  }
  const o = remote.options;
  const anonymous = o.allow_anonymous_login !== undefined && /^(true|yes|on|1)$/i.test(o.allow_anonymous_login.trim());
  const cs = o.connection_string ?? (anonymous ? undefined : env.AZURE_STORAGE_CONNECTION_STRING);
  if (cs && !anonymous) return fromConnectionString(cs);
  const account = o.account_name ?? env.AZURE_STORAGE_ACCOUNT;
  if (!account) throw new StoreError("no account: set account_name or connection_string (or AZURE_STORAGE_CONNECTION_STRING)");
  if (!/^[a-z0-9]{3,24}$/.test(account)) throw new StoreError("account_name is not a storage account name");
  const url = `https://${account}.blob.core.windows.net`;
  if (anonymous) return new sdk.BlobServiceClient(url, new sdk.AnonymousCredential(), PIPELINE);
  const key = o.account_key ?? env.AZURE_STORAGE_KEY;
  if (key) {
    try {
      return new sdk.BlobServiceClient(url, new sdk.StorageSharedKeyCredential(account, key), PIPELINE);
    } catch {
      throw new StoreError("account_key is not valid");
    }
  }
  const sas = o.sas_token ?? env.AZURE_STORAGE_SAS_TOKEN;
  if (sas) return new sdk.BlobServiceClient(`${url}?${sas.replace(/^\?/, "")}`, new sdk.AnonymousCredential(), PIPELINE);
  // dvc-azure would try DefaultAzureCredential (az login, managed identity); without @azure/identity, anonymous.
  return new sdk.BlobServiceClient(url, new sdk.AnonymousCredential(), PIPELINE);
}
