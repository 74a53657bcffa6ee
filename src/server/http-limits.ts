/**
 * The HTTP edge's limits: how long a client may take, how many may be connected, how large a
 * body may be. One body reader (readCapped) serves every endpoint that takes a body.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** GitHub caps webhook payloads at 25 MB: a larger body is not GitHub's and is refused as it arrives, unread. */
export const MAX_GITHUB_BODY_BYTES = 25 * 1024 * 1024;
/** A GitLab merge request hook with its commits is a few hundred KB at most. */
export const MAX_GITLAB_BODY_BYTES = 5 * 1024 * 1024;

export interface HttpLimits {
  /** Until a request's headers are complete (Node's default is 60 s): stops a slowloris header trickle. */
  headersTimeoutMs: number;
  /** Until a whole request, body included, is received (Node's default is 300 s): stops a body trickled a byte at a time. */
  requestTimeoutMs: number;
  /** A connection that sends nothing for this long is closed: stops a body (or a keep-alive) that stalls. */
  idleTimeoutMs: number;
  /** Connections open at once beyond this are closed on accept: slow clients cannot take every socket and all the memory. */
  maxConnections: number;
}

/**
 * GitHub gives up on a delivery after 10 s, GitLab after 10 s too: anything slower is not theirs.
 * The request timeout leaves a 25 MB body 30 s (≈ 0.9 MB/s).
 */
export const DEFAULT_HTTP_LIMITS: HttpLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, idleTimeoutMs: 15_000, maxConnections: 512 };
/** Between requests on a kept-alive connection (Node's default). */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** The variables that override DEFAULT_HTTP_LIMITS, for operators behind slow links or large proxies. */
export const HTTP_LIMIT_ENV = {
  headersTimeoutMs: "MLREVIEW_HTTP_HEADERS_TIMEOUT_MS",
  requestTimeoutMs: "MLREVIEW_HTTP_REQUEST_TIMEOUT_MS",
  idleTimeoutMs: "MLREVIEW_HTTP_IDLE_TIMEOUT_MS",
  maxConnections: "MLREVIEW_HTTP_MAX_CONNECTIONS",
} as const satisfies Record<keyof HttpLimits, string>;
/** What each may be set to (MLREVIEW_HTTP_*, validated with the rest of the settings in src/app/settings.ts). */
export const HTTP_LIMIT_RANGES: Record<keyof HttpLimits, readonly [number, number]> = {
  headersTimeoutMs: [100, 600_000],
  requestTimeoutMs: [100, 3_600_000],
  idleTimeoutMs: [100, 3_600_000],
  maxConnections: [1, 1_000_000],
};

export class BodyTooLarge extends Error {
  constructor(readonly max: number) {
    super(`request body over ${max} bytes`);
  }
}

/** A Content-Length over `max`: the body can be refused before a byte of it is read. */
export function declaredTooLarge(req: IncomingMessage, max: number): boolean {
  const declared = req.headers["content-length"];
  return declared !== undefined && (!/^\d+$/.test(declared) || Number(declared) > max);
}

/**
 * The request's body, at most `max` bytes, however it is sent (Content-Length or chunked): over
 * it, rejects with BodyTooLarge as soon as the bytes received pass the cap, keeping nothing;
 * answer with refuseTooLarge.
 */
export function readCapped(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (declaredTooLarge(req, max)) return reject(new BodyTooLarge(max));
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= max) return void chunks.push(c);
      chunks.length = 0;
      cleanup();
      reject(new BodyTooLarge(max));
    };
    const onEnd = () => (cleanup(), resolve(Buffer.concat(chunks, size)));
    const onError = (e: Error) => (cleanup(), reject(e));
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

/**
 * After a refusal, how long what the client still sends is read and dropped before the connection
 * is closed: closing a socket with unread bytes resets it, and the client would lose the 413.
 */
export const LINGER_MS = 2_000;

/**
 * 413, then the connection is closed; the rest of the body is never kept (read and dropped for at
 * most LINGER_MS, so that the client gets the answer).
 */
export function refuseTooLarge(req: IncomingMessage, res: ServerResponse, max: number): void {
  const socket = req.socket;
  // Node ends a `Connection: close` socket as soon as the answer is out (destroySoon), unread
  // bytes and all: here our side is shut at once and the socket destroyed once the client closes
  // or LINGER_MS have passed.
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once("close", () => clearTimeout(timer));
  };
  req.resume();
  if (!res.headersSent) res.writeHead(413, { "content-type": "application/json", connection: "close" });
  res.end(JSON.stringify({ message: `payload too large: the limit is ${max} bytes` }));
}
