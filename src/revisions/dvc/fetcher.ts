import { concurrencyLimit } from "../layer.js";
import { formatBytes } from "../../formats/limits.js";
import type { FileError } from "../types.js";
import type { ObjectCache } from "./cache.js";
import { matches, type ObjectRef, objectKey } from "./objects.js";
import { ObjectTooLarge, StoreError, StoreUnreachable, type ObjectStore } from "./stores/types.js";

/** How the checkout's own cache is named in lines (the CLI tries it before any remote). */
export const LOCAL_CACHE = "the local DVC cache";

/** Objects fetched at once across both sides of a report: a pipeline of 200 plots must not open 200 connections. */
export const MAX_CONCURRENT_FETCHES = 8;

export type Fetched = { ok: true; data: Buffer } | { ok: false; error: FileError };

/** A store to try, or why the one that should have been tried cannot be (a remote not allowed). */
export type Source = { store: ObjectStore } | { refused: string };

/** What was fetched over the network (not from a cache), for the bench and the logs. */
export interface FetchStats {
  objects: number;
  bytes: number;
  fromCache: number;
}

/**
 * Gets verified objects for every tree of one run: the disk cache first, then each source in order;
 * one request per object (concurrent asks for the same object share it), a bounded number at a time.
 */
export class ObjectFetcher {
  readonly stats: FetchStats = { objects: 0, bytes: 0, fromCache: 0 };
  private readonly inflight = new Map<string, Promise<Fetched>>();
  /** Stores found unreachable in this run: the other objects of a report do not each wait for the same timeout. */
  private readonly unreachable = new Map<ObjectStore, string>();
  private readonly limited = concurrencyLimit(MAX_CONCURRENT_FETCHES);

  constructor(
    private readonly cache: ObjectCache | undefined,
    private readonly signal?: AbortSignal,
  ) {}

  get(ref: ObjectRef, sources: readonly Source[], maxBytes: number, what: string): Promise<Fetched> {
    // The same object asked through other sources (base and head may name other remotes) is its own ask.
    const key = `${ref.legacy ? "2" : "3"}:${ref.md5}:${sources.map((s) => ("store" in s ? s.store.describe : s.refused)).join("|")}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetch(ref, sources, maxBytes, what);
      this.inflight.set(key, p);
    }
    return p;
  }

  private async fetch(ref: ObjectRef, sources: readonly Source[], maxBytes: number, what: string): Promise<Fetched> {
    const cached = await this.cache?.get(ref, maxBytes);
    if (cached) {
      this.stats.fromCache++;
      return { ok: true, data: cached };
    }
    // In the order tried, so that the line reads as what happened: "not in the local DVC cache; the copy in … does not match".
    const failures: string[] = [];
    const absentFrom: string[] = [];
    const said: string[] = [];
    for (const source of sources) {
      if ("refused" in source) {
        failures.push(source.refused);
        said.push(source.refused);
        continue;
      }
      const { store } = source;
      let data: Buffer | undefined;
      try {
        const down = this.unreachable.get(store);
        if (down !== undefined) throw new StoreUnreachable(down);
        data = await this.limited(() => store.get(objectKey(ref), maxBytes, this.signal));
      } catch (e) {
        if (e instanceof StoreUnreachable) this.unreachable.set(store, e.message);
        if (e instanceof ObjectTooLarge) return { ok: false, error: { code: "too-large", message: `${what} is over the ${formatBytes(maxBytes)} limit` } };
        const line = `${store.describe}: ${e instanceof StoreError ? e.message : "cannot be read"}`;
        failures.push(line);
        said.push(line);
        continue;
      }
      if (data === undefined) {
        absentFrom.push(store.describe);
        said.push(`not in ${store.describe}`);
        continue;
      }
      this.stats.objects++;
      this.stats.bytes += data.length;
      if (!matches(ref, data)) {
        const line = `the copy in ${store.describe} does not match its md5 ${ref.md5.slice(0, 12)}…: not used`;
        failures.push(line);
        said.push(line);
        continue;
      }
      await this.cache?.put(ref, data);
      return { ok: true, data };
    }
    const parts = failures.length === 0 && absentFrom.length > 0 ? [`not in ${absentFrom.join(" nor in ")}`] : said;
    if (sources.every((s) => "store" in s && s.store.describe === LOCAL_CACHE)) parts.push("no DVC remote is configured (core.remote in .dvc/config)");
    return { ok: false, error: { code: failures.some((f) => f.includes("does not match")) ? "corrupt" : "unavailable", message: `${what}: ${parts.join("; ")}` } };
  }
}
