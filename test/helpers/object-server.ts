import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";

export interface ObjectServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** Every request as "METHOD /path", in order. */
  requests: string[];
  /** Bytes of bodies served. */
  bytes(): number;
  close(): Promise<void>;
}

/**
 * A DVC HTTP remote on loopback: GET /<prefix>/<key> serves `dir/<key>` (a folder `dvc push` wrote), 404
 * otherwise. `redirect` answers every request with a 303 to that origin + the same path, as
 * remote.dvc.org does to r2.dvc.org.
 */
export async function objectServer(dir: string, opts: { prefix?: string; redirect?: string } = {}): Promise<ObjectServer> {
  const requests: string[] = [];
  let bytes = 0;
  const prefix = opts.prefix ?? "/dvc";
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? "/", "http://x");
    if (opts.redirect) {
      res.writeHead(303, { location: `${opts.redirect}${url.pathname}` }).end();
      return;
    }
    if (req.method !== "GET" || !url.pathname.startsWith(`${prefix}/`)) return void res.writeHead(404).end();
    const rel = normalize(decodeURIComponent(url.pathname.slice(prefix.length + 1)));
    if (rel.startsWith("..")) return void res.writeHead(404).end();
    readFile(join(dir, rel)).then(
      (data) => {
        bytes += data.length;
        res.writeHead(200, { "content-length": data.length }).end(data);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, requests, bytes: () => bytes, close: () => new Promise((r) => server.close(() => r())) };
}
