import { execFileSync } from "node:child_process";
import { join } from "node:path";
import nock from "nock";
import { afterEach, beforeEach } from "vitest";
import { changeCommands, gitEnv, gitScript, makeChange, tempDir, type ChangeSpec } from "./git-repo.js";

/** What a forge allows: partial fetches (blob:none, blobs by id). */
const FORGE_CONFIG = ["uploadpack.allowFilter=true", "uploadpack.allowAnySHA1InWant=true"];

/** A bare copy of `work`, as a forge serves it (FORGE_CONFIG). */
export function bareRemote(work: string): string {
  const bare = join(tempDir(), "remote.git");
  execFileSync("git", ["clone", "-q", "--bare", ...FORGE_CONFIG.flatMap((c) => ["-c", c]), work, bare], { env: gitEnv() });
  return bare;
}

/**
 * A change under review as the forge holds it (makeChange's branches, FORGE_CONFIG), written straight
 * into the bare repository: one process where a work repository and its bare clone took a dozen.
 */
export function forgeChange(spec: ChangeSpec): { bare: string; base: string; head: string } {
  const input = changeCommands(spec);
  if (!input) {
    const { dir, base, head } = makeChange(spec);
    return { bare: bareRemote(dir), base, head };
  }
  const root = tempDir();
  const bare = join(root, "remote.git");
  const script = `git init -q --bare --template= -b "$2" "$3"\ncd "$3"\n${FORGE_CONFIG.map((c) => `git config ${c.replace("=", " ")}`).join("\n")}\ngit -c fastimport.unpackLimit=0 fast-import --quiet --done\ngit rev-parse "refs/heads/$1" "refs/heads/$2"`;
  const [base, head] = gitScript(root, script, [spec.branch ?? "main", spec.feature ?? "feature", bare], input).split("\n");
  return { bare, base: base!, head: head! };
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
