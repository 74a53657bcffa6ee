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
 * The requests no interceptor matched (outside loopback, where the tests run their own servers), for a
 * test that asserts them where it chooses. The network policy (off but loopback), the cleanup and the
 * failure on an unused mock or an unmatched request are test/setup/http-mock.ts's, for every test.
 */
export function recordUnexpectedRequests(): string[] {
  const unexpected: string[] = [];
  const onNoMatch = (req: NockRequest) => {
    const host = req.hostname ?? req.options?.hostname ?? "";
    if (!host.startsWith("127.0.0.1")) unexpected.push(`${req.method} ${host} ${req.path ?? req.options?.path}`);
  };
  beforeEach(() => void nock.emitter.on("no match", onNoMatch));
  afterEach(() => {
    nock.emitter.removeListener("no match", onNoMatch);
    unexpected.length = 0;
  });
  return unexpected;
}
