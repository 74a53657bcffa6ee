import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { venvBin } from "./python.js";

/** One dvc command: its working directory and its arguments (what follows `dvc` on a command line). */
export interface DvcCall {
  cwd: string;
  args: string[];
  /** Instead of dvc, this script, as `python -c` runs it, `args` its arguments (runPython). */
  python?: string;
}

export interface DvcCallResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * The session: one Python process that answers request after request. Each request's commands are
 * `dvc.cli.main(args)`, the function the `dvc` executable calls (and DVC's own functional tests call, many
 * times a process), each in its own working directory, with stdout and stderr (file descriptors 1 and 2,
 * so stage commands' output too) caught per command in two files of the session's directory, and stdin on
 * /dev/null. What each command sees is what a `dvc` process of its own sees:
 * - the console quiet again, as at start-up (dvc.cli.main turns it on; nothing turns it off);
 * - the request's environment, and only it (callers differ: HOME per file, the AWS variables); restored after;
 * - no filesystem instance of an earlier request: fsspec keeps every instance it made, keyed by the
 *   constructor's arguments, and one made earlier holds that request's credentials (resolved from its
 *   environment), its endpoint's connections and listings cached, so they are forgotten before each request.
 *   (dvc's own caches are of pure functions: the config schema, the parser, .dvcignore matches per instance.)
 * Requests and answers are JSON lines on file descriptors 3 and 4, where no command's output goes.
 * A request that raises (a missing cwd) is answered with the traceback; the session goes on. At fd 3's end
 * of file (the worker gone, even by a signal, which runs no exit handler) it removes its directory and ends.
 */
const SESSION = `
import gc, json, os, shutil, sys, traceback
work = sys.argv[1]
requests = os.fdopen(3, "rb")
answers = os.fdopen(4, "wb")
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0)
out = os.dup(1)
err = os.dup(2)
from dvc.cli import main
from dvc.ui import ui
from fsspec import AbstractFileSystem
paths = [os.path.join(work, "stdout"), os.path.join(work, "stderr")]

def forget_filesystems():
    classes = [AbstractFileSystem]
    cached = False
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        cached = cached or bool(cls.__dict__.get("_cache"))
        cls.clear_instance_cache()
    # Their sessions' "unclosed" warnings, if any, now, on the session's stderr, not in a later command's
    # (a full collection costs ~20 ms with dvc loaded: only when there was something to forget).
    if cached:
        gc.collect()

def python(script, args):
    saved = sys.argv
    sys.argv = ["-c", *args]
    try:
        exec(compile(script, "<string>", "exec"), {"__name__": "__main__"})
        return 0
    except SystemExit:
        raise
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        sys.argv = saved

def run(calls, stop_on_error):
    results = []
    for call in calls:
        os.chdir(call["cwd"])
        ui._enabled = False
        files = [open(p, "w+b") for p in paths]
        sys.stdout.flush(); sys.stderr.flush()
        os.dup2(files[0].fileno(), 1); os.dup2(files[1].fileno(), 2)
        try:
            code = python(call["python"], call["args"]) if "python" in call else main(call["args"])
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
    return results

for line in requests:
    request = json.loads(line)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(request["env"])
    try:
        forget_filesystems()
        answer = {"results": run(request["calls"], request["stopOnError"])}
    except Exception:
        answer = {"error": traceback.format_exc()}
    finally:
        os.chdir(work)
        os.environ.clear()
        os.environ.update(saved)
    answers.write(json.dumps(answer).encode() + b"\\n")
    answers.flush()
shutil.rmtree(work, ignore_errors=True)
`;

interface Pending {
  resolve(results: DvcCallResult[]): void;
  reject(e: Error): void;
  what: string;
}

interface Session {
  proc: ChildProcess;
  dir: string;
  requests: Writable;
  answers: Readable;
  pending?: Pending;
}

/** Lives for the whole worker process (test/setup/fresh-modules.ts gives each file fresh modules): one session, one queue. */
interface WorkerState {
  session?: Session;
  queue: Promise<unknown>;
}
const KEY = Symbol.for("mlreview.test.dvcSession");
const holder = globalThis as { [KEY]?: WorkerState };
const state = (holder[KEY] ??= { queue: Promise.resolve() });

function start(): Session {
  const dir = mkdtempSync(join(tmpdir(), "mlreview-dvc-session-"));
  // Its own environment matters only to the imports; every request brings the one its commands see.
  const proc = spawn(venvBin("python"), ["-c", SESSION, dir], { cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: dir }, stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
  const session: Session = { proc, dir, requests: proc.stdio[3] as Writable, answers: proc.stdio[4] as Readable };
  let own = ""; // the session's stderr outside the commands (a traceback of the session itself)
  proc.stderr!.on("data", (d: Buffer) => (own = (own + d.toString()).slice(-8000)));
  let buffered = "";
  session.answers.on("data", (d: Buffer) => {
    buffered += d.toString("utf8");
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const answer = JSON.parse(buffered.slice(0, nl)) as { results: DvcCallResult[] } | { error: string };
      buffered = buffered.slice(nl + 1);
      const p = session.pending!;
      session.pending = undefined;
      idle(session);
      if ("error" in answer) p.reject(new Error(`the dvc session failed on ${p.what}:\n${answer.error}`));
      else p.resolve(answer.results);
    }
  });
  session.requests.on("error", () => {
    /* the session died: "close" says so */
  });
  proc.on("close", (code, signal) => {
    if (state.session === session) state.session = undefined;
    const p = session.pending;
    session.pending = undefined;
    let stderr = "";
    try {
      stderr = readFileSync(join(dir, "stderr"), "utf8");
    } catch {
      /* it died before a command */
    }
    rmSync(dir, { recursive: true, force: true });
    p?.reject(new Error(`the dvc session died (${signal ?? code}) on ${p.what}:\n${stderr}\n${own}`));
  });
  // Never what keeps the worker alive; killed with it.
  idle(session);
  process.once("exit", () => {
    proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  return session;
}

/** Between requests nothing of the session holds the event loop; during one, its answer does. */
function idle(s: Session): void {
  s.proc.unref();
  for (const stream of [s.proc.stderr, s.requests, s.answers]) (stream as unknown as { unref?: () => void }).unref?.();
}
function busy(s: Session): void {
  s.proc.ref();
  for (const stream of [s.proc.stderr, s.requests, s.answers]) (stream as unknown as { ref?: () => void }).ref?.();
}

function request(calls: DvcCall[], env: NodeJS.ProcessEnv, stopOnError: boolean): Promise<DvcCallResult[]> {
  const session = (state.session ??= start());
  const what = calls.map((c) => `dvc ${c.args.join(" ")}`).join("; ");
  return new Promise<DvcCallResult[]>((resolve, reject) => {
    // Bounded as a `dvc` process of its own was: two minutes a command, then the session goes (and its request fails).
    const timer = setTimeout(() => session.proc.kill("SIGKILL"), 120_000 * Math.max(1, calls.length));
    session.pending = {
      what,
      resolve: (r) => (clearTimeout(timer), resolve(r)),
      reject: (e) => (clearTimeout(timer), reject(e)),
    };
    busy(session);
    session.requests.write(`${JSON.stringify({ calls, env, stopOnError })}\n`);
  });
}

/**
 * The commands, one after the other, in this worker's dvc session (started on first use, reused by every
 * file the worker runs: Python's start-up and dvc's imports, about a second, once). Requests wait their turn.
 * With stopOnError, the commands after a failing one are not run. If the session dies, this request fails
 * with the command's stderr and the next one starts a new session.
 */
export function dvcBatch(calls: DvcCall[], env: NodeJS.ProcessEnv, stopOnError = false): Promise<DvcCallResult[]> {
  const run = state.queue.then(() => request(calls, env, stopOnError));
  state.queue = run.catch(() => undefined);
  return run;
}

/** Throws with the output of the first command of `calls` that failed. */
export function checkBatch(calls: DvcCall[], results: DvcCallResult[]): string[] {
  results.forEach((r, i) => {
    if (r.code !== 0) throw new Error(`dvc ${calls[i]!.args.join(" ")} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  });
  if (results.length !== calls.length) throw new Error(`the dvc batch ran ${results.length} of ${calls.length} commands`);
  return results.map((r) => r.stdout);
}

/** A Python script in the worker's session (the venv's packages, already imported ones for free): its stdout; a failure throws with its stderr. */
export async function runPython(cwd: string, script: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const [r] = await dvcBatch([{ cwd, args, python: script }], env);
  if (r!.code !== 0) throw new Error(`python -c … ${args.join(" ")} failed (${r!.code}):\n${r!.stdout}\n${r!.stderr}`);
  return r!.stdout;
}
