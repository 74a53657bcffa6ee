import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { homedir } from "node:os";
import type { DvcRemoteRule } from "../../../sources/config.js";
import type { Env } from "../access.js";
import { CLOUD_TIMEOUT_MS, deadline, joinKey, readCapped, safeName, splitBucketUrl, transportError } from "./cloud.js";
import { remoteLabel } from "./index.js";
import { ObjectTooLarge, StoreError, type ObjectStore, type RemoteConfig } from "./types.js";

/** A 5xx is retried once by the SDK; more would multiply the timeout a stalled remote costs. */
const S3_MAX_ATTEMPTS = 2;

/**
 * An S3 (or S3-compatible) remote, as dvc-s3 reads it. User mode (`rule` undefined, the CLI): the
 * repository's options, then the user's `env` (AWS_REGION, AWS_PROFILE, AWS_ACCESS_KEY_ID…), then the
 * SDK's own chain (~/.aws, SSO, instance roles). Operator mode (the bot): only the operator's rule, so a
 * repository can point the bot neither at another endpoint nor at its keys; `env` is then empty.
 */
export function openS3(remote: RemoteConfig, rule: DvcRemoteRule | undefined, env: Env = {}): ObjectStore {
  const describe = remoteLabel(remote);
  const where = splitBucketUrl(remote.url, "s3");
  let client: Promise<S3Client> | undefined;
  return {
    describe,
    async get(key, maxBytes, signal) {
      if (!where) throw new StoreError("the URL names no bucket (expected s3://bucket/prefix)");
      client ??= makeClient(remote, rule, env);
      const c = await client;
      const { GetObjectCommand } = await import("@aws-sdk/client-s3");
      const d = deadline(signal);
      try {
        const res = await c.send(new GetObjectCommand({ Bucket: where.bucket, Key: joinKey(where.prefix, key) }), { abortSignal: d.signal });
        const body = res.Body as Readable | undefined;
        if (!body) return Buffer.alloc(0);
        if (typeof res.ContentLength === "number" && res.ContentLength > maxBytes) {
          body.destroy();
          throw new ObjectTooLarge(maxBytes);
        }
        return await readCapped(body, maxBytes, d.signal);
      } catch (e) {
        if (e instanceof ObjectTooLarge) throw e;
        const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        const name = safeName((e as { name?: unknown }).name);
        if (name === "NoSuchKey" || (status === 404 && name === "NotFound")) return undefined;
        if (name === "NoSuchBucket") throw new StoreError(`bucket '${where.bucket}' does not exist`);
        if (status === 401 || status === 403) throw new StoreError(`access denied (${status}${name ? `: ${name}` : ""})`);
        const t = transportError(e, d.timedOut(), signal);
        if (t) throw t;
        if (name === "CredentialsProviderError") throw new StoreError("no AWS credentials found (environment, ~/.aws, or the remote's options)");
        if (status) throw new StoreError(`unexpected answer (${status}${name ? `: ${name}` : ""})`);
        throw new StoreError(`cannot be read (${name ?? "error"})`);
      }
    },
  };
}

async function makeClient(remote: RemoteConfig, rule: DvcRemoteRule | undefined, env: Env): Promise<S3Client> {
  // The SDK warns on stderr, once per process, that its 2027 releases need Node 22: noise in every CLI
  // report with an S3 remote (mlreview pins Node 20 and this SDK version). The switch is the SDK's own
  // and it reads it from process.env only: set here unless the user set it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { S3Client } = await import("@aws-sdk/client-s3");
  return new S3Client(rule ? operatorConfig(rule) : userConfig(remote.options, env));
}

function base(endpoint: string | undefined, region: string | undefined): S3ClientConfig {
  return {
    // dvc-s3 leaves the region to boto (env, profile); the SDK needs one to sign and follows a wrong one's redirect.
    region: region ?? "us-east-1",
    followRegionRedirects: true,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    maxAttempts: S3_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: CLOUD_TIMEOUT_MS, requestTimeout: CLOUD_TIMEOUT_MS },
    // DVC checks each object's md5 itself; the SDK's optional checksums add nothing and trip some emulators.
    responseChecksumValidation: "WHEN_REQUIRED",
  };
}

/** No credentials and no signature: a public bucket (dvc-s3 `allow_anonymous_login`, the operator's `anonymous`). */
const UNSIGNED: Partial<S3ClientConfig> = {
  signer: { sign: async (request) => request },
  credentials: { accessKeyId: "", secretAccessKey: "" },
};

/** The rule's region is the bot's AWS_REGION when the rule names none (resolved by the settings). */
export function operatorConfig(rule: DvcRemoteRule): S3ClientConfig {
  return {
    ...base(rule.endpoint, rule.region),
    ...(rule.anonymous ? UNSIGNED : rule.profile ? { profile: rule.profile } : {}),
  };
}

/**
 * dvc-s3's options (lower-cased keys of `[remote "x"]`), mapped onto the SDK's, then the user's
 * environment as boto reads it: AWS_REGION / AWS_DEFAULT_REGION, AWS_PROFILE, and keys in
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN when no profile is named (a profile
 * wins over the environment's keys, in boto as in the SDK).
 */
export function userConfig(o: Readonly<Record<string, string>>, env: Env = {}): S3ClientConfig {
  const config = base(o.endpointurl, o.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined));
  if (truthy(o.allow_anonymous_login)) return { ...config, ...UNSIGNED };
  if (o.access_key_id && o.secret_access_key) {
    return { ...config, credentials: { accessKeyId: o.access_key_id, secretAccessKey: o.secret_access_key, ...(o.session_token ? { sessionToken: o.session_token } : {}) } };
  }
  const profile = o.profile ?? (env.AWS_PROFILE || undefined);
  if (o.credentialpath) return { ...config, credentials: async () => sharedCredentials(o.credentialpath!, profile, env) };
  if (profile) return { ...config, profile };
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { ...config, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } };
  }
  return config;
}

/** ConfigObj booleans as DVC's schema accepts them. */
function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(true|yes|on|1)$/i.test(v.trim());
}

/**
 * dvc-s3 points boto at `credentialpath` as its shared credentials file (AWS_SHARED_CREDENTIALS_FILE);
 * the SDK reads that only from the environment, so the file's profile is read here. Never echoes a value.
 */
function sharedCredentials(path: string, profile = "default", env: Env = {}): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } {
  let text: string;
  try {
    text = readFileSync(path.replace(/^~(?=\/|$)/, env.HOME || homedir()), "utf8");
  } catch (e) {
    throw new StoreError(`credentialpath cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const section: Record<string, string> = {};
  let current: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const head = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (head) {
      current = head[1];
      continue;
    }
    const kv = /^([A-Za-z_]+)\s*=\s*(.*)$/.exec(line);
    if (kv && current === profile) section[kv[1]!.toLowerCase()] = kv[2]!.trim();
  }
  if (!section.aws_access_key_id || !section.aws_secret_access_key) throw new StoreError(`credentialpath has no keys for profile '${profile}'`);
  return {
    accessKeyId: section.aws_access_key_id,
    secretAccessKey: section.aws_secret_access_key,
    ...(section.aws_session_token ? { sessionToken: section.aws_session_token } : {}),
  };
}
