// The spawn host (src/revisions/spawn-host.ts): a command it starts behaves for its caller as one forked
// here would — output byte for byte, exit code, stderr, errors, kills — while its parent is the host,
// whose environment holds nothing but PATH.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { git as runGit } from "../../src/revisions/git.js";
import { spawnViaHost, type Child } from "../../src/revisions/spawn-host.js";
import { git, makeRepo } from "../helpers/git-repo.js";

const env = { PATH: process.env.PATH ?? "", LC_ALL: "C" };

function run(child: Child, input?: Buffer | string): Promise<{ stdout: Buffer; stderr: string; code: number | null; signal: NodeJS.Signals | null; error?: Error }> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    let stderr = "";
    let error: Error | undefined;
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin.on("error", () => undefined);
    child.on("error", (e) => (error = e));
    child.on("close", (code, signal) => resolve({ stdout: Buffer.concat(out), stderr, code, signal, ...(error ? { error } : {}) }));
    if (input !== undefined) child.stdin.end(input);
  });
}

/** Whether `pid` has ended (no /proc entry, or a zombie), polled for 5 s at most. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 250; i++) {
    if (!existsSync(`/proc/${pid}`) || / Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8").split(")")[1] ?? "")) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Parent pid of `pid`, from /proc. */
const parentOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);

const started = (child: Child) => new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));

describe("the spawn host", () => {
  const blob = randomBytes(5 * 1024 * 1024);
  const dir = makeRepo({ commits: [{ "big.bin": blob, "a.txt": "a\n" }] });

  it("git cat-file --batch through it: the same bytes as git run here, several requests on one stdin", async () => {
    const requests = "HEAD:big.bin\nHEAD:a.txt\nHEAD:nope\n";
    const expected = execFileSync("git", ["cat-file", "--batch"], { cwd: dir, input: requests, maxBuffer: 64 * 1024 * 1024 });
    const child = spawnViaHost("git", ["cat-file", "--batch"], { cwd: dir, env, detached: true });
    const r = run(child);
    // Written in pieces: stdin is streamed, not sent at the end.
    for (const line of requests.split(/(?<=\n)/)) child.stdin.write(line);
    child.stdin.end();
    const got = await r;
    expect(got.code).toBe(0);
    expect(got.stdout.equals(expected)).toBe(true);
    expect(got.stdout.includes(blob)).toBe(true);
  });

  it("a failing command: its exit code and stderr; a missing program: an ENOENT error", async () => {
    const failed = await run(spawnViaHost("git", ["rev-parse", "--verify", "nope"], { cwd: dir, env }), "");
    expect(failed.code).toBe(128);
    expect(failed.stderr).toMatch(/fatal: Needed a single revision/);

    const missing = await run(spawnViaHost("mlreview-no-such-program", [], { cwd: dir, env }), "");
    expect((missing.error as NodeJS.ErrnoException | undefined)?.code).toBe("ENOENT");
  });

  it("its commands are the host's children, and the host's environment is PATH alone; the command's is what it was given", async () => {
    const child = spawnViaHost("sh", ["-c", 'env; read line; echo "$line"'], { cwd: dir, env: { ...env, MLREVIEW_ONLY_FOR_THIS_COMMAND: "1" }, detached: true });
    const r = run(child);
    await started(child);
    const host = parentOf(child.pid!);
    expect(host).not.toBe(process.pid);
    expect(parentOf(host)).toBe(process.pid);
    const hostEnv = readFileSync(`/proc/${host}/environ`, "utf8").split("\0").filter(Boolean);
    // Node's own IPC variables (the channel's fd and serialization) aside.
    expect(hostEnv.map((kv) => kv.split("=")[0]).filter((k) => !k!.startsWith("NODE_CHANNEL_"))).toEqual(["PATH"]);
    child.stdin.end("done\n");
    const got = await r;
    expect(got.stdout.toString()).toMatch(/^MLREVIEW_ONLY_FOR_THIS_COMMAND=1$/m);
    expect(got.stdout.toString()).toMatch(/^done$/m);
  });

  it("kill and a kill of the process group reach the command", async () => {
    const a = spawnViaHost("sleep", ["30"], { cwd: dir, env });
    const ra = run(a);
    a.kill("SIGKILL");
    expect(await ra).toMatchObject({ code: null, signal: "SIGKILL" });

    // Killed at once (before the host has said the pid): a detached command goes with its group, so the
    // shell's own child, which holds the output pipe, does not keep the command open for its 60 s.
    const c = spawnViaHost("sh", ["-c", "sleep 60; echo never"], { cwd: dir, env, detached: true });
    const rc = run(c);
    c.kill("SIGKILL");
    expect(await rc).toMatchObject({ code: null, signal: "SIGKILL" });
    expect((await rc).stdout.length).toBe(0);

    const b = spawnViaHost("sh", ["-c", "echo started; sleep 30"], { cwd: dir, env, detached: true });
    const rb = run(b);
    await started(b);
    process.kill(-b.pid!, "SIGKILL");
    expect((await rb).signal).toBe("SIGKILL");
  });

  it("the host killed mid-command: the command fails with the reason and is ended; the next command gets a new host", async () => {
    const child = spawnViaHost("sh", ["-c", "echo started; sleep 30"], { cwd: dir, env, detached: true });
    const r = run(child);
    await started(child);
    const host = parentOf(child.pid!);
    process.kill(host, "SIGKILL");
    const got = await r;
    expect(got.error?.message).toBe("the process that starts git exited");
    expect(got.code).toBeNull();
    // The command's group was killed, not left running without a parent (gone, or a zombie until init reaps it).
    expect(await gone(child.pid!)).toBe(true);
    const next = spawnViaHost("sh", ["-c", "git rev-parse HEAD; read line"], { cwd: dir, env });
    const rn = run(next);
    await started(next);
    const newHost = parentOf(next.pid!);
    expect(newHost).not.toBe(host);
    expect(newHost).not.toBe(process.pid);
    next.stdin.end("\n");
    expect((await rn).stdout.toString()).toBe(git(dir, "rev-parse", "HEAD"));
  });

  it("git() while a host runs (it is used once started): an abort right after the start ends a shell alias's sleep too", async () => {
    await run(spawnViaHost("true", [], { cwd: dir, env }), "");
    const running = new AbortController();
    const p = runGit(["-c", "alias.wait=!sleep 60", "wait"], { cwd: dir, signal: running.signal });
    running.abort();
    await expect(p).rejects.toThrow("git wait stopped: the task's deadline passed");
  });
});
