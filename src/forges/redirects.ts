/**
 * Following redirects by hand, for downloads that carry a forge token: fetch's own `redirect: "follow"`
 * drops only `Authorization` on a cross-origin hop and keeps custom headers such as GitLab's
 * PRIVATE-TOKEN, which then reach whatever host the redirect names (object storage, or anything).
 */

/** A redirect chain longer than this is a loop or an attack, not a CDN. */
export const MAX_REDIRECTS = 5;

/** Headers that carry a credential: none of them survives a hop to another origin. */
const CREDENTIAL_HEADERS = new Set(["authorization", "private-token", "job-token", "cookie", "proxy-authorization"]);

const REDIRECT = new Set([301, 302, 303, 307, 308]);

export class RedirectError extends Error {
  override readonly name = "RedirectError";
}

/** GET `url`, following at most MAX_REDIRECTS redirects; once the chain has left `url`'s origin, no credential header is sent again. */
export async function getFollowingRedirects(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
  const origin = new URL(url).origin;
  let current = new URL(url);
  let sent = { ...headers };
  for (let hop = 0; ; hop++) {
    const res = await fetch(current, { method: "GET", headers: sent, redirect: "manual", ...(signal ? { signal } : {}) });
    if (!REDIRECT.has(res.status)) return res;
    await res.body?.cancel().catch(() => {});
    const location = res.headers.get("location");
    if (!location) throw new RedirectError(`redirect ${res.status} without a Location`);
    if (hop >= MAX_REDIRECTS) throw new RedirectError(`more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, current);
    if (next.protocol !== "https:" && next.protocol !== "http:") throw new RedirectError(`redirect to a ${next.protocol} URL refused`);
    if (next.origin !== origin) sent = withoutCredentials(sent);
    current = next;
  }
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !CREDENTIAL_HEADERS.has(k.toLowerCase())));
}
