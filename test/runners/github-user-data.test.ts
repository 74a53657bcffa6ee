import { execFile, execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_RUNNER_VERSION, renderUserData } from "../../src/forges/github/user-data.js";
import { UserDataError } from "../../src/runners/user-data.js";

const JIT = Buffer.from(JSON.stringify({ ".runner": "eyJhZ2VudElkIjoiMTIzIn0=", ".credentials": "c2VjcmV0" })).toString("base64");
const base = { jitConfig: JIT, maxRuntimeMinutes: 360, idleMinutes: 15 };

describe("renderUserData", () => {
  it("renders a script bash accepts, with the JIT config exactly once and every blank filled", () => {
    const script = renderUserData(base);
    expect(script.startsWith("#!/bin/bash\n")).toBe(true);
    expect(script.split(JIT).length - 1).toBe(1);
    expect(script).not.toMatch(/\{\{[A-Z0-9_]+\}\}/);
    expect(script).toContain("set -euo pipefail");
    expect(script).toMatch(/^MAX_RUNTIME_MINUTES=360$/m);
    expect(script).toMatch(/^IDLE_MINUTES=15$/m);
    expect(script).toMatch(new RegExp(`^RUNNER_VERSION=${DEFAULT_RUNNER_VERSION.replace(/\./g, "\\.")}$`, "m"));
    // The JIT config sits inside a quoted heredoc, alone on its line.
    expect(script).toContain(`<<'MLREVIEW_JIT_CONFIG_END' || true\n${JIT}\nMLREVIEW_JIT_CONFIG_END\n`);
    const dir = mkdtempSync(join(tmpdir(), "mlreview-ud-"));
    try {
      writeFileSync(join(dir, "user-data.sh"), script);
      expect(() => execFileSync("bash", ["-n", join(dir, "user-data.sh")], { stdio: "pipe" })).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ["command substitution", "abc$(reboot)def"],
    ["backticks", "abc`id`"],
    ["a quote", "abc'def"],
    ["a newline that ends the heredoc", "abc\nMLREVIEW_JIT_CONFIG_END\nreboot\n"],
    ["a semicolon and spaces", "abc; rm -rf /"],
    ["a dollar sign", "$HOME"],
    ["padding in the middle", "ab==cd"],
    ["nothing", ""],
  ])("refuses a JIT config with %s, and does not quote it back", (_what, jit) => {
    let err: unknown;
    try {
      renderUserData({ ...base, jitConfig: jit });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserDataError);
    if (jit.length > 2) expect((err as Error).message).not.toContain(jit);
  });

  it("refuses a JIT config too large for EC2's 16 KB of user data", () => {
    expect(() => renderUserData({ ...base, jitConfig: "A".repeat(13 * 1024) })).toThrow(UserDataError);
  });

  it("refuses minutes that are not whole and positive", () => {
    expect(() => renderUserData({ ...base, maxRuntimeMinutes: 0 })).toThrow(/maxRuntimeMinutes/);
    expect(() => renderUserData({ ...base, idleMinutes: 1.5 })).toThrow(/idleMinutes/);
    expect(() => renderUserData({ ...base, maxRuntimeMinutes: Number.NaN })).toThrow(/maxRuntimeMinutes/);
  });

  it("pins the runner download: another version needs its SHA-256", () => {
    expect(() => renderUserData({ ...base, runnerVersion: "2.400.0" })).toThrow(/SHA-256/);
    expect(() => renderUserData({ ...base, runnerVersion: "2.400.0; reboot", runnerSha256: "a".repeat(64) })).toThrow(UserDataError);
    const s = renderUserData({ ...base, runnerVersion: "2.400.0", runnerSha256: "b".repeat(64) });
    expect(s).toMatch(/^RUNNER_VERSION=2\.400\.0$/m);
    expect(s).toMatch(/^RUNNER_SHA256=b{64}$/m);
  });
});

/**
 * The rendered script run for real, with the machine's commands replaced by recorders: what matters
 * is that it schedules the max-runtime power-off, hands the JIT config to run.sh as a non-root user
 * in a clean environment, and powers off when the runner exits.
 */
describe("bootstrap.sh, run", () => {
  let dir: string;
  // The bootstrap's background timers may still be writing their log: retry a removal that races them.
  afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

  /**
   * `runBody` runs inside the fake run.sh; the idle watchdog's 15 minutes last until `idleUntil` (a shell
   * condition) holds here, so that events, not delays, order the watchdog and the job.
   */
  function sandbox(runExit: number, o: { runBody?: (dir: string, log: string) => string; idleUntil?: (dir: string) => string; pgrepFinds?: boolean } = {}) {
    dir = mkdtempSync(join(tmpdir(), "mlreview-boot-"));
    const bin = join(dir, "bin");
    const runner = join(dir, "actions-runner");
    const log = join(dir, "calls.log");
    mkdirSync(bin);
    mkdirSync(runner);
    const stub = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    for (const cmd of ["shutdown", "poweroff", "chown", "useradd"]) stub(cmd, `echo "${cmd} $*" >> "${log}"`);
    stub("sleep", `echo "sleep $*" >> "${log}"; if [ "$1" = "${15 * 60}" ]; then until ${o.idleUntil?.(dir) ?? "true"}; do /bin/sleep 0.02; done; touch "${dir}/idle-over"; fi`);
    stub("pgrep", `echo "pgrep $*" >> "${log}"; exit ${o.pgrepFinds === false ? 1 : 0}`);
    stub("id", 'if [ "$1" = "-u" ]; then echo 1000; fi');
    // The IMDS block for the job's user (imds.sh): recorded, as every machine command here.
    stub("iptables", `echo "iptables $*" >> "${log}"`);
    stub("getent", 'echo "runner:x:1000:1000::/home/runner:/bin/bash"');
    // runuser -u USER -- cmd...: record the user, then run the command as we are.
    stub("runuser", `echo "runuser $1 $2" >> "${log}"; while [ "$1" != "--" ]; do shift; done; shift; exec "$@"`);
    writeFileSync(join(runner, "run.sh"), `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/run-args"\nenv > "${dir}/run-env"\n${o.runBody?.(dir, log) ?? ""}\nexit ${runExit}\n`);
    chmodSync(join(runner, "run.sh"), 0o755);
    const script = renderUserData(base).replaceAll("/opt/actions-runner", runner);
    writeFileSync(join(dir, "user-data.sh"), script);
    return { bin, log };
  }

  async function waitFor(file: string, pattern: RegExp): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const text = existsSync(file) ? readFileSync(file, "utf8") : "";
      if (pattern.test(text)) return text;
      await new Promise((r) => setTimeout(r, 20));
    }
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  }

  it("runs the runner once with the JIT config, then powers off with the runner's status", async () => {
    const { bin, log } = sandbox(3);
    const exit = await new Promise<number | null>((resolve) => {
      const child = execFile("bash", [join(dir, "user-data.sh")], { env: { PATH: `${bin}:/usr/bin:/bin`, SECRET_FROM_CLOUD_INIT: "x" } }, () => resolve(child.exitCode));
    });
    expect(exit).toBe(3);
    // Issue 10 L8: on no command line (run.sh's arguments were `--jitconfig <config>`, which `ps`
    // shows every user); the runner takes ACTIONS_RUNNER_INPUT_JITCONFIG as its --jitconfig.
    expect(readFileSync(join(dir, "run-args"), "utf8")).toBe("\n");
    const env = readFileSync(join(dir, "run-env"), "utf8");
    expect(env).not.toContain("SECRET_FROM_CLOUD_INIT");
    expect(env).toMatch(new RegExp(`^ACTIONS_RUNNER_INPUT_JITCONFIG=${JIT.replace(/[+/=]/g, "\\$&")}$`, "m"));
    expect(env).toMatch(/^HOME=\/home\/runner$/m);
    const calls = await waitFor(log, /shutdown -h \+360 /);
    expect(calls).toContain("runuser -u runner");
    expect(calls).toContain("shutdown -h +360 mlreview: max runtime reached");
    expect(calls).toContain("shutdown -h now mlreview: bootstrap ended (status 3)");
    // The two watchdogs were armed: max runtime + 1 minute, and idle.
    expect(calls).toContain(`sleep ${(360 + 1) * 60}`);
    expect(calls).toContain(`sleep ${15 * 60}`);
    expect(calls).not.toContain(JIT);
  });

  it("powers off after a clean job too", async () => {
    const { bin, log } = sandbox(0);
    await new Promise<void>((resolve) => execFile("bash", [join(dir, "user-data.sh")], { env: { PATH: `${bin}:/usr/bin:/bin` } }, () => resolve()));
    expect(await waitFor(log, /status 0/)).toContain("shutdown -h now mlreview: bootstrap ended (status 0)");
  });

  it("idle: powers off when no job has started within the idle time", async () => {
    // The runner waits (10 s at most) for the watchdog's power-off: with no job, it must come.
    const { bin, log } = sandbox(0, { runBody: (_, log) => `for i in $(seq 500); do grep -q "mlreview: idle" "${log}" && break; /bin/sleep 0.02; done`, pgrepFinds: false });
    await new Promise<void>((resolve) => execFile("bash", [join(dir, "user-data.sh")], { env: { PATH: `${bin}:/usr/bin:/bin` } }, () => resolve()));
    const calls = await waitFor(log, /status 0/);
    expect(calls).toContain("shutdown -h now mlreview: idle");
    expect(calls.indexOf("mlreview: idle")).toBeLessThan(calls.indexOf("bootstrap ended"));
  });

  it("idle: stays up once the runner has started a worker for the job", async () => {
    // The idle time ends once the worker's log is there; run.sh ends once the watchdog has looked.
    const { bin, log } = sandbox(0, {
      runBody: (d) => `mkdir -p _diag && touch _diag/Worker_20260102-030405-utc.log "${d}/worker-started" && for i in $(seq 500); do [ -e "${d}/idle-over" ] && break; /bin/sleep 0.02; done`,
      idleUntil: (d) => `[ -e "${d}/worker-started" ]`,
      pgrepFinds: false,
    });
    await new Promise<void>((resolve) => execFile("bash", [join(dir, "user-data.sh")], { env: { PATH: `${bin}:/usr/bin:/bin` } }, () => resolve()));
    const calls = await waitFor(log, /status 0/);
    expect(calls).not.toContain("mlreview: idle");
    expect(calls).toContain("shutdown -h now mlreview: bootstrap ended (status 0)");
  });
});
