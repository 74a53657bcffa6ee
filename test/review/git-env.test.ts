// One environment policy for every git child (src/revisions/git.ts): the allow list of child-env.ts plus
// what the caller adds, never the bot's own environment. A `git` wrapper first on PATH records what each
// git process was started with, then runs the real git.
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatFile } from "../../src/revisions/cat-file.js";
import { git as runGit } from "../../src/revisions/git.js";
import { openRevisions, repoRoot } from "../../src/revisions/index.js";
import { openRemoteRevisions } from "../../src/revisions/remote.js";
import { git, makeRepo, tempDir } from "../helpers/git-repo.js";
import { servedChange } from "./session.js";

const SECRETS = { PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----secret", WEBHOOK_SECRET: "whsec-secret", GITLAB_TOKEN: "glpat-secret", AWS_SECRET_ACCESS_KEY: "aws-secret" };
const saved = { ...process.env };
const log = join(tempDir(), "git-calls.log");

beforeAll(() => {
  const bin = tempDir();
  const realGit = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  writeFileSync(join(bin, "git"), `#!/bin/sh\n{ echo "--- $*"; env; } >> '${log}'\nexec '${realGit}' "$@"\n`);
  chmodSync(join(bin, "git"), 0o755);
  Object.assign(process.env, SECRETS, { PATH: `${bin}:${process.env.PATH}` });
});
afterAll(() => {
  for (const k of Object.keys(SECRETS)) delete process.env[k];
  process.env.PATH = saved.PATH;
});

/** Each recorded git process: its arguments and environment. */
function calls(): { args: string; env: Map<string, string> }[] {
  return readFileSync(log, "utf8")
    .split(/^--- /m)
    .filter(Boolean)
    .map((block) => {
      const [args, ...lines] = block.split("\n");
      return { args: args!, env: new Map(lines.filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const)) };
    });
}

function expectNoSecrets(c: { args: string; env: Map<string, string> }): void {
  for (const [k, v] of Object.entries(SECRETS)) {
    expect(c.env.has(k), `${k} reached git ${c.args}`).toBe(false);
    expect([...c.env.values()].join("\n")).not.toContain(v);
  }
}

describe("git children get only what git needs", () => {
  it("git cat-file --batch (the CLI's and the bot's reader) does not inherit the parent's secrets", async () => {
    const repo = makeRepo({ commits: [{ "metrics.json": '{"acc": 1}' }] });
    writeFileSync(log, "");
    const cat = new CatFile(repo);
    const a = await cat.request("HEAD:metrics.json");
    cat.close();
    expect(a.kind).toBe("object");
    const catFile = calls().filter((c) => c.args.startsWith("cat-file"));
    expect(catFile).toHaveLength(1);
    expectNoSecrets(catFile[0]!);
    expect(catFile[0]!.env.get("GIT_TERMINAL_PROMPT")).toBe("0");
    expect(catFile[0]!.env.get("PATH")).toBe(process.env.PATH);
  });

  it("the CLI's git (rev-parse, workspace revisions) and one-off commands: the same policy", async () => {
    const repo = makeRepo({ commits: [{ "metrics.json": '{"acc": 1}' }], workspace: { "metrics.json": '{"acc": 2}' } });
    const top = git(repo, "rev-parse", "--show-toplevel").trim();
    writeFileSync(log, "");
    expect(await repoRoot(repo)).toBe(top);
    const revs = await openRevisions(repo, "HEAD", undefined);
    await revs.close();
    expect(await runGit(["rev-parse", "HEAD"], { cwd: repo })).toMatch(/^[0-9a-f]{40}$/);
    const all = calls();
    expect(all.length).toBeGreaterThanOrEqual(3);
    all.forEach(expectNoSecrets);
  });

  it("the bot's fetch: the token only as a GIT_CONFIG_* header, never in arguments; no parent secrets", async () => {
    const served = await servedChange({ "metrics.json": '{"acc": 1}' }, { "metrics.json": '{"acc": 2}' });
    writeFileSync(log, "");
    const token = "ghs_fetchtoken123";
    const revs = await openRemoteRevisions({ url: served.url, forgeOrigin: served.origin, token, username: "x-access-token", cacheDir: tempDir() }, [
      { sha: served.base, label: "main" },
      { sha: served.head, label: "feature" },
    ]);
    const read = await revs.trees[1]!.read(["metrics.json"]);
    await revs.close();
    expect(read.get("metrics.json")).toEqual({ ok: true, data: Buffer.from('{"acc": 2}') });
    const all = calls();
    const fetches = all.filter((c) => c.args.startsWith("fetch"));
    expect(fetches.length).toBe(2);
    for (const c of all) {
      expectNoSecrets(c);
      expect(c.args).not.toContain(token);
    }
    const header = `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
    for (const c of fetches) expect([...c.env.values()]).toContain(header);
  });

  it("an aborted signal stops git before it starts, and kills a running one", async () => {
    const repo = makeRepo({ commits: [{ "a.txt": "a" }] });
    const done = new AbortController();
    done.abort();
    await expect(runGit(["rev-parse", "HEAD"], { cwd: repo, signal: done.signal })).rejects.toThrow("not started: the task's deadline passed");
    const running = new AbortController();
    // A shell alias that would sleep for a minute: the kill takes its process group (the shell's sleep too).
    const p = runGit(["-c", "alias.wait=!sleep 60", "wait"], { cwd: repo, signal: running.signal });
    running.abort();
    await expect(p).rejects.toThrow("git wait stopped: the task's deadline passed");
  });
});
