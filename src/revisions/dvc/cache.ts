import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { matches, type ObjectRef } from "./objects.js";

/**
 * Verified DVC objects on disk, by hash: objects are immutable, so an entry never goes stale, and the
 * second report of a PR (or of any PR of the same project) fetches nothing. Written by temp file +
 * rename, so a reader never sees half an object; re-verified on read, so a damaged disk is a miss.
 */
export class ObjectCache {
  constructor(readonly dir: string) {}

  private path(ref: ObjectRef): string {
    return join(this.dir, ref.legacy && !ref.md5.endsWith(".dir") ? "md5-dos2unix" : "md5", ref.md5.slice(0, 2), ref.md5.slice(2));
  }

  async get(ref: ObjectRef, maxBytes: number): Promise<Buffer | undefined> {
    const p = this.path(ref);
    try {
      if ((await stat(p)).size > maxBytes) return undefined;
      const data = await readFile(p);
      return matches(ref, data) ? data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Best effort: a full disk or a read-only directory costs a refetch next time, never the report. */
  async put(ref: ObjectRef, data: Buffer): Promise<void> {
    const p = this.path(ref);
    const tmp = `${p}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await mkdir(join(p, ".."), { recursive: true });
      await writeFile(tmp, data);
      await rename(tmp, p);
    } catch {
      await unlink(tmp).catch(() => {});
    }
  }
}

/**
 * Where the CLI keeps fetched objects: MLREVIEW_DATA_DIR/dvc-objects when set (the bot's data directory),
 * else the user's cache directory ($XDG_CACHE_HOME or ~/.cache)/mlreview/dvc-objects.
 */
export function defaultObjectCacheDir(env: Readonly<Record<string, string | undefined>>): string {
  if (env.MLREVIEW_DATA_DIR) return join(env.MLREVIEW_DATA_DIR, "dvc-objects");
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mlreview", "dvc-objects");
}
