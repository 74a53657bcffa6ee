import { execFileSync } from "node:child_process";
import { join } from "node:path";
import nock from "nock";
import { afterEach, beforeEach } from "vitest";
import { git, tempDir } from "./git-repo.js";

/** A bare copy of `work`, as a forge serves it: partial fetches (blob:none, blobs by id) allowed. */
export function bareRemote(work: string): string {
  const bare = join(tempDir(), "remote.git");
  execFileSync("git", ["clone", "-q", "--bare", work, bare]);
  git(bare, "config", "uploadpack.allowFilter", "true");
  git(bare, "config", "uploadpack.allowAnySHA1InWant", "true");
  return bare;
}

type NockRequest = { method?: string; path?: string; hostname?: string; options?: { path?: string; hostname?: string } };

/**
 * For every test of the calling describe block: no real network but loopback, nock cleaned after, and
 * the requests no interceptor matched (outside loopback, where the tests run their own servers).
 */
export function recordUnexpectedRequests(): string[] {
  const unexpected: string[] = [];
  const onNoMatch = (req: NockRequest) => {
    const host = req.hostname ?? req.options?.hostname ?? "";
    if (!host.startsWith("127.0.0.1")) unexpected.push(`${req.method} ${host} ${req.path ?? req.options?.path}`);
  };
  beforeEach(() => {
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1");
    nock.emitter.on("no match", onNoMatch);
  });
  afterEach(() => {
    nock.emitter.removeListener("no match", onNoMatch);
    nock.cleanAll();
    nock.enableNetConnect();
    unexpected.length = 0;
  });
  return unexpected;
}
