/**
 * The server's HTTP listener, owned here rather than by Probot's Server so that its limits are set
 * when it is created (Probot's takes no options: Node's 300 s request timeout, no connection cap)
 * and a body is capped before Probot reads it (Probot buffers all of it before the signature check).
 * Probot comes in as createNodeMiddleware's handler; the app's own routes are inside it.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "pino";
import { BodyTooLarge, declaredTooLarge, KEEP_ALIVE_TIMEOUT_MS, MAX_GITHUB_BODY_BYTES, readCapped, refuseTooLarge, type HttpLimits } from "./http-limits.js";

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean | void> | boolean | void;

export interface HttpServerOptions {
  host: string;
  port: number;
  limits: HttpLimits;
  log: Logger;
  /** Probot's webhook path (WEBHOOK_PATH, default /api/github/webhooks): its bodies are capped here. */
  webhookPath: string;
  handler: Handler;
}

export interface HttpServer {
  server: Server;
  /** The address actually bound (PORT=0 picks one). */
  url: string;
  /** No new connections; resolves when the open ones have ended (idle ones are closed at once). */
  stop(): Promise<void>;
}

/** A logged URL or request id is cut here: the line stays readable whatever a client sends. */
const MAX_LOGGED = 1024;
/** Connections refused at the cap are reported at most this often. */
const DROP_REPORT_MS = 10_000;

export async function startHttpServer(o: HttpServerOptions): Promise<HttpServer> {
  const { limits } = o;
  const log = o.log.child({ name: "http" });
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: Math.min(KEEP_ALIVE_TIMEOUT_MS, limits.idleTimeoutMs),
      // How often Node checks the two timeouts above (default 30 s, which would let them overrun by as much).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4))),
    },
    (req, res) => void dispatch(req, res),
  );
  server.maxConnections = limits.maxConnections;
  // A socket idle this long is destroyed (no 'timeout' listener: Node's default).
  server.timeout = limits.idleTimeoutMs;

  let dropped = 0;
  let dropReported = 0;
  server.on("drop", () => {
    dropped++;
    if (Date.now() - dropReported < DROP_REPORT_MS) return;
    dropReported = Date.now();
    log.warn({ max_connections: limits.maxConnections, refused: dropped }, "mlreview: connection limit reached: new connections are refused");
    dropped = 0;
  });

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    logRequest(log, req, res);
    try {
      if (req.method === "POST" && pathOf(req) === o.webhookPath && !(await bufferGitHubBody(req, res))) return;
      if (await o.handler(req, res)) return;
      if (!res.headersSent) res.writeHead(404).end();
    } catch (e) {
      log.error({ err: e }, "mlreview: request failed");
      if (!res.headersSent) res.writeHead(500).end();
      else res.end();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: o.host, port: o.port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
  return {
    server,
    url,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

/**
 * A delivery's body, read here under GitHub's cap and handed to Probot (@octokit/webhooks takes a
 * string `req.body` as the payload). A request Probot refuses on its headers alone (no signature,
 * not JSON) is not read at all. False: answered here (413).
 */
async function bufferGitHubBody(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const max = MAX_GITHUB_BODY_BYTES;
  if (declaredTooLarge(req, max)) return (refuseTooLarge(req, res, max), false);
  const h = req.headers;
  if (!h["x-hub-signature-256"] || !h["x-github-event"] || !h["x-github-delivery"] || !/^\s*application\/json\s*(;|$)/i.test(h["content-type"] ?? "")) {
    // Probot answers 4xx without reading: close after, so that Node does not read the body to reuse the connection.
    res.setHeader("connection", "close");
    return true;
  }
  try {
    req.body = (await readCapped(req, max)).toString("utf8");
    return true;
  } catch (e) {
    if (e instanceof BodyTooLarge) refuseTooLarge(req, res, max);
    else req.destroy();
    return false;
  }
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? "").split("?")[0]!;
}

/** One line per request, as Probot's pino-http wrote it; headers (redacted by the logger) at debug and below. */
function logRequest(log: Logger, req: IncomingMessage, res: ServerResponse): void {
  const t0 = Date.now();
  const id = String(req.headers["x-request-id"] ?? req.headers["x-github-delivery"] ?? req.headers["x-gitlab-event-uuid"] ?? randomUUID()).slice(0, MAX_LOGGED);
  const url = (req.url ?? "").slice(0, MAX_LOGGED);
  const socket = req.socket as Socket;
  const detail = log.isLevelEnabled("debug");
  const fields = () => ({
    req: { id, method: req.method, url, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, ...(detail ? { headers: req.headers } : {}) },
    res: { statusCode: res.statusCode, ...(detail ? { headers: res.getHeaders() } : {}) },
    responseTime: Date.now() - t0,
  });
  let done = false;
  res.once("finish", () => {
    done = true;
    const msg = `${req.method} ${url} ${res.statusCode} - ${Date.now() - t0}ms`;
    if (res.statusCode >= 500) log.error(fields(), msg);
    else log.info(fields(), msg);
  });
  res.once("close", () => {
    if (!done) log.warn(fields(), `${req.method} ${url} aborted - ${Date.now() - t0}ms`);
  });
}
