import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { metrics } from "../metrics.js";

export const GITLAB_WEBHOOK_PATH = "/gitlab/webhook";
/** A merge request hook with its commits is a few hundred KB at most; anything larger is refused unread. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

export type GitLabEvent = (event: string, payload: Record<string, unknown>, delivery: string | undefined) => void;

/**
 * POST /gitlab/webhook: `X-Gitlab-Token` must equal the secret (compared in constant time: hashes of
 * both, so neither length nor content leaks), else 401. The delivery is answered at once and handled
 * behind, because GitLab disables hooks that answer slowly.
 */
export function gitlabWebhook(secret: string, onEvent: GitLabEvent) {
  const expected = digest(secret);
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if ((req.url ?? "").split("?")[0] !== GITLAB_WEBHOOK_PATH) return false;
    const reply = (status: number, message: string) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ message }));
    if (req.method !== "POST") return reply(405, "POST only"), true;
    const token = req.headers["x-gitlab-token"];
    if (typeof token !== "string" || !timingSafeEqual(digest(token), expected)) return reply(401, "bad or missing X-Gitlab-Token"), true;
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) return reply(413, "payload too large"), true;
    let body: Buffer;
    try {
      body = await readCapped(req, MAX_BODY_BYTES);
    } catch {
      res.setHeader("connection", "close");
      return reply(413, "payload too large"), true;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      return reply(400, "body is not JSON"), true;
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return reply(400, "body is not a JSON object"), true;
    reply(200, "ok");
    const event = String(req.headers["x-gitlab-event"] ?? "");
    metrics.webhook(event, "gitlab");
    // GitLab names each delivery (retries keep the name): the queue's dedupe key.
    const delivery = req.headers["idempotency-key"] ?? req.headers["x-gitlab-event-uuid"];
    onEvent(event, payload as Record<string, unknown>, typeof delivery === "string" ? delivery : undefined);
    return true;
  };
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

function readCapped(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > max) {
        // Stop keeping the body but let it drain, so that the 413 can still be sent; the caller
        // closes the connection after answering.
        req.off("data", onData);
        req.resume();
        chunks.length = 0;
        reject(new Error("too large"));
      } else chunks.push(c);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
