import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runCli } from "../../src/cli/run.js";

export const CLI = fileURLToPath(new URL("../../dist/bin/main.js", import.meta.url));

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string>;
}

/**
 * Code below the CLI still reads process.env (git's allow-listed environment, DVC remote credentials,
 * TMPDIR): during an in-process run the run's variables are laid over it, as a spawned CLI would see them,
 * and restored after. One run at a time per test worker, so that two runs never see each other's.
 */
let queue: Promise<unknown> = Promise.resolve();

function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
    Object.assign(process.env, env);
    try {
      return await fn();
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
  queue = run.catch(() => undefined);
  return run;
}

/**
 * `mlreview ARGS` in this process (src/cli/run.ts, the code the binary runs): no Node start-up per call.
 * Same result as the binary's; the end-to-end tests that must see a real process use mlreviewBinary/spawnCli.
 */
export function mlreview(args: string[], opts: CliOptions): Promise<CliResult> {
  const env = opts.env ?? {};
  return withEnv(env, async () => {
    let stdout = "";
    let stderr = "";
    const code = await runCli(args, {
      cwd: opts.cwd,
      env: { ...process.env, ...env },
      stdout: { write: (s: string) => (stdout += s), isTTY: false },
      stderr: { write: (s: string) => (stderr += s), isTTY: false },
    });
    return { stdout, stderr, code };
  });
}

/** The same in-process run; the name kept for the tests whose servers (a DVC remote, an LFS endpoint) run in this process. */
export const mlreviewAsync = mlreview;

/** The built `mlreview` binary, as a user runs it: for the end-to-end tests (exit codes, a real process's environment). */
export function mlreviewBinary(args: string[], opts: CliOptions & { maxBuffer?: number }): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd,
    encoding: "utf8",
    env: { ...process.env, ...opts.env },
    timeout: 60_000,
    ...(opts.maxBuffer ? { maxBuffer: opts.maxBuffer } : {}),
  });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

/** The built binary without blocking this process: for end-to-end tests whose servers run in it. */
export function spawnCli(args: string[], opts: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, timeout: 60_000 });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, stderr, stdout }));
  });
}
