import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gitScript, tempDir, writeFiles, type Files } from "./git-repo.js";

/** Debian's git-lfs; installed here when missing (tests run as root on the CI machine), as redis-server is. */
export function ensureGitLfs(): void {
  try {
    execFileSync("git", ["lfs", "version"], { stdio: "ignore" });
  } catch {
    if (process.getuid?.() !== 0) throw new Error("git-lfs is not installed: apt-get install git-lfs");
    execFileSync("apt-get", ["update", "-qq"], { stdio: "ignore" });
    execFileSync("apt-get", ["install", "-y", "-qq", "git-lfs"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  }
}

export const sha256 = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

/**
 * A repository whose `patterns` go through the real git-lfs (`git lfs install --local`, `git lfs track`):
 * git holds pointers, `.git/lfs/objects` the contents. Commits oldest first; returns the directory and the shas.
 */
export function lfsRepo(patterns: string[], commits: Files[]): { dir: string; shas: string[] } {
  ensureGitLfs();
  const dir = tempDir();
  // One sh -c for the set-up and one a commit, where each git command was a fork of this process.
  gitScript(dir, 'git init -q -b main\ngit lfs install --local > /dev/null\ngit lfs track "$@" > /dev/null', patterns);
  const shas: string[] = [];
  for (const files of commits) {
    writeFiles(dir, files);
    shas.push(gitScript(dir, "git add -A\ngit commit -q -m commit\ngit rev-parse HEAD").trim());
  }
  return { dir, shas };
}

/** One request an LFS server saw. */
export interface LfsRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  accept: string | undefined;
  contentType: string | undefined;
  /** The oids a batch request asked for. */
  oids?: string[];
  /** Any other header the test cares about. */
  headers: Record<string, string | string[] | undefined>;
}

export interface LfsBehaviour {
  /** oid → content served; an oid not here is a per-object 404 in the batch answer. */
  objects: Map<string, Buffer>;
  /** oids served with one byte changed (a corrupted store). */
  corrupt: Set<string>;
  /** Where download hrefs point (`<origin>/lfs-objects/<oid>`); default: the batch server itself. */
  downloadOrigin?: string;
  /** Header the batch answer gives each download action, and the download requires. */
  downloadHeader?: Record<string, string>;
  /** The batch API answers 401 unless the request has exactly this Authorization. */
  requireAuth?: string;
}

/** The batch API (docs/api/batch.md) for `b`, recording into `requests`; for mounting on another server too. */
export function lfsBatchHandler(b: LfsBehaviour, requests: LfsRequest[], selfOrigin: () => string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rec = record(req);
      requests.push(rec);
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (req.method !== "POST" || !path.endsWith("/objects/batch")) return void res.writeHead(404).end();
      if (b.requireAuth && req.headers.authorization !== b.requireAuth) return void json(res, 401, { message: "Credentials needed" });
      if (req.headers.accept !== "application/vnd.git-lfs+json") return void json(res, 406, { message: "Not acceptable" });
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { operation: string; objects: { oid: string; size: number }[] };
      rec.oids = body.objects.map((o) => o.oid);
      if (body.operation !== "download") return void json(res, 422, { message: "download only" });
      const base = b.downloadOrigin ?? selfOrigin();
      json(res, 200, {
        transfer: "basic",
        objects: body.objects.map((o) =>
          b.objects.has(o.oid)
            ? { oid: o.oid, size: o.size, authenticated: true, actions: { download: { href: `${base}/lfs-objects/${o.oid}`, header: b.downloadHeader ?? {}, expires_in: 3600 } } }
            : { oid: o.oid, size: o.size, error: { code: 404, message: "Object does not exist" } },
        ),
      });
    });
  };
}

/** Downloads of `b`'s objects at `/lfs-objects/<oid>`. */
export function lfsDownloadHandler(b: LfsBehaviour, requests: LfsRequest[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    requests.push(record(req));
    const m = /^\/lfs-objects\/([0-9a-f]{64})$/.exec(new URL(req.url ?? "/", "http://x").pathname);
    const data = m ? b.objects.get(m[1]!) : undefined;
    if (req.method !== "GET" || !data) return void res.writeHead(404).end();
    for (const [k, v] of Object.entries(b.downloadHeader ?? {})) if (req.headers[k.toLowerCase()] !== v) return void res.writeHead(403).end();
    const body = b.corrupt.has(m![1]!) ? Buffer.from(data.map((x, i) => (i === 0 ? x ^ 1 : x))) : data;
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length }).end(body);
  };
}

export interface LfsServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  requests: LfsRequest[];
  behaviour: LfsBehaviour;
  close(): Promise<void>;
}

/** A real Git-LFS server on loopback: the batch API at any `…/objects/batch`, downloads at `/lfs-objects/<oid>`. */
export async function lfsServer(behaviour: Partial<LfsBehaviour> = {}): Promise<LfsServer> {
  // The caller's object itself: a test changes what is served between requests.
  const b = behaviour as LfsBehaviour;
  b.objects ??= new Map();
  b.corrupt ??= new Set();
  const requests: LfsRequest[] = [];
  let origin = "";
  const batch = lfsBatchHandler(b, requests, () => origin);
  const download = lfsDownloadHandler(b, requests);
  const server = createServer((req, res) => ((req.url ?? "").startsWith("/lfs-objects/") ? download(req, res) : batch(req, res)));
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, requests, behaviour: b, close: () => new Promise<void>((ok) => (server.closeAllConnections(), server.close(() => ok()))) };
}

function record(req: IncomingMessage): LfsRequest {
  return {
    method: req.method ?? "",
    path: new URL(req.url ?? "/", "http://x").pathname,
    authorization: req.headers.authorization,
    accept: req.headers.accept,
    contentType: req.headers["content-type"],
    headers: req.headers,
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/vnd.git-lfs+json" }).end(JSON.stringify(body));
}
