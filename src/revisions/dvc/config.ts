import type { RemoteConfig } from "./stores/types.js";

/** What a reader needs of DVC's config: the default remote and the named remotes. */
export interface DvcConfig {
  /** `core.remote`, lower-cased. */
  defaultRemote: string | undefined;
  remotes: Map<string, RemoteConfig>;
}

/** A config file bigger than this is not a DVC config (they are a few hundred bytes): one line, not a parse. */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** `remote://a/...` chains deeper than this are a loop. */
const MAX_REMOTE_REFS = 8;

/**
 * `.dvc/config` with `.dvc/config.local` over it, as DVC's ConfigObj reads them (dvc/config.py):
 * sections `[core]`, `['remote "name"']` or `[remote "name"]`, every key and section name lower-cased,
 * `#`/`;` comments, values optionally quoted. Relative local remote URLs are resolved against `.dvc/`
 * (the config file's folder) when the store is opened (stores/local.ts). Never throws: what cannot be read is
 * simply not there.
 */
export function parseDvcConfig(...texts: (string | undefined)[]): DvcConfig {
  const sections = new Map<string, Map<string, string>>();
  for (const text of texts) {
    if (text === undefined || text.length > MAX_CONFIG_BYTES) continue;
    let current: Map<string, string> | undefined;
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (!line || line.startsWith("#") || line.startsWith(";")) continue;
      const header = /^\[\s*(.+?)\s*\]$/.exec(line);
      if (header) {
        const name = sectionName(header[1]!);
        current = name === undefined ? undefined : (sections.get(name) ?? sections.set(name, new Map()).get(name)!);
        continue;
      }
      const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
      if (kv && current) current.set(kv[1]!.toLowerCase(), unquote(kv[2]!));
    }
  }
  const remotes = new Map<string, RemoteConfig>();
  for (const [section, values] of sections) {
    const m = /^remote "(.*)"$/.exec(section);
    const url = values.get("url");
    if (!m || url === undefined) continue;
    remotes.set(m[1]!, { name: m[1]!, url, options: Object.fromEntries(values) });
  }
  for (const [name, r] of remotes) {
    const resolved = resolveRefs(r, remotes, 0);
    if (resolved) remotes.set(name, resolved);
    else remotes.delete(name);
  }
  return { defaultRemote: sections.get("core")?.get("remote")?.toLowerCase(), remotes };
}

/** `'remote "x"'`, `remote "x"`, `core` → `remote "x"` / `core`, lower-cased (DVC's _parse_named). */
function sectionName(raw: string): string | undefined {
  let s = raw;
  if (s.length >= 2 && s.startsWith("'") && s.endsWith("'")) s = s.slice(1, -1);
  const named = /^\s*(remote|machine|db)\s*"(.*)"\s*$/i.exec(s);
  if (named) return `${named[1]!.toLowerCase()} "${named[2]!.toLowerCase()}"`;
  return /^[A-Za-z][\w.-]*$/.test(s) ? s.toLowerCase() : undefined;
}

function unquote(v: string): string {
  const noComment = /^(['"]).*\1$/.test(v) ? v : v.replace(/\s+[#;].*$/, "");
  const m = /^(['"])(.*)\1$/.exec(noComment);
  return m ? m[2]! : noComment;
}

/** `remote://other/sub` is `other`'s URL plus `/sub`, with `other`'s options under this one's. */
function resolveRefs(r: RemoteConfig, all: Map<string, RemoteConfig>, depth: number): RemoteConfig | undefined {
  const m = /^remote:\/\/([^/]+)(\/.*)?$/.exec(r.url);
  if (!m) return r;
  if (depth >= MAX_REMOTE_REFS) return undefined;
  const target = all.get(m[1]!.toLowerCase());
  if (!target) return undefined;
  const base = resolveRefs(target, all, depth + 1);
  if (!base) return undefined;
  const sub = (m[2] ?? "").replace(/^\/+/, "");
  return { name: r.name, url: sub ? `${base.url.replace(/\/+$/, "")}/${sub}` : base.url, options: { ...base.options, ...r.options, url: r.url } };
}
