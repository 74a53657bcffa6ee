import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A runner bootstrap (rendered user data) run for real as a script, with every machine command it
 * calls replaced by a recorder that keeps its whole argument list, one line per process: what `ps`
 * would have shown any user. The runner itself (run.sh, gitlab-runner) records its arguments and
 * environment.
 */
export interface BootstrapSandbox {
  dir: string;
  /** Every stubbed command's argv, in order. */
  argv(): string;
  /** What the runner got: its arguments, one a line, and its environment; "" when it never ran. */
  runnerArgs(): string;
  runnerEnv(): string;
  run(): Promise<number | null>;
  cleanup(): void;
}

export function bootstrapSandbox(script: string, o: { forge: "github" | "gitlab"; user: string; iptablesFails?: boolean }): BootstrapSandbox {
  const dir = mkdtempSync(join(tmpdir(), "mlreview-sandbox-"));
  const bin = join(dir, "bin");
  const argvLog = join(dir, "argv.log");
  mkdirSync(bin);
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/bash\nprintf '%s\\n' "${name} $*" >> "${argvLog}"\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  for (const cmd of ["shutdown", "poweroff", "chown", "useradd", "pgrep"]) stub(cmd, "exit 0");
  stub("sleep", "exit 0");
  stub("id", 'if [ "$1" = "-u" ]; then echo 1000; fi');
  stub("getent", `echo "${o.user}:x:1000:1000::${dir}/home:/bin/bash"`);
  stub("iptables", `exit ${o.iptablesFails ? 1 : 0}`);
  // runuser -u USER -- cmd...: run the command as we are; env: the real one, recorded.
  stub("runuser", 'while [ "$1" != "--" ]; do shift; done; shift; exec "$@"');
  stub("env", 'exec /usr/bin/env "$@"');
  const runner = `printf '%s\\n' "$@" > "${dir}/runner-args"\n/usr/bin/env > "${dir}/runner-env"\nexit 0`;
  let text = script;
  if (o.forge === "github") {
    const home = join(dir, "actions-runner");
    mkdirSync(home);
    writeFileSync(join(home, "run.sh"), `#!/bin/bash\n${runner}\n`);
    chmodSync(join(home, "run.sh"), 0o755);
    text = text.replaceAll("/opt/actions-runner", home);
  } else {
    stub("gitlab-runner", runner);
    text = text.replaceAll("/var/lib/mlreview-runner", join(dir, "work")).replace("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", `PATH=${bin}:/usr/bin:/bin`);
  }
  writeFileSync(join(dir, "user-data.sh"), text);
  const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : "");
  return {
    dir,
    argv: () => read("argv.log"),
    runnerArgs: () => read("runner-args"),
    runnerEnv: () => read("runner-env"),
    run: () =>
      new Promise((resolve) => {
        const child = execFile("bash", [join(dir, "user-data.sh")], { env: { PATH: `${bin}:/usr/bin:/bin` } }, () => resolve(child.exitCode));
      }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
