import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { BodyTooLarge, MAX_GITLAB_BODY_BYTES, readCapped, refuseTooLarge } from "../../server/http-limits.js";
import { metrics } from "../../server/metrics.js";

export const GITLAB_WEBHOOK_PATH = "/gitlab/webhook";

export type GitLabEvent = (event: string, payload: Record<string, unknown>, delivery: string | undefined) => void;

/**
 * POST /gitlab/webhook: `X-Gitlab-Token` must equal the secret (compared in constant time: hashes of
 * both, so neither length nor content leaks), else 401. The delivery is answered at once and handled
 * behind, because GitLab disables hooks that answer slowly. The body is read only once the token
 * matched, under MAX_GITLAB_BODY_BYTES (the server's one capped reader).
 */
export function gitlabWebhook(secret: string, onEvent: GitLabEvent) {
  const expected = digest(secret);
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if ((req.url ?? "").split("?")[0] !== GITLAB_WEBHOOK_PATH) return false;
    const reply = (status: number, message: string) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ message }));
    // Refused unread: close after, so that Node does not read the body to reuse the connection.
    const refuse = (status: number, message: string) => (res.setHeader("connection", "close"), reply(status, message));
    if (req.method !== "POST") return (refuse(405, "POST only"), true);
    const token = req.headers["x-gitlab-token"];
    if (typeof token !== "string" || !timingSafeEqual(digest(token), expected)) return (refuse(401, "bad or missing X-Gitlab-Token"), true);
    let body: Buffer;
    try {
      body = await readCapped(req, MAX_GITLAB_BODY_BYTES);
    } catch (e) {
      if (e instanceof BodyTooLarge) refuseTooLarge(req, res, MAX_GITLAB_BODY_BYTES);
      else req.destroy();
      return true;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      return (reply(400, "body is not JSON"), true);
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return (reply(400, "body is not a JSON object"), true);
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
