import { createHmac } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

const TYPES = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif" } as const;
const NAME = /^([0-9a-f]{64})\.(png|jpg|gif)$/;

/**
 * Report images served by the bot itself: no third-party host. A file's name is an HMAC of its bytes
 * under a server key, so the same plot is stored once and a path cannot be guessed from data that is
 * public (a plot can be recomputed by anyone who can read the repository; its key cannot).
 */
export class ImageStore {
  constructor(
    private readonly dir: string,
    private readonly publicUrl: string,
    private readonly key: string,
  ) {}

  async put(data: Buffer, type: string): Promise<string> {
    const ext = TYPES[type as keyof typeof TYPES];
    if (!ext) throw new Error(`refusing to serve ${type}: only PNG, JPEG and GIF`);
    const name = `${createHmac("sha256", this.key).update(data).digest("hex")}.${ext}`;
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, name), data);
    return `${this.publicUrl.replace(/\/+$/, "")}/images/${name}`;
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
}
