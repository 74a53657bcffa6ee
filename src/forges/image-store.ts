import { createHmac, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PublishRefused, type Publish } from "../report/index.js";

const TYPES = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif" } as const;
const NAME = /^([0-9a-f]{64})\.(png|jpg|gif)$/;
/** Half-written files: a name the image route never serves (NAME), renamed into place when complete. */
const TEMP = /^\.tmp-[0-9a-f]{16}$/;

/**
 * What the store may hold. A 68 KB push once wrote 600 MB of images: a report's images are capped
 * (count and bytes), the store as a whole is capped (oldest deleted first) and images unused for
 * `maxAgeMs` are deleted, so that no repository can fill the bot's disk.
 */
export interface ImageStoreLimits {
  /** Images one report may publish (distinct files): MLREVIEW_REPORT_IMAGES. */
  reportFiles: number;
  /** Bytes of images one report may publish: MLREVIEW_REPORT_IMAGES_MB. */
  reportBytes: number;
  /** Bytes the store holds at most, over all reports: MLREVIEW_IMAGE_STORE_MB. */
  totalBytes: number;
  /** Files the store holds at most: each is a directory entry and an inode. */
  totalFiles: number;
  /** An image not written or re-published for this long is deleted: MLREVIEW_IMAGE_STORE_DAYS. */
  maxAgeMs: number;
}

export const IMAGE_STORE_LIMITS: ImageStoreLimits = {
  reportFiles: 40,
  reportBytes: 25 * 1024 * 1024,
  totalBytes: 1024 * 1024 * 1024,
  totalFiles: 50_000,
  maxAgeMs: 90 * 24 * 3600 * 1000,
};

/** How often expired images are looked for, besides at start and whenever a cap is passed. */
const SWEEP_EVERY_MS = 3600 * 1000;
/** Past a total cap, delete down to this share of it: one sort frees room for many writes. */
const LOW_WATER = 0.9;
/** A temp file older than this was left by a crashed write. */
const TEMP_MAX_AGE_MS = 3600 * 1000;

interface Entry {
  bytes: number;
  usedMs: number;
}

/**
 * One report's share of images, wherever they are published (this store, a repository's branch):
 * `admit` throws PublishRefused past the count or the bytes. The same image twice counts once. Call it
 * before any await, so that a report's images are counted in the order it asks for them.
 */
export class ReportImageBudget {
  private readonly names = new Set<string>();
  private bytes = 0;

  constructor(private readonly limits: Pick<ImageStoreLimits, "reportFiles" | "reportBytes"> = IMAGE_STORE_LIMITS) {}

  admit(name: string, bytes: number): void {
    if (this.names.has(name)) return;
    if (this.names.size >= this.limits.reportFiles) throw new PublishRefused(`not published: a report publishes at most ${this.limits.reportFiles} images`);
    if (this.bytes + bytes > this.limits.reportBytes) throw new PublishRefused(`not published: a report publishes at most ${mb(this.limits.reportBytes)} of images`);
    this.names.add(name);
    this.bytes += bytes;
  }
}

const mb = (n: number): string => (n >= 1024 * 1024 ? `${Math.round((n / 1024 / 1024) * 10) / 10} MB` : `${Math.ceil(n / 1024)} KB`);

/**
 * Report images served by the bot itself: no third-party host. A file's name is an HMAC of its bytes
 * under a server key, so the same plot is stored once and a path cannot be guessed from data that is
 * public (a plot can be recomputed by anyone who can read the repository; its key cannot). Files are
 * written to a temp name and renamed, so a request never reads a half-written image.
 */
export class ImageStore {
  private readonly limits: ImageStoreLimits;
  /** What is on disk, by name; loaded by the first sweep, re-read by every sweep. */
  private readonly index = new Map<string, Entry>();
  private bytes = 0;
  private loaded: Promise<void> | undefined;
  private sweeping: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Evictions one after another: two at once would each count the other's deletions as still to do. */
  private evicting: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly publicUrl: string,
    private readonly key: string,
    limits: Partial<ImageStoreLimits> = {},
  ) {
    this.limits = { ...IMAGE_STORE_LIMITS, ...limits };
  }

  /**
   * A publisher for one report: images past the report's caps are refused with PublishRefused (the
   * report says so in their place).
   */
  forReport(): Publish {
    const budget = new ReportImageBudget(this.limits);
    return async (_name, data, type) => {
      const name = this.nameOf(data, type);
      budget.admit(name, data.length);
      return this.write(name, data);
    };
  }

  /** The bytes and type for a request path's last segment, or undefined for anything not ours. */
  async get(name: string): Promise<{ data: Buffer; type: string } | undefined> {
    const m = NAME.exec(name);
    if (!m) return undefined;
    const data = await readFile(join(this.dir, name)).catch(() => undefined);
    if (!data) return undefined;
    const type = Object.entries(TYPES).find(([, e]) => e === m[2])![0];
    return { data, type };
  }

  /** What the store holds now (for /metrics). */
  async usage(): Promise<{ bytes: number; files: number }> {
    await this.load();
    return { bytes: this.bytes, files: this.index.size };
  }

  private nameOf(data: Buffer, type: string): string {
    const ext = TYPES[type as keyof typeof TYPES];
    if (!ext) throw new PublishRefused(`not published: only PNG, JPEG and GIF are served, not ${type}`);
    return `${createHmac("sha256", this.key).update(data).digest("hex")}.${ext}`;
  }

  private async write(name: string, data: Buffer): Promise<string> {
    const url = `${this.publicUrl.replace(/\/+$/, "")}/images/${name}`;
    if (data.length > this.limits.totalBytes) throw new PublishRefused(`not published: ${mb(data.length)} is more than the image store holds (${mb(this.limits.totalBytes)})`);
    await this.load();
    const path = join(this.dir, name);
    const now = Date.now();
    const known = this.index.get(name);
    if (known) {
      // Published again: a recent report links it, so it is the last to go.
      const touched = await utimes(path, new Date(now), new Date(now)).then(
        () => true,
        () => false,
      );
      if (touched) {
        known.usedMs = now;
        return url;
      }
      this.forget(name);
    }
    const temp = join(this.dir, `.tmp-${randomBytes(8).toString("hex")}`);
    await writeFile(temp, data, { flag: "wx", mode: 0o644 });
    try {
      await rename(temp, path);
    } catch (e) {
      await unlink(temp).catch(() => {});
      throw e;
    }
    this.forget(name);
    this.index.set(name, { bytes: data.length, usedMs: now });
    this.bytes += data.length;
    if (this.bytes > this.limits.totalBytes || this.index.size > this.limits.totalFiles) await this.evict(name);
    return url;
  }

  private forget(name: string): void {
    const e = this.index.get(name);
    if (!e) return;
    this.bytes -= e.bytes;
    this.index.delete(name);
  }

  private load(): Promise<void> {
    if (!this.loaded) {
      // A failed first read (the directory not writable yet) is tried again by the next image.
      this.loaded = this.sweep().catch((e: unknown) => {
        this.loaded = undefined;
        throw e;
      });
      // Unref'd: the sweep never keeps a stopping process alive.
      this.timer ??= setInterval(() => void this.sweep().catch(() => {}), SWEEP_EVERY_MS).unref();
    }
    return this.loaded;
  }

  /**
   * Re-read the directory (another replica may share it), delete what expired and crashed writes'
   * temp files, then keep to the total caps. One sweep at a time.
   */
  private sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      const now = Date.now();
      const seen = new Map<string, Entry>();
      for (const name of await readdir(this.dir)) {
        const st = await stat(join(this.dir, name)).catch(() => undefined);
        if (!st?.isFile()) continue;
        if (TEMP.test(name)) {
          if (now - st.mtimeMs > TEMP_MAX_AGE_MS) await unlink(join(this.dir, name)).catch(() => {});
        } else if (NAME.test(name)) {
          if (now - st.mtimeMs > this.limits.maxAgeMs) await unlink(join(this.dir, name)).catch(() => {});
          else seen.set(name, { bytes: st.size, usedMs: st.mtimeMs });
        }
      }
      // Written while the directory was being read: still there, just not in the listing.
      for (const [name, e] of this.index) if (e.usedMs >= now && !seen.has(name)) seen.set(name, e);
      this.index.clear();
      this.bytes = 0;
      for (const [name, e] of seen) {
        this.index.set(name, e);
        this.bytes += e.bytes;
      }
      if (this.bytes > this.limits.totalBytes || this.index.size > this.limits.totalFiles) await this.evict();
    })().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  /** Delete the least recently used images down to the low-water mark; `keep` (just written) stays. */
  private evict(keep?: string): Promise<void> {
    this.evicting = this.evicting.then(() => this.evictNow(keep));
    return this.evicting;
  }

  private async evictNow(keep?: string): Promise<void> {
    if (this.bytes <= this.limits.totalBytes && this.index.size <= this.limits.totalFiles) return;
    const byAge = [...this.index].filter(([name]) => name !== keep).sort((a, b) => a[1].usedMs - b[1].usedMs);
    const bytesTarget = this.limits.totalBytes * LOW_WATER;
    const filesTarget = Math.floor(this.limits.totalFiles * LOW_WATER);
    for (const [name] of byAge) {
      if (this.bytes <= bytesTarget && this.index.size <= filesTarget) break;
      await unlink(join(this.dir, name)).catch(() => {});
      this.forget(name);
    }
  }
}
