import { posix } from "node:path";
import yauzl from "yauzl";
import { unsafePathReason } from "./paths.js";

/** Limits for a CI artifact zip: everything in it comes from a job that ran a pull request's code. */
export interface ArtifactLimits {
  maxZipBytes: number;
  maxEntries: number;
  /** Total bytes after inflating, counted as they come out, not as the zip declares them. */
  maxTotalBytes: number;
  maxFileBytes: number;
}

export const ARTIFACT_LIMITS: Readonly<ArtifactLimits> = Object.freeze({
  maxZipBytes: 100 * 1024 * 1024,
  maxEntries: 10_000,
  maxTotalBytes: 200 * 1024 * 1024,
  maxFileBytes: 50 * 1024 * 1024,
});

/**
 * One artifact download, redirects and body included, must finish within this: a host that stalls
 * mid-body (or trickles) would otherwise hold the report, and its worker, forever.
 */
export const ARTIFACT_DOWNLOAD_DEADLINE_MS = 120_000;

export class ArtifactError extends Error {
  override readonly name = "ArtifactError";
}

/**
 * `work`, or `onAbort()` as soon as `signal` fires: the signal also goes to fetch, but a transport that
 * does not honour it (a proxy, an interceptor) must not hold the report past its deadline either.
 */
export function beforeAbort<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(onAbort());
  let stop: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    stop = () => reject(onAbort());
    signal.addEventListener("abort", stop, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener("abort", stop));
}

/**
 * The files of an artifact zip, in memory (nothing is written to disk), or an ArtifactError naming the
 * first problem: too large, too many entries, a path that is absolute, climbs out or is a symlink, a
 * size that lies. Checked from the central directory before inflating, and again while inflating.
 */
export async function readArtifact(zip: Buffer, limits: ArtifactLimits = ARTIFACT_LIMITS): Promise<Map<string, Buffer>> {
  if (zip.length > limits.maxZipBytes) throw new ArtifactError(`artifact is ${zip.length} bytes, over the ${limits.maxZipBytes}-byte limit`);
  const archive = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true }, (err, z) => (err ? reject(new ArtifactError(`not a valid zip: ${err.message}`)) : resolve(z))),
  );
  if (archive.entryCount > limits.maxEntries) {
    archive.close();
    throw new ArtifactError(`artifact has ${archive.entryCount} entries, over the limit of ${limits.maxEntries}`);
  }
  const files = new Map<string, Buffer>();
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (message: string) => reject(new ArtifactError(message));
      archive.on("error", (e: Error) => fail(`not a valid zip: ${e.message}`));
      archive.on("end", resolve);
      archive.on("entry", (entry: yauzl.Entry) => {
        const name = entry.fileName;
        if (name.endsWith("/")) return archive.readEntry();
        const why = unsafePathReason(name) ?? (posix.normalize(name) !== name.replace(/^\.\//, "") ? "path is not normalised" : undefined);
        if (why) return fail(`artifact entry '${name}': ${why}`);
        const unixType = (entry.externalFileAttributes >>> 16) & 0o170000;
        if (unixType === 0o120000) return fail(`artifact entry '${name}': symlinks are not accepted`);
        if (entry.uncompressedSize > limits.maxFileBytes) return fail(`artifact entry '${name}' is ${entry.uncompressedSize} bytes, over the per-file limit`);
        if (total + entry.uncompressedSize > limits.maxTotalBytes) return fail(`artifact inflates to more than ${limits.maxTotalBytes} bytes`);
        archive.openReadStream(entry, (err, stream) => {
          if (err) return fail(`artifact entry '${name}': ${err.message}`);
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => {
            total += c.length;
            if (total > limits.maxTotalBytes) stream.destroy(new Error(`artifact inflates to more than ${limits.maxTotalBytes} bytes`));
            else chunks.push(c);
          });
          stream.on("error", (e: Error) => fail(`artifact entry '${name}': ${e.message}`));
          stream.on("end", () => {
            files.set(posix.normalize(name), Buffer.concat(chunks));
            archive.readEntry();
          });
        });
      });
      archive.readEntry();
    });
  } finally {
    archive.close();
  }
  return files;
}

/**
 * An artifact downloaded as a stream (GitHub's redirect to blob storage, GitLab's job artifacts),
 * capped as the bytes arrive: the size a forge lists is only what it says.
 */
export async function readArtifactStream(body: AsyncIterable<Uint8Array>, limits: ArtifactLimits = ARTIFACT_LIMITS): Promise<Map<string, Buffer>> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limits.maxZipBytes) throw new ArtifactError(`artifact download exceeds ${limits.maxZipBytes} bytes`);
    chunks.push(chunk);
  }
  return readArtifact(Buffer.concat(chunks), limits);
}
