/** What the readers that fetch over HTTP (DVC remotes, Git-LFS) share. */

/** The connection dropped while a body was being read. */
export class BodyDropped extends Error {
  constructor() {
    super("the connection dropped while reading");
  }
}

/**
 * A response body, or undefined when it is over maxBytes, declared or counted as it arrives (a server
 * may lie or send no length): the rest is never read. Throws BodyDropped.
 */
export async function readBodyCapped(res: Response, maxBytes: number): Promise<Buffer | undefined> {
  const declared = Number(res.headers.get("content-length"));
  if (res.headers.has("content-length") && Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    return undefined;
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let n = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read().catch(() => {
      throw new BodyDropped();
    });
    if (done) break;
    n += value.length;
    if (n > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

/** Why fetch() failed, as a short code ("ECONNREFUSED"), never a URL or a header. */
export function causeCode(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  return typeof cause?.message === "string" && cause.message ? cause.message.replace(/\s+/g, " ").trim().slice(0, 60) : "network error";
}

/** An HTTP basic Authorization value. */
export function basicAuth(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString("base64")}`;
}
