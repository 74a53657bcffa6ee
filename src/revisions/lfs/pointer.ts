/**
 * Git-LFS pointer files (git-lfs docs/spec.md, lfs/pointer.go): what git stores in place of a file
 * tracked by LFS. Only the real content is ever compared.
 */

/** git-lfs's BlobSizeCutoff: a blob this big or bigger is never a pointer, whatever it starts with. */
export const POINTER_MAX_BYTES = 1024;

/** The versions git-lfs's decoder accepts (decodeKVData); the first is what every client writes today. */
const VERSIONS = ["https://git-lfs.github.com/spec/v1", "https://hawser.github.com/spec/v1", "http://git-media.io/v/2"];

export interface LfsPointer {
  /** sha256 of the content, 64 lowercase hex digits. */
  oid: string;
  size: number;
}

const OID = /^sha256:([0-9a-f]{64})$/;
const SIZE = /^(0|[1-9][0-9]{0,15})$/;
const KEY = /^[a-z0-9.-]+$/;

/** The pointer `data` holds, or undefined when it is an ordinary file (the common case costs one prefix check). */
export function parsePointer(data: Buffer): LfsPointer | undefined {
  if (data.length >= POINTER_MAX_BYTES || !data.subarray(0, 8).equals(Buffer.from("version "))) return undefined;
  const text = data.toString("utf8");
  if (!text.endsWith("\n")) return undefined;
  const lines = text.slice(0, -1).split("\n");
  const kv = new Map<string, string>();
  for (const line of lines) {
    const sp = line.indexOf(" ");
    if (sp <= 0) return undefined;
    const key = line.slice(0, sp);
    if (!KEY.test(key) || kv.has(key)) return undefined;
    kv.set(key, line.slice(sp + 1));
  }
  if (lines[0]!.split(" ", 1)[0] !== "version" || !VERSIONS.includes(kv.get("version")!)) return undefined;
  const oid = OID.exec(kv.get("oid") ?? "");
  const size = SIZE.exec(kv.get("size") ?? "");
  if (!oid || !size) return undefined;
  return { oid: oid[1]!, size: Number(size[1]) };
}

/** How an object is named in a line: its oid's first 12 digits, as in the report's other hashes. */
export function shortOid(oid: string): string {
  return `${oid.slice(0, 12)}…`;
}
