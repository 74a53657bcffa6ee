import { BodyDropped, causeCode, readBodyCapped } from "../../http.js";
import { ObjectTooLarge, StoreError, StoreUnreachable, type ObjectStore } from "./types.js";

/** DVC's own HTTP client waits 60 s; a report has several objects to get, so less, and a stalled server costs one line. */
export const HTTP_TIMEOUT_MS = 30_000;
/** remote.dvc.org → r2.dvc.org is one hop; a chain longer than this is a loop or a trick. */
export const MAX_REDIRECTS = 5;
/** Retries of a 5xx or a dropped connection (DVC retries 5 times); a 4xx is never retried. */
const RETRIES = 2;
const RETRY_DELAY_MS = 300;

export interface HttpStoreOptions {
  /** The remote's URL (the objects are below it). */
  url: string;
  describe: string;
  /** Sent to the remote's own origin only; a redirect to another origin goes without them. */
  headers?: Record<string, string>;
  /** Whether a redirect target may be fetched: the operator's prefixes in the bot, any http(s) URL in the CLI. */
  allowRedirect(url: string): boolean;
  timeoutMs?: number;
}

/** An HTTP(S) remote (DVC's `dvc-http`): a plain GET of `<url>/<key>`, redirects followed one hop at a time. */
export class HttpStore implements ObjectStore {
  readonly describe: string;
  constructor(private readonly o: HttpStoreOptions) {
    this.describe = o.describe;
  }

  async get(key: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(key, maxBytes, signal);
      } catch (e) {
        if (!(e instanceof Retryable) || attempt >= RETRIES || signal?.aborted) throw e instanceof Retryable ? (e.unreachable ? new StoreUnreachable(e.message) : new StoreError(e.message)) : e;
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS * (attempt + 1)));
      }
    }
  }

  private async once(key: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer | undefined> {
    const first = objectUrl(this.o.url, key);
    const origin = new URL(first).origin;
    const timeout = AbortSignal.timeout(this.o.timeoutMs ?? HTTP_TIMEOUT_MS);
    const abort = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let url = first;
    for (let hop = 0; ; hop++) {
      let res: Response;
      try {
        res = await fetch(url, { redirect: "manual", signal: abort, headers: new URL(url).origin === origin ? (this.o.headers ?? {}) : {} });
      } catch (e) {
        if (timeout.aborted) throw new Retryable(`no answer within ${(this.o.timeoutMs ?? HTTP_TIMEOUT_MS) / 1000} s`, true);
        if (signal?.aborted) throw new StoreError("cancelled");
        throw new Retryable(`cannot connect (${causeCode(e)})`, true);
      }
      if (res.status >= 300 && res.status < 400 && res.headers.get("location")) {
        await res.body?.cancel();
        if (hop >= MAX_REDIRECTS) throw new StoreError(`more than ${MAX_REDIRECTS} redirects`);
        const next = new URL(res.headers.get("location")!, url);
        if ((next.protocol !== "https:" && next.protocol !== "http:") || !this.o.allowRedirect(next.href)) {
          throw new StoreError(`redirected to ${next.origin}${next.pathname.slice(0, 100)}, which is not allowed`);
        }
        url = next.href;
        continue;
      }
      if (res.status === 404 || res.status === 410) {
        await res.body?.cancel();
        return undefined;
      }
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        throw new StoreError(`access denied (${res.status})`);
      }
      if (res.status >= 500) {
        await res.body?.cancel();
        throw new Retryable(`server error (${res.status})`);
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new StoreError(`unexpected answer (${res.status})`);
      }
      const body = await readBodyCapped(res, maxBytes).catch((e: unknown) => {
        throw e instanceof BodyDropped ? new StoreError(e.message) : e;
      });
      if (body === undefined) throw new ObjectTooLarge(maxBytes);
      return body;
    }
  }
}

class Retryable extends Error {
  constructor(
    message: string,
    readonly unreachable = false,
  ) {
    super(message);
  }
}

/** `<url>/<key>`, the key spliced into the path before any query string (`example.com/dvc?sig=...`). */
export function objectUrl(base: string, key: string): string {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/${key}`;
  return u.href;
}
