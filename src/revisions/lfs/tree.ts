import { formatBytes } from "../../formats/limits.js";
import { TreeLayer } from "../layer.js";
import type { FileTree, ReadResult } from "../types.js";
import type { LfsObjects } from "./fetcher.js";
import { parsePointer, shortOid, type LfsPointer } from "./pointer.js";

/**
 * A revision's files with Git-LFS pointers replaced by what they point at (DESIGN §9): metrics, plot
 * data and images committed through `git lfs track` are compared as their real content. A pointer
 * that cannot be resolved is an error line for that file, never the pointer's own text.
 */
export class LfsTree extends TreeLayer {
  constructor(
    under: FileTree,
    private readonly fetcher: LfsObjects,
    private readonly maxFileBytes: number,
  ) {
    super(under);
  }

  async read(paths: readonly string[]): Promise<Map<string, ReadResult>> {
    const out = await this.under.read(paths);
    const pointed: [string, LfsPointer][] = [];
    for (const [p, r] of out) {
      const ptr = r.ok ? parsePointer(r.data) : undefined;
      if (!ptr) continue;
      // The pointer's size decides before anything is downloaded: a 5 GB model behind a metrics glob costs nothing.
      if (ptr.size > this.maxFileBytes) {
        out.set(p, { ok: false, error: { code: "too-large", message: `Git-LFS object ${shortOid(ptr.oid)} is ${formatBytes(ptr.size)}, over the ${formatBytes(this.maxFileBytes)} limit` } });
      } else if (!this.budget.take("bytesRead", ptr.size)) {
        out.set(p, { ok: false, error: { code: "over-budget", message: this.budget.refusal("bytesRead") } });
      } else pointed.push([p, ptr]);
    }
    if (pointed.length === 0) return out;
    const got = await this.fetcher.get(pointed.map(([, ptr]) => ptr));
    for (const [p, ptr] of pointed) out.set(p, got.get(ptr.oid)!);
    return out;
  }
}
