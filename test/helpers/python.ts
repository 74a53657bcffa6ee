import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The real peers the tests compare against, pinned. Changing this list makes a new virtualenv;
 * an unchanged list reuses the one already built (pip is slow: minutes, not seconds).
 */
export const PYTHON_PINS = ["dvc==3.67.1", "dvc-s3==3.3.0", "moto[server]==5.2.5"] as const;

const pinsHash = createHash("sha256").update(PYTHON_PINS.join("\n")).digest("hex").slice(0, 12);
/** Outside the repository so a clean clone reuses it on the same machine; MLREVIEW_TEST_VENV moves it. */
export const VENV_DIR = process.env.MLREVIEW_TEST_VENV ?? join(tmpdir(), `mlreview-venv-${pinsHash}`);
const READY = join(VENV_DIR, ".mlreview-pins");

function python(): string {
  for (const candidate of ["python3", "python"]) {
    try {
      execFileSync(candidate, ["--version"], { stdio: "ignore" });
      return candidate;
    } catch {
      /* next */
    }
  }
  throw new Error("python3 is not installed: the differential tests need it to install dvc and moto from PyPI");
}

/** Creates the virtualenv with the pinned peers once; later calls (and later runs) reuse it. */
export function ensureVenv(): string {
  if (existsSync(READY) && readFileSync(READY, "utf8") === PYTHON_PINS.join("\n")) return VENV_DIR;
  rmSync(VENV_DIR, { recursive: true, force: true });
  mkdirSync(VENV_DIR, { recursive: true });
  execFileSync(python(), ["-m", "venv", VENV_DIR], { stdio: "inherit" });
  execFileSync(join(VENV_DIR, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", ...PYTHON_PINS], {
    stdio: "inherit",
    timeout: 20 * 60_000,
  });
  writeFileSync(READY, PYTHON_PINS.join("\n"));
  return VENV_DIR;
}

/** Path of an executable installed in the virtualenv (dvc, moto_server). */
export function venvBin(name: string): string {
  return join(ensureVenv(), "bin", name);
}

/** One dvc command: its working directory and its arguments (what follows `dvc` on a command line). */
export interface DvcCall {
  cwd: string;
  args: string[];
}

export interface DvcCallResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Several dvc commands in one Python process: each one is `dvc.cli.main(args)`, the function the `dvc`
 * executable calls (and DVC's own functional tests call, many times a process), in its own working
 * directory, with stdout and stderr (file descriptors 1 and 2, so stage commands' output too) caught per
 * command and stdin on /dev/null. What each command sees is what a `dvc` process of its own sees: the
 * console is quiet again before each, as it is at start-up. Saves Python's start-up and dvc's imports
 * (about a second each) per command. With stopOnError, the commands after a failing one are not run.
 */
const BATCH = `
import json, os, sys, tempfile
calls = json.load(sys.stdin)
stop_on_error = sys.argv[1] == "1"
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0)
out = os.dup(1)
err = os.dup(2)
from dvc.cli import main
from dvc.ui import ui
results = []
for call in calls:
    os.chdir(call["cwd"])
    ui._enabled = False
    files = [tempfile.TemporaryFile(), tempfile.TemporaryFile()]
    sys.stdout.flush(); sys.stderr.flush()
    os.dup2(files[0].fileno(), 1); os.dup2(files[1].fileno(), 2)
    try:
        code = main(call["args"])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        sys.stdout.flush(); sys.stderr.flush()
        os.dup2(out, 1); os.dup2(err, 2)
    texts = []
    for f in files:
        f.seek(0)
        texts.append(f.read().decode("utf-8", "replace"))
        f.close()
    results.append({"stdout": texts[0], "stderr": texts[1], "code": code})
    if code != 0 and stop_on_error:
        break
os.write(out, json.dumps(results).encode())
`;

function parseBatch(calls: DvcCall[], r: { stdout: string; stderr: string; status: number | null }): DvcCallResult[] {
  if (r.status !== 0) throw new Error(`the dvc batch (${calls.map((c) => c.args.join(" ")).join("; ")}) failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as DvcCallResult[];
}

/** The batch, blocking (no server of this process is asked by these commands). */
export function dvcBatchSync(calls: DvcCall[], env: NodeJS.ProcessEnv, stopOnError = false): DvcCallResult[] {
  const r = spawnSync(venvBin("python"), ["-c", BATCH, stopOnError ? "1" : "0"], { input: JSON.stringify(calls), encoding: "utf8", env, timeout: 120_000 * calls.length, maxBuffer: 256 * 1024 * 1024 });
  return parseBatch(calls, r);
}

/** The batch without blocking this process (its servers can answer the commands; other work goes on meanwhile). */
export function dvcBatch(calls: DvcCall[], env: NodeJS.ProcessEnv, stopOnError = false): Promise<DvcCallResult[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(venvBin("python"), ["-c", BATCH, stopOnError ? "1" : "0"], { env, timeout: 120_000 * calls.length });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (d: Buffer) => out.push(d));
    p.stderr.on("data", (d: Buffer) => err.push(d));
    p.on("error", reject);
    p.on("close", (status) => {
      try {
        resolve(parseBatch(calls, { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), status }));
      } catch (e) {
        reject(e as Error);
      }
    });
    p.stdin.end(JSON.stringify(calls));
  });
}

/** Throws with the output of the first command of `calls` that failed. */
export function checkBatch(calls: DvcCall[], results: DvcCallResult[]): string[] {
  results.forEach((r, i) => {
    if (r.code !== 0) throw new Error(`dvc ${calls[i]!.args.join(" ")} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  });
  if (results.length !== calls.length) throw new Error(`the dvc batch ran ${results.length} of ${calls.length} commands`);
  return results.map((r) => r.stdout);
}
