/**
 * Text from a repository (keys, values, paths, plot titles) as inert Markdown: no HTML, no links,
 * no emphasis, no math, no table breaks, no @mentions that would notify people and no issue
 * references. Entities are used where a backslash escape is not honoured inside table cells.
 */
export function md(text: string): string {
  return unlinked(
    inert(text)
      .replace(/[\r\n\t]+/g, " ")
      .replace(/[\\`*_[\]#!~$]/g, (c) => `\\${c}`),
  )
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "&#124;");
}

/** Text for an attribute such as an image's alt text: no quotes, brackets or newlines. */
export function alt(text: string): string {
  return unlinked(
    inert(text)
      .replace(/[\r\n\t]+/g, " ")
      .replace(/[[\]"<>\\]/g, ""),
  );
}

/** Ours, never the repository's: inert() replaces every U+200D that comes from repository text. */
const JOINER = "\u200D";

/**
 * GitHub finds mentions, issue references and autolinks in the text *after* Markdown is parsed, so
 * escapes and entities (`&#64;`, `\#`) do not stop them: a zero-width joiner inside each trigger does.
 * `@name` and emails (`a@b.c`), `#1` and `owner/repo#1`, `GH-1`, `www.` and `scheme://`; and GitLab's
 * `!1` (merge request), `&1` (epic), `$1` (snippet), `%name` (milestone), `~name` (label).
 */
function unlinked(text: string): string {
  return text
    .replace(/@|[#!&$%~](?=[\w"])/g, (c) => `${c}${JOINER}`)
    .replace(/(gh-)(?=\d)/gi, `$1${JOINER}`)
    .replace(/(www)\./gi, `$1${JOINER}.`)
    .replace(/:\/\//g, `:${JOINER}//`);
}

/**
 * Control characters (a NUL makes the forge refuse the whole comment), invisible and bidirectional
 * characters that make text read differently from what it is (zero-width spaces and joiners, word
 * joiners, invisible operators, BOM, Arabic letter and Mongolian vowel marks, overrides and isolates,
 * line and paragraph separators, soft hyphens, Hangul fillers, tag characters and the supplementary
 * variation selectors), and lone surrogates (not encodable) become U+FFFD.
 */
export function inert(text: string): string {
  return text.replace(UNSAFE, (c) => (c === "\r" || c === "\n" || c === "\t" ? c : "\uFFFD"));
}

const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\u3164\ufeff\uffa0]|\udb40[\udc00-\udc7f\udd00-\uddef]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
