import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { LfsPointer } from "./pointer.js";

/**
 * Objects git-lfs already downloaded: `<lfs dir>/objects/<oid[0:2]>/<oid[2:4]>/<oid>` (the checkout's
 * `.git/lfs`, or a local origin's). A copy that does not match its pointer is not used.
 */
export class LocalLfsStore {
  constructor(private readonly lfsDirs: readonly string[]) {}

  async get(p: LfsPointer): Promise<Buffer | undefined> {
    for (const dir of this.lfsDirs) {
      const file = join(dir, "objects", p.oid.slice(0, 2), p.oid.slice(2, 4), p.oid);
      // The size first: a stray big file under that name is never read into memory.
      const st = await stat(file).catch(() => undefined);
      if (!st?.isFile() || st.size !== p.size) continue;
      const data = await readFile(file).catch(() => undefined);
      if (data && verify(p, data) === undefined) return data;
    }
    return undefined;
  }
}

/** Why `data` is not the object `p` names, or undefined when it is (size and sha256). */
export function verify(p: LfsPointer, data: Buffer): string | undefined {
  if (data.length !== p.size) return `the server sent ${data.length} bytes, the pointer says ${p.size}`;
  const sha = createHash("sha256").update(data).digest("hex");
  if (sha !== p.oid) return `the content does not match its sha256 (got ${sha.slice(0, 12)}…)`;
  return undefined;
}
