import { spawnGit } from "./git.js";
import type { Child } from "./spawn-host.js";

export type CatFileAnswer = { kind: "object"; oid: string; type: string; size: number; data: Buffer | undefined } | { kind: "missing" | "ambiguous" | "symlink" | "dangling" | "loop" | "notdir" };

interface Pending {
  resolve(a: CatFileAnswer): void;
  reject(e: Error): void;
  /** Objects larger than this are drained from the stream but not kept (data undefined). */
  maxBytes: number;
}

/**
 * One `git cat-file --batch --follow-symlinks` process answering many requests, pipelined: reading
 * 400 files costs one process and one round trip, not 400 spawns. `--follow-symlinks` resolves
 * in-tree links and reports links that leave the tree as "symlink", which we refuse.
 */
export class CatFile {
  private readonly proc: Child;
  private readonly queue: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private current: { pending: Pending; header: CatFileAnswer & { kind: "object" }; left: number; chunks: Buffer[] } | undefined;
  private failure: Error | undefined;

  /**
   * `env` adds to git.ts's allow-listed environment (never this process's own), e.g. the credentials a
   * partial clone needs to fetch a missing blob. `signal` kills the process: pending reads then fail.
   */
  constructor(repoDir: string, env: Record<string, string> = {}, signal?: AbortSignal) {
    this.proc = spawnGit(["cat-file", "--batch", "--follow-symlinks"], { cwd: repoDir, env, ...(signal ? { signal } : {}) });
    let stderr = "";
    this.proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    this.proc.stdout.on("data", (d: Buffer) => this.onData(d));
    const fail = (e: Error) => {
      this.failure ??= e;
      for (const p of this.queue.splice(0)) p.reject(this.failure);
      if (this.current) this.current.pending.reject(this.failure);
      this.current = undefined;
    };
    this.proc.on("error", (e) => fail(new Error(`git cat-file could not start: ${e.message}`)));
    this.proc.on("close", (code) => fail(new Error(`git cat-file exited (${code}): ${stderr.trim().split("\n")[0] ?? ""}`)));
    this.proc.stdin.on("error", () => {});
  }

  /** Ask for many objects at once; answers come back in order. */
  requestMany(specs: readonly string[], maxBytes = Infinity): Promise<CatFileAnswer[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (specs.some((s) => /[\n\r\0]/.test(s))) return Promise.reject(new Error("object name contains a control character"));
    const answers = specs.map((_) => new Promise<CatFileAnswer>((resolve, reject) => this.queue.push({ resolve, reject, maxBytes })));
    if (specs.length > 0) this.proc.stdin.write(specs.join("\n") + "\n");
    return Promise.all(answers);
  }

  request(spec: string, maxBytes = Infinity): Promise<CatFileAnswer> {
    return this.requestMany([spec], maxBytes).then((a) => a[0]!);
  }

  close(): void {
    this.proc.stdin.end();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.current) {
        const c = this.current;
        const take = Math.min(c.left, this.buf.length);
        if (take === 0) return;
        // The trailing LF after the contents is part of `left`; keep only real bytes, and none when over the limit.
        const contentLeft = c.left - 1;
        const keep = Math.min(take, Math.max(contentLeft, 0));
        if (c.header.size <= c.pending.maxBytes && keep > 0) c.chunks.push(this.buf.subarray(0, keep));
        c.left -= take;
        this.buf = this.buf.subarray(take);
        if (c.left > 0) return;
        this.current = undefined;
        const data = c.header.size <= c.pending.maxBytes ? Buffer.concat(c.chunks) : undefined;
        c.pending.resolve({ ...c.header, data });
        continue;
      }
      const nl = this.buf.indexOf(10);
      if (nl < 0) return;
      const line = this.buf.subarray(0, nl).toString("utf8");
      this.buf = this.buf.subarray(nl + 1);
      const pending = this.queue.shift();
      if (!pending) return;
      const parts = line.split(" ");
      const last = parts[parts.length - 1];
      if (last === "missing" || last === "ambiguous") {
        pending.resolve({ kind: last });
        continue;
      }
      if (["symlink", "dangling", "loop", "notdir"].includes(parts[0]!)) {
        // "<kind> <size>\n<name>\n": skip the name that follows.
        const size = Number(parts[1]);
        this.current = {
          pending: { ...pending, resolve: () => pending.resolve({ kind: parts[0] as "symlink" }), maxBytes: -1 },
          header: { kind: "object", oid: "", type: parts[0]!, size, data: undefined },
          left: size + 1,
          chunks: [],
        };
        continue;
      }
      const [oid, type, sizeText] = parts as [string, string, string];
      const size = Number(sizeText);
      this.current = { pending, header: { kind: "object", oid, type, size, data: undefined }, left: size + 1, chunks: [] };
    }
  }
}
