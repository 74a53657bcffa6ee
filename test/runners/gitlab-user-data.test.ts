import { execFile, execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { renderGitLabUserData } from "../../src/forges/gitlab/user-data.js";
import { UserDataError } from "../../src/runners/user-data.js";

// The shape POST /user/runners returns (GitLab MR 124074's example).
const TOKEN = "glrt-xi1NoiaAMosxBUy9xi3G";
const base = { gitlabUrl: "https://git.example.com/gitlab", runnerToken: TOKEN, maxRuntimeMinutes: 360, idleMinutes: 15 };

describe("renderGitLabUserData", () => {
  it("renders a script bash accepts, with the token exactly once, in a quoted heredoc, and every blank filled", () => {
    const script = renderGitLabUserData(base);
    expect(script.startsWith("#!/bin/bash\n")).toBe(true);
    expect(script.split(TOKEN).length - 1).toBe(1);
    expect(script).toContain(`<<'MLREVIEW_RUNNER_TOKEN_END' || true\n${TOKEN}\nMLREVIEW_RUNNER_TOKEN_END\n`);
    expect(script).not.toMatch(/\{\{[A-Z0-9_]+\}\}/);
    expect(script).toContain("set -euo pipefail");
    expect(script).toMatch(/^MAX_RUNTIME_MINUTES=360$/m);
    expect(script).toMatch(/^IDLE_MINUTES=15$/m);
    expect(script).toMatch(/^GITLAB_URL='https:\/\/git\.example\.com\/gitlab'$/m);
    expect(script).not.toMatch(/registration-token|--token/);
    const dir = mkdtempSync(join(tmpdir(), "mlreview-glud-"));
    try {
      writeFileSync(join(dir, "user-data.sh"), script);
      expect(() => execFileSync("bash", ["-n", join(dir, "user-data.sh")], { stdio: "pipe" })).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("drops a trailing slash from GITLAB_URL", () => {
    expect(renderGitLabUserData({ ...base, gitlabUrl: "https://gitlab.com/" })).toMatch(/^GITLAB_URL='https:\/\/gitlab\.com'$/m);
  });

  it.each([
    ["command substitution", "glrt-abcdefghij$(reboot)klmnop"],
    ["backticks", "glrt-abcdefghijklmnop`id`qr"],
    ["a quote", "glrt-abcdefghijklmnopqr'st"],
    ["a newline that ends the heredoc", "glrt-abcdefghijklmnopqrst\nMLREVIEW_RUNNER_TOKEN_END\nreboot\n"],
    ["a semicolon and spaces", "glrt-abcdefghijklmnopqrst; rm -rf /"],
    ["a registration token", "GR1348941abcdefghijklmnopqrst"],
    ["a personal access token", "glpat-abcdefghijklmnopqrst"],
    ["too few characters", "glrt-abc"],
    ["nothing", ""],
  ])("refuses a token with %s, and does not quote it back", (_what, token) => {
    let err: unknown;
    try {
      renderGitLabUserData({ ...base, runnerToken: token });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserDataError);
    if (token.length > 2) expect((err as Error).message).not.toContain(token);
  });

  it.each([["https://git.example.com/gitlab'; reboot; '"], ["https://git.example.com/$(id)"], ["ftp://git.example.com"], ["https://git example.com"], [""]])("refuses GITLAB_URL %j", (url) => {
    expect(() => renderGitLabUserData({ ...base, gitlabUrl: url })).toThrow(UserDataError);
  });

  it("refuses minutes that are not whole and positive", () => {
    expect(() => renderGitLabUserData({ ...base, maxRuntimeMinutes: 0 })).toThrow(/maxRuntimeMinutes/);
    expect(() => renderGitLabUserData({ ...base, idleMinutes: 2.5 })).toThrow(/idleMinutes/);
  });
});

/**
 * The rendered script run for real, with the machine's commands replaced by recorders: it must arm
 * both watchdogs, hand the token to gitlab-runner run-single for one job as a non-root user, in a
 * clean environment and on no command line, and power off when the runner exits.
 */
describe("bootstrap-gitlab.sh, run", () => {
  let dir: string;
  // The bootstrap's background timers may still be writing their log: retry a removal that races them.
  afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

  /**
   * `runnerBody` runs inside the fake gitlab-runner; the idle watchdog's 15 minutes last until `idleUntil`
   * (a shell condition) holds here, so that events, not delays, order the watchdog and the job.
   */
  function sandbox(runnerExit: number, o: { runnerBody?: (dir: string, log: string) => string; idleUntil?: (dir: string) => string } = {}) {
    dir = mkdtempSync(join(tmpdir(), "mlreview-glboot-"));
    const bin = join(dir, "bin");
    const work = join(dir, "work");
    const log = join(dir, "calls.log");
    mkdirSync(bin);
    const stub = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    for (const cmd of ["shutdown", "poweroff", "chown", "useradd"]) stub(cmd, `echo "${cmd} $*" >> "${log}"`);
    stub("sleep", `echo "sleep $*" >> "${log}"; if [ "$1" = "${15 * 60}" ]; then until ${o.idleUntil?.(dir) ?? "true"}; do /bin/sleep 0.02; done; touch "${dir}/idle-over"; fi`);
    stub("id", 'if [ "$1" = "-u" ]; then echo 1000; fi');
    // The IMDS block for the job's user (imds.sh): recorded, as every machine command here.
    stub("iptables", `echo "iptables $*" >> "${log}"`);
    stub("getent", `echo "gitlab-runner:x:999:999::${dir}/home:/bin/bash"`);
    // runuser -u USER -- cmd...: record the user, then run the command as we are.
    stub("runuser", `echo "runuser $1 $2" >> "${log}"; while [ "$1" != "--" ]; do shift; done; shift; exec "$@"`);
    stub("gitlab-runner", `printf '%s\\n' "$@" > "${dir}/runner-args"\nenv > "${dir}/runner-env"\n${o.runnerBody?.(dir, log) ?? ""}\nexit ${runnerExit}`);
    const script = renderGitLabUserData(base).replaceAll("/var/lib/mlreview-runner", work).replace("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", `PATH=${bin}:/usr/bin:/bin`);
    writeFileSync(join(dir, "user-data.sh"), script);
    return { bin, log, work };
  }

  const run = (bin: string, env: Record<string, string> = {}) =>
    new Promise<number | null>((resolve) => {
      const child = execFile("bash", [join(dir, "user-data.sh")], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env } }, () => resolve(child.exitCode));
    });

  async function waitFor(file: string, pattern: RegExp): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const text = existsSync(file) ? readFileSync(file, "utf8") : "";
      if (pattern.test(text)) return text;
      await new Promise((r) => setTimeout(r, 20));
    }
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  }

  it("runs run-single for one job with the token from its environment, then powers off with its status", async () => {
    const { bin, log } = sandbox(3);
    expect(await run(bin, { SECRET_FROM_CLOUD_INIT: "x" })).toBe(3);
    expect(readFileSync(join(dir, "runner-args"), "utf8")).toBe(`run-single\n--max-builds\n1\n--wait-timeout\n${15 * 60}\n`);
    const env = readFileSync(join(dir, "runner-env"), "utf8");
    expect(env).toMatch(new RegExp(`^CI_SERVER_TOKEN=${TOKEN}$`, "m"));
    expect(env).toMatch(/^CI_SERVER_URL=https:\/\/git\.example\.com\/gitlab$/m);
    expect(env).toMatch(/^RUNNER_EXECUTOR=shell$/m);
    expect(env).toMatch(new RegExp(`^HOME=${dir}/home$`, "m"));
    expect(env).not.toContain("SECRET_FROM_CLOUD_INIT");
    const calls = await waitFor(log, /shutdown -h \+360 /);
    expect(calls).toContain("runuser -u gitlab-runner");
    expect(calls).toContain("chown -R gitlab-runner:");
    expect(calls).toContain("shutdown -h +360 mlreview: max runtime reached");
    expect(calls).toContain("shutdown -h now mlreview: bootstrap ended (status 3)");
    expect(calls).toContain(`sleep ${(360 + 1) * 60}`);
    expect(calls).toContain(`sleep ${15 * 60}`);
    // On no command line: not in what the stubs recorded of theirs.
    expect(calls).not.toContain(TOKEN);
  });

  it("refuses to start without gitlab-runner, and still powers off", async () => {
    const { bin, log } = sandbox(0);
    rmSync(join(bin, "gitlab-runner"));
    expect(await run(bin)).toBe(1);
    expect(await waitFor(log, /status 1/)).toContain("shutdown -h now mlreview: bootstrap ended (status 1)");
  });

  it("idle: powers off when no job has started within the idle time", async () => {
    // The runner waits (10 s at most) for the watchdog's power-off: with no job, it must come.
    const { bin, log } = sandbox(0, { runnerBody: (_, log) => `for i in $(seq 500); do grep -q "mlreview: idle" "${log}" && break; /bin/sleep 0.02; done` });
    await run(bin);
    const calls = await waitFor(log, /status 0/);
    expect(calls).toContain("shutdown -h now mlreview: idle");
    expect(calls.indexOf("mlreview: idle")).toBeLessThan(calls.indexOf("bootstrap ended"));
  });

  it("idle: stays up once the shell executor has a build directory for the job", async () => {
    // The idle time ends once the build directory is there; the runner ends once the idle time is over.
    const { bin, log } = sandbox(0, {
      runnerBody: (d) => `mkdir -p "$RUNNER_BUILDS_DIR/t3_abc/0/gitlab-org/gitlab-test" && touch "${d}/job-started" && for i in $(seq 500); do [ -e "${d}/idle-over" ] && break; /bin/sleep 0.02; done`,
      idleUntil: (d) => `[ -e "${d}/job-started" ]`,
    });
    await run(bin);
    const calls = await waitFor(log, /status 0/);
    expect(calls).not.toContain("mlreview: idle");
    expect(calls).toContain("shutdown -h now mlreview: bootstrap ended (status 0)");
  });
});
