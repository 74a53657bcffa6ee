import { fillBlanks, minutes, UserDataError } from "../../runners/user-data.js";

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
