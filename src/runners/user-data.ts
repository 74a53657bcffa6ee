import { readFileSync } from "node:fs";
import { MAX_USER_DATA_BYTES } from "./launch-plan.js";

/**
 * The runner's EC2 user data: templates/runner/bootstrap.sh with its blanks filled. The JIT config
 * comes from GitHub but is treated as untrusted text: strict base64 or nothing.
 */
export interface UserDataOptions {
  jitConfig: string;
  maxRuntimeMinutes: number;
  idleMinutes: number;
  /** Downloaded only when the AMI has no runner in /opt/actions-runner. */
  runnerVersion?: string;
  /** Required with a runnerVersion other than the default: nothing unverified is ever run. */
  runnerSha256?: string;
}

/** actions/runner v2.337.0, actions-runner-linux-x64-2.337.0.tar.gz. */
export const DEFAULT_RUNNER_VERSION = "2.337.0";
const DEFAULT_RUNNER_SHA256 = "70920811a4f8ad4328818682bca5c6469c1c942fab52448868071d0063816613";

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Leaves room for the script itself under EC2's 16 KB. */
const MAX_JIT_CHARS = 12 * 1024;

export class UserDataError extends Error {
  override readonly name = "UserDataError";
}

const templates = new Map<string, string>();
/** A bootstrap script under templates/runner/, read once. */
export function bootstrapTemplate(file: string): string {
  let t = templates.get(file);
  if (t === undefined) {
    const raw = readFileSync(new URL(`../../templates/runner/${file}`, import.meta.url), "utf8");
    // `{{> part.sh}}` inlines a shared part: user data must be one self-contained script.
    t = raw.replace(/\{\{> ([a-z0-9-]+\.sh)\}\}/g, (_m, part: string) => bootstrapTemplate(part).trimEnd());
    templates.set(file, t);
  }
  return t;
}

export function minutes(name: string, value: number, max: number): string {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new UserDataError(`${name} must be a whole number of minutes from 1 to ${max}`);
  return String(value);
}

/** Every `{{BLANK}}` of the template filled, each value used, and the result within EC2's 16 KB. */
export function fillBlanks(file: string, values: Record<string, string>): string {
  // A function replacer: a string replacement would give `$&`, `$'` and friends a meaning.
  const seen = new Set<string>();
  const out = bootstrapTemplate(file).replace(/\{\{([A-Z0-9_]+)\}\}/g, (_m, key: string) => {
    const v = values[key];
    if (v === undefined) throw new UserDataError(`${file} has an unknown blank {{${key}}}`);
    seen.add(key);
    return v;
  });
  for (const key of Object.keys(values)) if (!seen.has(key)) throw new UserDataError(`${file} lacks the blank {{${key}}}`);
  const bytes = Buffer.byteLength(out, "utf8");
  if (bytes > MAX_USER_DATA_BYTES) throw new UserDataError(`user data would be ${bytes} bytes; EC2 accepts at most ${MAX_USER_DATA_BYTES}`);
  return out;
}

export function renderUserData(o: UserDataOptions): string {
  // Never quote the value in an error: it is a credential.
  if (typeof o.jitConfig !== "string" || o.jitConfig.length === 0 || o.jitConfig.length > MAX_JIT_CHARS || !BASE64.test(o.jitConfig)) {
    throw new UserDataError(`the JIT runner config must be base64 of at most ${MAX_JIT_CHARS} characters; refusing to put it in user data`);
  }
  const version = o.runnerVersion ?? DEFAULT_RUNNER_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new UserDataError(`runner version "${version}" is not of the form 2.337.0`);
  const sha = o.runnerSha256 ?? (version === DEFAULT_RUNNER_VERSION ? DEFAULT_RUNNER_SHA256 : undefined);
  if (sha === undefined) throw new UserDataError(`runner version ${version} needs its SHA-256 (runnerSha256)`);
  if (!/^[0-9a-f]{64}$/.test(sha)) throw new UserDataError("runnerSha256 must be 64 lower-case hex digits");

  const values: Record<string, string> = {
    MAX_RUNTIME_MINUTES: minutes("maxRuntimeMinutes", o.maxRuntimeMinutes, 7 * 24 * 60),
    IDLE_MINUTES: minutes("idleMinutes", o.idleMinutes, 24 * 60),
    RUNNER_VERSION: version,
    RUNNER_SHA256: sha,
    JIT_CONFIG: o.jitConfig,
  };
  return fillBlanks("bootstrap.sh", values);
}
