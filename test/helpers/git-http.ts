import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, dirname } from "node:path";
import { afterAll } from "vitest";
import { spawnViaHost } from "../../src/revisions/spawn-host.js";

/** One request git made to a served repository, as the server saw it. */
export interface GitRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface GitHttpServer {
  /** `http://localhost:<port>`: "localhost", so that nock's unmatched-request recorder (which ignores 127.0.0.1) sees API calls to this origin. */
  origin: string;
  /** Serve the bare repository `bare` at `<origin>/<path>` (e.g. "gitlab/group/repo.git"); returns that URL. */
  serve(path: string, bare: string): string;
  requests: GitRequest[];
  /** Answer requests below `prefix` (e.g. a repository's `/info/lfs/`) with `handler` instead of git. */
  route(prefix: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  close(): Promise<void>;
}

/**
 * A forge's smart HTTP git endpoint on loopback: `git http-backend` as CGI, so the bot's git fetches
 * over http:// exactly as from a forge (protocol v2, partial clone, the Authorization it sends).
 * Paths that are not served answer 404; every request is recorded.
 */
export async function gitHttpServer(): Promise<GitHttpServer> {
  const repos = new Map<string, string>();
  const requests: GitRequest[] = [];
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push({ method: req.method ?? "", path: url.pathname, authorization: req.headers.authorization });
    const routed = [...routes.keys()].find((p) => url.pathname.startsWith(p));
    if (routed) return void routes.get(routed)!(req, res);
    const prefix = [...repos.keys()].find((p) => url.pathname.startsWith(`${p}/`));
    if (!prefix) return void res.writeHead(404).end();
    backend(repos.get(prefix)!, url.pathname.slice(prefix.length), url.search.slice(1), req, res);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    serve(path, bare) {
      const p = `/${path.replace(/^\/+/, "")}`;
      repos.set(p, bare);
      return `${origin}${p}`;
    },
    requests,
    route: (prefix, handler) => void routes.set(prefix, handler),
    close: () => new Promise<void>((ok) => (server.closeAllConnections(), server.close(() => ok()))),
  };
}

function backend(bare: string, rest: string, query: string, req: IncomingMessage, res: ServerResponse): void {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    GIT_PROJECT_ROOT: dirname(bare),
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: `/${basename(bare)}${rest}`,
    REQUEST_METHOD: req.method ?? "GET",
    QUERY_STRING: query,
    REMOTE_ADDR: "127.0.0.1",
    CONTENT_TYPE: req.headers["content-type"] ?? "",
  };
  if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
  if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = String(req.headers["content-encoding"]);
  if (req.headers["git-protocol"]) env.GIT_PROTOCOL = String(req.headers["git-protocol"]);
  // By the spawn host: a fork of this (large) worker per request costs ~13 ms of page-table copying.
  const cgi = spawnViaHost("git", ["http-backend"], { cwd: dirname(bare), env });
  cgi.stderr.resume();
  req.pipe(cgi.stdin);
  cgi.stdin.on("error", () => {});
  let head = Buffer.alloc(0);
  let headersDone = false;
  cgi.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
      const i = line.indexOf(":");
      const [name, value] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
      if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  cgi.on("close", () => (headersDone ? res.end() : res.writeHead(500).end()));
}

/**
 * GitHub on loopback for a test file: its API (mocked with nock at `api`) and its git over HTTP on one
 * origin, as the bot only sends its token to the configured GitHub host (Probot's baseUrl, GHE_HOST).
 * `cloneUrl` serves a bare repository under a fresh name. Closed after the file's tests.
 */
export async function githubOnLoopback(): Promise<{ forge: GitHttpServer; api: string; cloneUrl: (bare: string) => string }> {
  const forge = await gitHttpServer();
  afterAll(() => forge.close());
  let served = 0;
  return { forge, api: `${forge.origin}/api/v3`, cloneUrl: (bare) => forge.serve(`acme/repo-${++served}.git`, bare) };
}
