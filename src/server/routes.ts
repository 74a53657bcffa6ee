import type { IncomingMessage, ServerResponse } from "node:http";
import type { ImageStore } from "../forges/image-store.js";
import { readiness } from "./lifecycle.js";

/**
 * GET /healthz (readiness: 200 and `{"status":"ok",...}` when ready, 503 while shutting down or when a
 * registered check fails; see lifecycle.ts) and GET /images/<hmac>.<ext>; anything else falls
 * through to Probot (and its 404).
 */
export function routes(images: ImageStore | undefined) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const path = (req.url ?? "").split("?")[0]!;
    if (path === "/healthz") {
      const { ready, body } = await readiness();
      const text = `${JSON.stringify(body)}\n`;
      res.writeHead(ready ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" }).end(req.method === "HEAD" ? undefined : text);
      return true;
    }
    if (!path.startsWith("/images/")) return false;
    const found = images ? await images.get(path.slice("/images/".length)) : undefined;
    if (!found) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return true;
    }
    res
      .writeHead(200, {
        "content-type": found.type,
        "content-length": found.data.length,
        "cache-control": "public, max-age=31536000, immutable",
        "x-content-type-options": "nosniff",
      })
      .end(req.method === "HEAD" ? undefined : found.data);
    return true;
  };
}
