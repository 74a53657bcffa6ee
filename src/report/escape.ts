/**
 * Text from a repository (keys, values, paths, plot titles) as inert Markdown: no HTML, no links,
 * no emphasis, no table breaks, no @mentions that would notify people. Entities are used where a
 * backslash escape is not honoured inside table cells.
 */
export function md(text: string): string {
  return inert(text)
    .replace(/[\r\n\t]+/g, " ")
    .replace(/[\\`*_[\]#!~]/g, (c) => `\\${c}`)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "&#124;")
    .replace(/@/g, "&#64;")
    .replace(/:\/\//g, ":&#47;&#47;");
}

/** Text for an attribute such as an image's alt text: no quotes, brackets or newlines. */
export function alt(text: string): string {
  return inert(text).replace(/[\r\n\t]+/g, " ").replace(/[[\]"<>\\]/g, "");
}

/**
 * Control characters (a NUL makes the forge refuse the whole comment), bidirectional overrides that
 * make text read differently from what it is, and lone surrogates (not encodable) become U+FFFD.
 */
export function inert(text: string): string {
  return text.replace(UNSAFE, (c) => (c === "\r" || c === "\n" || c === "\t" ? c : "\uFFFD"));
}

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
