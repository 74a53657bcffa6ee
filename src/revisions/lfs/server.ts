import { BodyDropped, causeCode, readBodyCapped } from "../http.js";
import { z } from "zod";
import type { LfsPointer } from "./pointer.js";

/** A batch request or a download that has not answered by then costs one line, never a hung report. */
export const LFS_TIMEOUT_MS = 30_000;
/** A batch answer is ~300 bytes per object; more than this for 100 objects is not an LFS server. */
export const MAX_BATCH_ANSWER_BYTES = 4 * 1024 * 1024;
/** A storage redirect is one hop (S3 presigned URLs); a longer chain is a loop or a trick. */
export const MAX_DOWNLOAD_REDIRECTS = 3;

const MEDIA_TYPE = "application/vnd.git-lfs+json";

const Action = z.object({
  href: z.string().min(1),
  header: z.record(z.string(), z.string()).optional(),
});
const BatchAnswer = z.object({
  transfer: z.string().optional(),
  objects: z.array(
    z.object({
      oid: z.string(),
      size: z.number().optional(),
      actions: z.object({ download: Action.optional() }).optional(),
      error: z.object({ code: z.number(), message: z.string().optional() }).optional(),
    }),
  ),
});

export type DownloadAction = z.infer<typeof Action>;

/** What went wrong, as the end of the file's line ("not on the server (404)"), and which FileError code. */
export class LfsError extends Error {
  override readonly name = "LfsError";
  constructor(
    message: string,
    readonly code: "unavailable" | "corrupt" | "too-large" = "unavailable",
  ) {
    super(message);
  }
}

export interface LfsServerOptions {
  /** The LFS URL (`…/repo.git/info/lfs`); the batch API is at `<url>/objects/batch`. */
  url: string;
  /** Headers for the batch request only (the bot's forge token); never sent with a download. */
  batchHeaders?: Record<string, string>;
  /** Asked once after a 401 (the CLI: `git credential fill`); undefined: the 401 is the answer. */
  credentials?: () => Promise<Record<string, string> | undefined>;
  timeoutMs?: number;
  /** The task's deadline (the bot's review): every request stops when it fires. */
  signal?: AbortSignal;
}

/** The Git-LFS batch API and basic-transfer downloads (git-lfs docs/api/batch.md, basic-transfers.md). */
export class LfsServer {
  private auth: Promise<Record<string, string> | undefined> | undefined;

  constructor(private readonly o: LfsServerOptions) {}

  /** The server named for a line: origin and path, never a query or credentials. */
  get describe(): string {
    const u = new URL(this.o.url);
    return `${u.origin}${u.pathname}`;
  }

  /** One batch request for these objects: a download action, or why there is none, per oid. Throws LfsError for the whole request. */
  async batch(objects: readonly LfsPointer[]): Promise<Map<string, DownloadAction | LfsError>> {
    const url = `${this.o.url.replace(/\/+$/, "")}/objects/batch`;
    const body = JSON.stringify({ operation: "download", transfers: ["basic"], objects: objects.map((p) => ({ oid: p.oid, size: p.size })), hash_algo: "sha256" });
    const sentAuth = this.auth;
    let res = await this.post(url, body, await sentAuth);
    if (res.status === 401 && this.o.credentials && sentAuth === undefined) {
      await res.body?.cancel();
      // Asked once for every batch of the run: both sides' first requests may meet the 401 together.
      const auth = await (this.auth ??= this.o.credentials().catch(() => undefined));
      res = auth ? await this.post(url, body, auth) : new Response(null, { status: 401 });
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      // A redirect would carry the token to wherever it points: git-lfs's own endpoint must answer.
      throw new LfsError(`the LFS server ${this.describe} redirected its batch API (${res.status}): not followed`);
    }
    const text = await readCapped(res, MAX_BATCH_ANSWER_BYTES).then(
      (b) => b.toString("utf8"),
      (e: unknown) => {
        throw e instanceof LfsError ? new LfsError(`the LFS server's answer ${e.message}`) : e;
      },
    );
    if (res.status !== 200) throw new LfsError(`the LFS server ${this.describe} answered ${res.status}${serverMessage(text)}`);
    let parsed;
    try {
      parsed = BatchAnswer.safeParse(JSON.parse(text));
    } catch {
      throw new LfsError(`the LFS server ${this.describe} did not answer JSON`);
    }
    if (!parsed.success) throw new LfsError(`the LFS server ${this.describe} gave a malformed batch answer (${parsed.error.issues[0]?.path.join(".") || "root"}: ${parsed.error.issues[0]?.message})`);
    if (parsed.data.transfer && parsed.data.transfer !== "basic") throw new LfsError(`the LFS server chose transfer '${parsed.data.transfer.slice(0, 40)}', only 'basic' is supported`);
    const out = new Map<string, DownloadAction | LfsError>();
    for (const o of parsed.data.objects) {
      if (out.has(o.oid)) continue;
      if (o.error) out.set(o.oid, objectError(o.error.code, o.error.message));
      else if (o.actions?.download) out.set(o.oid, o.actions.download);
      else out.set(o.oid, new LfsError("the LFS server gave no download for it"));
    }
    return out;
  }

  /**
   * GET the href with exactly the headers the batch answer gave for it (basic transfer): the batch
   * credentials never go there. Redirects are followed by hand, http(s) only, the headers dropped on
   * another origin. At most `maxBytes` are read.
   */
  async download(action: DownloadAction, maxBytes: number): Promise<Buffer> {
    let url = httpUrl(action.href, undefined);
    const origin = url.origin;
    const timeout = AbortSignal.timeout(this.o.timeoutMs ?? LFS_TIMEOUT_MS);
    const signal = this.o.signal ? AbortSignal.any([timeout, this.o.signal]) : timeout;
    for (let hop = 0; ; hop++) {
      let res: Response;
      try {
        res = await fetch(url, { redirect: "manual", signal, headers: url.origin === origin ? (action.header ?? {}) : {} });
      } catch (e) {
        throw new LfsError(timeout.aborted ? `the download did not answer within ${(this.o.timeoutMs ?? LFS_TIMEOUT_MS) / 1000} s` : `the download from ${url.origin} failed (${causeCode(e)})`);
      }
      if (res.status >= 300 && res.status < 400 && res.headers.get("location")) {
        await res.body?.cancel();
        if (hop >= MAX_DOWNLOAD_REDIRECTS) throw new LfsError(`the download redirected more than ${MAX_DOWNLOAD_REDIRECTS} times`);
        url = httpUrl(res.headers.get("location")!, url);
        continue;
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new LfsError(res.status === 404 || res.status === 410 ? `not in the LFS storage (${res.status})` : `the download answered ${res.status}`);
      }
      return readCapped(res, maxBytes);
    }
  }

  private async post(url: string, body: string, credentials: Record<string, string> | undefined): Promise<Response> {
    const timeout = AbortSignal.timeout(this.o.timeoutMs ?? LFS_TIMEOUT_MS);
    try {
      return await fetch(url, {
        method: "POST",
        redirect: "manual",
        signal: this.o.signal ? AbortSignal.any([timeout, this.o.signal]) : timeout,
        headers: { accept: MEDIA_TYPE, "content-type": MEDIA_TYPE, ...this.o.batchHeaders, ...credentials },
        body,
      });
    } catch (e) {
      throw new LfsError(timeout.aborted ? `the LFS server ${this.describe} did not answer within ${(this.o.timeoutMs ?? LFS_TIMEOUT_MS) / 1000} s` : `the LFS server ${this.describe} cannot be reached (${causeCode(e)})`);
    }
  }
}

/** Per-object errors inside a 200 (batch.md): 404 absent, 410 removed, 409/422 refused. */
function objectError(code: number, message: string | undefined): LfsError {
  if (code === 404) return new LfsError("not on the server (404)");
  if (code === 410) return new LfsError("removed from the server (410)");
  return new LfsError(`refused by the server (${code}${message ? `: ${oneLine(message)}` : ""})`);
}

/** An href or a Location as a URL, http(s) only: a `file:` or `data:` href from a server is refused. */
function httpUrl(href: string, base: URL | undefined): URL {
  let u: URL;
  try {
    u = new URL(href, base);
  } catch {
    throw new LfsError("the download href is not a URL");
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new LfsError(`download scheme '${u.protocol.slice(0, 20)}' refused: only http(s)`);
  return u;
}

/** The body, capped: over maxBytes is "too-large", a dropped connection its own line. */
async function readCapped(res: Response, maxBytes: number): Promise<Buffer> {
  const body = await readBodyCapped(res, maxBytes).catch((e: unknown) => {
    throw e instanceof BodyDropped ? new LfsError(e.message) : e;
  });
  if (body === undefined) throw new LfsError(`is over ${maxBytes} bytes`, "too-large");
  return body;
}

/** The `message` of an LFS error body, on one line and short: a server's text goes into a report. */
function serverMessage(text: string): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    return typeof m === "string" && m.trim() ? `: ${oneLine(m)}` : "";
  } catch {
    return "";
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim().slice(0, 160);
}
