import { FormatError } from "./errors.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Bytes of a repository file as text, or a one-line reason why they are not text. */
export function decodeText(data: Buffer): string {
  const probe = data.subarray(0, 8000);
  if (probe.includes(0)) throw new FormatError("binary data, not a text file");
  try {
    return utf8.decode(data);
  } catch {
    throw new FormatError(`not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8(data)})`);
  }
}

function firstInvalidUtf8(data: Buffer): number {
  let lo = 0;
  let hi = data.length;
  // Binary search on the longest valid prefix; a cut inside a multi-byte character is also invalid,
  // so back off to a character boundary before answering.
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(data.subarray(0, mid));
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}
