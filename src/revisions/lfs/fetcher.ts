import { concurrencyLimit } from "../layer.js";
import type { FileError } from "../types.js";
import type { LocalLfsStore } from "./local-store.js";
import { verify } from "./local-store.js";
import { shortOid, type LfsPointer } from "./pointer.js";
import { LfsError, type LfsServer } from "./server.js";

/** Objects named in one batch request (git-lfs sends 100 at a time, `lfs.transfer.batchSize`): a glob over 10^4 pointers is many requests, not one huge body. */
export const MAX_BATCH_OBJECTS = 100;
/** Downloads at once across both sides of a report (git-lfs's `lfs.concurrenttransfers` default is 8). */
export const MAX_CONCURRENT_DOWNLOADS = 8;

export type Fetched = { ok: true; data: Buffer } | { ok: false; error: FileError };

export interface LfsFetcherOptions {
  /** `.git/lfs` of the checkout (CLI only): tried before the server. */
  local?: LocalLfsStore;
  /** The LFS server, or the reason there is none (no remote, a remote git-lfs cannot reach over http). */
  server: LfsServer | { none: string };
}

/** Where an LfsTree gets the contents of the pointers it read, by oid; never throws. */
export interface LfsObjects {
  get(objects: readonly LfsPointer[]): Promise<Map<string, Fetched>>;
}

/**
 * Verified LFS objects for every tree of a run: the local store, then one batch request per call for
 * the rest, then the downloads a bounded number at a time. Each object is asked for once per run.
 */
export class LfsFetcher implements LfsObjects {
  private readonly known = new Map<string, Promise<Fetched>>();
  private readonly limited = concurrencyLimit(MAX_CONCURRENT_DOWNLOADS);

  constructor(private readonly o: LfsFetcherOptions) {}

  /** By oid; never throws. `objects` must fit the per-file limit already (the tree checks the pointer's size). */
  async get(objects: readonly LfsPointer[]): Promise<Map<string, Fetched>> {
    const fresh = [...new Map(objects.filter((p) => !this.known.has(p.oid)).map((p) => [p.oid, p])).values()];
    if (fresh.length > 0) {
      const run = this.fetchMany(fresh).catch((e: unknown) => new Map(fresh.map((p) => [p.oid, failure(p, new LfsError(e instanceof Error ? e.message : String(e)))])));
      for (const p of fresh)
        this.known.set(
          p.oid,
          run.then((m) => m.get(p.oid)!),
        );
    }
    return new Map(await Promise.all(objects.map(async (p) => [p.oid, await this.known.get(p.oid)!] as const)));
  }

  private async fetchMany(objects: LfsPointer[]): Promise<Map<string, Fetched>> {
    const out = new Map<string, Fetched>();
    const rest: LfsPointer[] = [];
    for (const p of objects) {
      const data = p.size === 0 ? Buffer.alloc(0) : await this.o.local?.get(p);
      if (data && verify(p, data) === undefined) out.set(p.oid, { ok: true, data });
      else rest.push(p);
    }
    const server = this.o.server;
    if ("none" in server) {
      for (const p of rest) out.set(p.oid, failure(p, new LfsError(`${this.o.local ? "not in .git/lfs/objects, and " : ""}${server.none}`)));
      return out;
    }
    for (let i = 0; i < rest.length; i += MAX_BATCH_OBJECTS) {
      const chunk = rest.slice(i, i + MAX_BATCH_OBJECTS);
      let actions: Map<string, unknown>;
      try {
        actions = await server.batch(chunk);
      } catch (e) {
        const err = e instanceof LfsError ? e : new LfsError(String(e));
        for (const p of chunk) out.set(p.oid, failure(p, err));
        continue;
      }
      await Promise.all(
        chunk.map(async (p) => {
          const a = actions.get(p.oid);
          if (a === undefined) return void out.set(p.oid, failure(p, new LfsError("missing from the LFS server's answer")));
          if (a instanceof LfsError) return void out.set(p.oid, failure(p, a));
          out.set(p.oid, await this.limited(() => this.download(server, p, a as Parameters<LfsServer["download"]>[0])));
        }),
      );
    }
    return out;
  }

  private async download(server: LfsServer, p: LfsPointer, action: Parameters<LfsServer["download"]>[0]): Promise<Fetched> {
    let data: Buffer;
    try {
      data = await server.download(action, p.size);
    } catch (e) {
      if (e instanceof LfsError && e.code === "too-large") return failure(p, new LfsError(`the server sent more than the pointer's ${p.size} bytes: not used`, "corrupt"));
      return failure(p, e instanceof LfsError ? e : new LfsError(String(e)));
    }
    const wrong = verify(p, data);
    if (wrong) return failure(p, new LfsError(`${wrong}: not used`, "corrupt"));
    return { ok: true, data };
  }
}

function failure(p: LfsPointer, e: LfsError): Fetched {
  return { ok: false, error: { code: e.code, message: `Git-LFS object ${shortOid(p.oid)}: ${e.message}` } };
}
