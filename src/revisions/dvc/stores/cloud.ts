import type { Readable } from "node:stream";
import { ObjectTooLarge, StoreError, StoreUnreachable } from "./types.js";

/**
 * One object's whole request, body included. A stalled or trickling remote (a repository can name any
 * endpoint in the CLI) would otherwise hang the report; DVC's own clients wait about a minute, a report
 * reads several objects, so less.
 */
export const CLOUD_TIMEOUT_MS = 30_000;

/** `<scheme>://<bucket>/<prefix>` split; undefined when the URL has no bucket. */
export function splitBucketUrl(url: string, scheme: string): { bucket: string; prefix: string } | undefined {
  const m = new RegExp(`^${scheme}://([^/?#]+)/*([^?#]*)$`, "i").exec(url.trim());
  if (!m) return undefined;
  return { bucket: m[1]!, prefix: m[2]!.replace(/\/+$/, "") };
}

export function joinKey(prefix: string, key: string): string {
  return prefix ? `${prefix}/${key}` : key;
}

/** The caller's signal and the store's own deadline, and whether the deadline is what fired. */
export function deadline(signal: AbortSignal | undefined, ms = CLOUD_TIMEOUT_MS): { signal: AbortSignal; timedOut: () => boolean } {
  const timeout = AbortSignal.timeout(ms);
  return { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, timedOut: () => timeout.aborted };
}

/**
 * A response body read to the end, refused past maxBytes as soon as the count passes it (the declared
 * length is checked by the caller first, but a server may lie or send none). Destroyed on abort.
 */
export async function readCapped(body: Readable, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  const onAbort = () => body.destroy(new StoreError("aborted"));
  if (signal.aborted) onAbort();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of body) {
      const b = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
      n += b.length;
      if (n > maxBytes) {
        body.destroy();
        throw new ObjectTooLarge(maxBytes);
      }
      chunks.push(b);
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  return Buffer.concat(chunks);
}

/**
 * The one line for a failure that is not the remote's answer: cancelled, timed out, no connection. A
 * timeout or no connection is StoreUnreachable, so the fetcher does not wait again for each object.
 */
export function transportError(e: unknown, timedOut: boolean, signal: AbortSignal | undefined): StoreError | undefined {
  if (e instanceof StoreError && !(e.message === "aborted")) return e;
  if (timedOut) return new StoreUnreachable(`no answer within ${CLOUD_TIMEOUT_MS / 1000} s`);
  if (signal?.aborted) return new StoreError("cancelled");
  const code = errCode(e);
  if (code && NETWORK_CODES.test(code)) return new StoreUnreachable(`cannot connect (${code})`);
  // A credentials file that a remote's options or the operator's rule names and that is not there.
  if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") return new StoreError(`a credentials file cannot be read (${code})`);
  return undefined;
}

const NETWORK_CODES =
  /^(ECONNREFUSED|ECONNRESET|ECONNABORTED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|EPIPE|EPROTO|CERT_[A-Z_]+|UNABLE_TO_[A-Z_]+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_[A-Z_]+|UND_ERR_[A-Z_]+)$/;

function errCode(e: unknown): string | undefined {
  const o = e as { code?: unknown; cause?: { code?: unknown }; errno?: unknown };
  if (typeof o?.code === "string") return o.code;
  if (typeof o?.cause?.code === "string") return o.cause.code;
  return undefined;
}

/** An SDK's error name or code, only if it is a plain identifier (never a message: those can quote a request). */
export function safeName(v: unknown): string | undefined {
  return typeof v === "string" && /^[A-Za-z][A-Za-z0-9_.-]{0,60}$/.test(v) ? v : undefined;
}
