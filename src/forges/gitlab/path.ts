/**
 * GitLab API paths, built one way for both GitLab clients (the report's and the runners'): every value
 * is one encoded path segment, so an id from a payload such as "1/../../users" cannot make the bot call
 * another endpoint with its token. Numbers must be positive integers, strings are percent-encoded
 * whole (a project path "group/sub/repo" becomes one segment, as GitLab wants it).
 */
export type Segment = number | string;

export function gitlabPath(parts: TemplateStringsArray, ...values: Segment[]): string {
  return parts.reduce((out, part, i) => out + part + (i < values.length ? segment(values[i]!) : ""), "");
}

export function segment(v: Segment): string {
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v) || v <= 0) throw new TypeError(`not a GitLab id: ${v}`);
    return String(v);
  }
  if (v === "" || v === "." || v === "..") throw new TypeError(`not a GitLab path segment: '${v}'`);
  return encodeURIComponent(v);
}
