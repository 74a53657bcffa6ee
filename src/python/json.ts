import { pyFloatRepr } from "./format.js";
import type { Value } from "../formats/value.js";

type Jsonable = Value | undefined | Map<string, Jsonable> | { [k: string]: Jsonable };

/**
 * Python's `json.dumps` as DVC calls it: `", "`/`": "` separators (or indent 2 on a terminal),
 * floats by repr (`2.0`, `1e+16`), NaN/Infinity literals, and non-ASCII escaped (ensure_ascii).
 */
export function pyJsonDumps(v: Jsonable, indent?: number): string {
  return dump(v, indent, 0);
}

function dump(v: Jsonable, indent: number | undefined, level: number): string {
  if (v === null || v === undefined) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
    return pyFloatRepr(v);
  }
  if (typeof v === "string") return quote(v);
  const entries: [string | undefined, Jsonable][] = Array.isArray(v) ? v.map((x) => [undefined, x]) : v instanceof Map ? [...v.entries()] : Object.keys(v).map((k) => [k, (v as Record<string, Jsonable>)[k]]);
  const [open, close] = Array.isArray(v) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) return open + close;
  const items = entries.map(([k, x]) => (k === undefined ? "" : `${quote(k)}: `) + dump(x, indent, level + 1));
  if (indent === undefined) return open + items.join(", ") + close;
  const inner = " ".repeat(indent * (level + 1));
  return `${open}\n${inner}${items.join(`,\n${inner}`)}\n${" ".repeat(indent * level)}${close}`;
}

const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function quote(s: string): string {
  if (PLAIN.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += s[i];
  }
  return out + '"';
}
