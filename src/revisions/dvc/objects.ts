import { createHash } from "node:crypto";

/** An object as a lock names it: its md5 and which hash function made it. */
export interface ObjectRef {
  md5: string;
  legacy: boolean;
}

/**
 * Where the object lives under a cache or remote root (sources.md §1.1): DVC 3 `files/md5/xx/rest`,
 * DVC 2 (md5-dos2unix) `xx/rest`; a directory's `.dir` suffix is part of the name.
 */
export function objectKey(ref: ObjectRef): string {
  const { md5 } = ref;
  return `${ref.legacy ? "" : "files/md5/"}${md5.slice(0, 2)}/${md5.slice(2)}`;
}

/** DVC hashes in 1 MiB chunks, and DVC 2 decides text-or-binary per chunk (dvc_data/hashfile/hash.py). */
const CHUNK = 1024 * 1024;
const TEXT_PROBE = 512;
const TEXT_CHARS = new Uint8Array(256);
for (let c = 32; c < 127; c++) TEXT_CHARS[c] = 1;
for (const c of [10, 13, 9, 12, 8]) TEXT_CHARS[c] = 1;

/** DVC's istextblock: empty is text; a NUL makes it binary; else binary past 30% bytes outside printable ASCII. */
function isTextBlock(block: Buffer): boolean {
  if (block.length === 0) return true;
  if (block.includes(0)) return false;
  let nontext = 0;
  for (const b of block) if (!TEXT_CHARS[b]) nontext++;
  return nontext / block.length <= 0.3;
}

/** The md5 DVC recorded for these bytes: plain for DVC 3, per-chunk CRLF→LF for text chunks in DVC 2. */
export function dvcMd5(data: Buffer, legacy: boolean): string {
  const h = createHash("md5");
  if (!legacy) return h.update(data).digest("hex");
  for (let off = 0; off < data.length; off += CHUNK) {
    const chunk = data.subarray(off, off + CHUNK);
    h.update(isTextBlock(chunk.subarray(0, TEXT_PROBE)) ? dos2unix(chunk) : chunk);
  }
  return h.digest("hex");
}

function dos2unix(chunk: Buffer): Buffer {
  if (!chunk.includes(13)) return chunk;
  const out = Buffer.allocUnsafe(chunk.length);
  let n = 0;
  for (let i = 0; i < chunk.length; i++) {
    if (chunk[i] === 13 && chunk[i + 1] === 10) continue;
    out[n++] = chunk[i]!;
  }
  return out.subarray(0, n);
}

/**
 * Do the bytes match the name? A `.dir` object is md5 of its JSON bytes as written (both versions);
 * a file is checked with its own version's function.
 */
export function matches(ref: ObjectRef, data: Buffer): boolean {
  const isDir = ref.md5.endsWith(".dir");
  const want = isDir ? ref.md5.slice(0, -4) : ref.md5;
  return dvcMd5(data, ref.legacy && !isDir) === want;
}

/** A directory manifest entry: relpath (POSIX, relative to the out) → the file's md5. */
export type Manifest = Map<string, string>;

/** Entries per manifest: a dataset of 10^7 files is no report's business, and its manifest no report's memory. */
export const MAX_MANIFEST_ENTRIES = 1_000_000;

/** A `.dir` object (a JSON array of {md5, relpath}); undefined when it is not one (DVC: "is corrupted"). */
export function parseManifest(data: Buffer): Manifest | undefined {
  let list: unknown;
  try {
    list = JSON.parse(data.toString("utf8"));
  } catch {
    return undefined;
  }
  if (!Array.isArray(list) || list.length > MAX_MANIFEST_ENTRIES) return undefined;
  const out: Manifest = new Map();
  for (const e of list) {
    if (typeof e !== "object" || e === null) return undefined;
    const { md5, relpath } = e as { md5?: unknown; relpath?: unknown };
    if (typeof md5 !== "string" || !/^[0-9a-f]{32}$/.test(md5) || typeof relpath !== "string") return undefined;
    out.set(relpath, md5);
  }
  return out;
}
