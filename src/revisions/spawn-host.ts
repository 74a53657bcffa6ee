/**
 * Starting git from a large process through a small one. Node forks on Linux, and a fork copies the
 * parent's page tables and marks every resident page copy-on-write, which the child's exec then undoes:
 * the larger the process, the dearer each git, with the event loop blocked for the copy. Above
 * HOST_ABOVE_RSS_BYTES, commands are started by the spawn host (spawn-host-worker.ts, ~40 MB), as
 * Python's multiprocessing forkserver does, and their output comes back over its IPC channel; below it
 * (a CLI run), forking here is cheaper than starting the host. Whichever way, the caller sees one child
 * with three streams, a pid, `kill` and `error`/`close`.
 */
import { fork, spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from "node:child_process";
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { childEnv } from "../child-env.js";
import { killGroup } from "./kill-group.js";
import type { HostReply, HostRequest } from "./spawn-host-protocol.js";

/** Above this resident size, a fork here costs more than a round trip through the host. */
export const HOST_ABOVE_RSS_BYTES = 200 * 1024 * 1024;
/** A host that has not said "ready" by then is given up on: commands are forked here. */
const HOST_START_TIMEOUT_MS = 10_000;

export interface SpawnOptions {
  cwd: string;
  env: Record<string, string>;
  detached?: boolean;
}

/** What the callers of a git child use (a subset of ChildProcessWithoutNullStreams). */
export interface Child {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly pid?: number | undefined;
  kill(signal?: NodeJS.Signals): boolean;
  on(event: "close", listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: "error", listener: (err: Error) => void): this;
}

/** `file args` as a child of this process or of the spawn host (see the top of this file). */
export function spawnChild(file: string, args: readonly string[], o: SpawnOptions): Child {
  const host = sharedHost(process.memoryUsage.rss() >= HOST_ABOVE_RSS_BYTES);
  return host === undefined ? forkHere(file, args, o) : host.spawn(file, [...args], o);
}

/** `file args` started by the spawn host whatever this process's size (forked here if there is no host to start). */
export function spawnViaHost(file: string, args: readonly string[], o: SpawnOptions): Child {
  const host = sharedHost(true);
  return host === undefined ? forkHere(file, args, o) : host.spawn(file, [...args], o);
}

function forkHere(file: string, args: readonly string[], o: SpawnOptions): ChildProcessWithoutNullStreams {
  return spawn(file, args, { cwd: o.cwd, env: o.env, detached: o.detached ?? false, stdio: ["pipe", "pipe", "pipe"] });
}

const HOST = Symbol.for("mlreview.spawnHost");
const shared = globalThis as { [HOST]?: SpawnHost | null };

/** The process's host (one, whatever copies of this module are loaded), started once this process is large. */
function sharedHost(start: boolean): SpawnHost | undefined {
  const existing = shared[HOST];
  if (existing === null) return undefined;
  if (existing !== undefined && !existing.dead) return existing;
  if (!start) return undefined;
  const script = hostScript();
  if (script === undefined) {
    shared[HOST] = null;
    return undefined;
  }
  return (shared[HOST] = new SpawnHost(script));
}

/** The worker beside this module (the bundled CLI, dist/), or the built one when running from the TypeScript sources. */
function hostScript(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, "spawn-host-worker.js"), join(here, "..", "..", "dist", "revisions", "spawn-host-worker.js")].find((p) => existsSync(p));
}

class SpawnHost {
  dead = false;
  private readonly proc: ChildProcess;
  private readonly ready: Promise<boolean>;
  private readonly children = new Map<number, HostedChild>();
  private nextId = 1;

  constructor(script: string) {
    // Its own environment is PATH alone: the bot's secrets stay in the bot; each command brings its own.
    this.proc = fork(script, [], { execArgv: ["--max-old-space-size=64"], env: { PATH: childEnv({}, { network: false }).PATH ?? "" }, stdio: ["ignore", "ignore", "inherit", "ipc"], serialization: "advanced" });
    this.ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), HOST_START_TIMEOUT_MS);
      timer.unref();
      this.proc.once("message", (m: HostReply) => {
        clearTimeout(timer);
        resolve(m.t === "ready");
      });
      this.proc.once("exit", () => resolve(false));
    });
    this.proc.on("message", (m: HostReply) => this.onMessage(m));
    this.proc.on("error", () => this.onExit());
    this.proc.on("exit", () => this.onExit());
    this.setRef(false);
    void this.ready.then((ok) => {
      if (!ok) this.onExit();
    });
  }

  spawn(file: string, args: string[], o: SpawnOptions): Child {
    const id = this.nextId++;
    const child = new HostedChild((m) => this.send(m), id, o.detached ?? false);
    this.children.set(id, child);
    this.setRef(true);
    void this.ready.then((ok) => {
      // No host after all: this command is forked here, as it would have been without one.
      if (!ok || this.dead) return void this.adopt(child, file, args, o);
      this.send({ t: "spawn", id, file, args, cwd: o.cwd, env: o.env, detached: o.detached ?? false });
      child.flush();
    });
    return child;
  }

  private adopt(child: HostedChild, file: string, args: string[], o: SpawnOptions): void {
    this.forget(child.id);
    child.attach(forkHere(file, args, o));
  }

  private send(m: HostRequest): void {
    if (!this.dead && this.proc.connected) this.proc.send(m);
  }

  private onMessage(m: HostReply): void {
    if (m.t === "ready") return;
    const child = this.children.get(m.id);
    if (child === undefined) return;
    if (m.t === "close") this.forget(m.id);
    child.deliver(m);
  }

  private forget(id: number): void {
    this.children.delete(id);
    if (this.children.size === 0) this.setRef(false);
  }

  /** The host died: its commands went with it (its `disconnect` handler), or are ended here. */
  private onExit(): void {
    if (this.dead) return;
    this.dead = true;
    if (shared[HOST] === this) delete shared[HOST];
    for (const [id, child] of this.children) {
      this.children.delete(id);
      child.hostDied();
    }
    this.proc.kill("SIGKILL");
  }

  /** Whether the host keeps this process alive: only while a command runs (a CLI must exit when done). */
  private setRef(on: boolean): void {
    const channel = this.proc.channel as { ref?: () => void; unref?: () => void } | null | undefined;
    if (on) {
      this.proc.ref();
      channel?.ref?.();
    } else {
      this.proc.unref();
      channel?.unref?.();
    }
  }
}

/** One command as its caller sees it: started by the host, or (`attach`) forked here after all. */
class HostedChild extends EventEmitter implements Child {
  readonly stdout = new Readable({ read() {} });
  readonly stderr = new Readable({ read() {} });
  readonly stdin: Writable;
  pid: number | undefined;
  private started = false;
  private early: HostRequest[] = [];
  private direct: ChildProcess | undefined;
  private ended = false;

  constructor(
    private readonly post: (m: HostRequest) => void,
    readonly id: number,
    /** Started detached: its own process group, killed as one. */
    private readonly group: boolean,
  ) {
    super();
    const send = (m: HostRequest) => (this.started ? this.post(m) : this.early.push(m));
    this.stdin = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (this.direct) this.direct.stdin!.write(chunk, () => cb());
        else (send({ t: "in", id, data: chunk }), cb());
      },
      final: (cb) => {
        if (this.direct) this.direct.stdin!.end(() => cb());
        else (send({ t: "end", id }), cb());
      },
    });
  }

  /** The spawn request went out: what was written or asked before it follows, in order. */
  flush(): void {
    this.started = true;
    for (const m of this.early.splice(0)) this.post(m);
  }

  /** Kills the command, and its process group when it was started detached (see spawn-host-worker.ts). */
  kill(signal: NodeJS.Signals = "SIGTERM"): boolean {
    if (this.direct) return (killGroup(this.direct, this.group, signal), true);
    if (this.started) this.post({ t: "kill", id: this.id, signal });
    else this.early.push({ t: "kill", id: this.id, signal });
    return true;
  }

  deliver(m: HostReply): void {
    switch (m.t) {
      case "spawned":
        this.pid = m.pid;
        return;
      case "out":
        (m.fd === 1 ? this.stdout : this.stderr).push(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
        return;
      case "error":
        this.emit("error", Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
        return;
      case "close":
        this.end(m.code, m.signal);
        return;
    }
  }

  hostDied(): void {
    // Killed with the host, unless the host was killed first: then its commands' groups are ended here.
    if (this.pid !== undefined) {
      try {
        process.kill(this.group ? -this.pid : this.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    this.emit("error", new Error("the process that starts git exited"));
    this.end(null, "SIGKILL");
  }

  /** Forked here: its events become this child's. */
  attach(p: ChildProcess): void {
    this.direct = p;
    this.pid = p.pid;
    p.stdout!.on("data", (d: Buffer) => this.stdout.push(d));
    p.stderr!.on("data", (d: Buffer) => this.stderr.push(d));
    p.stdin!.on("error", (e) => this.stdin.destroy(e));
    p.on("error", (e) => this.emit("error", e));
    p.on("close", (code, signal) => this.end(code, signal));
    for (const m of this.early.splice(0)) {
      if (m.t === "in") p.stdin!.write(m.data);
      else if (m.t === "end") p.stdin!.end();
      else if (m.t === "kill") killGroup(p, this.group, m.signal);
    }
    this.started = true;
  }

  /** Output first, then `close`, as a child process's streams end before its close. */
  private end(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.ended) return;
    this.ended = true;
    const flowing = [this.stdout, this.stderr].filter((s) => s.readableFlowing === true);
    const ended = flowing.map((s) => new Promise<void>((resolve) => s.once("end", resolve)));
    this.stdout.push(null);
    this.stderr.push(null);
    void Promise.all(ended).then(() => this.emit("close", code, signal));
  }
}
