import { isMap, isScalar, isSeq, parseDocument, type Node } from "yaml";
import { FormatError, depthError } from "./errors.js";
import { pyKey } from "../python/key.js";
import { newObj, type Value } from "./value.js";
import type { Limits } from "./limits.js";

/**
 * YAML 1.2 (core schema, as ruamel's safe loader that DVC uses): `yes` is a string, `1e-5` a float,
 * merge keys work, duplicate keys and several documents are errors. Aliases are capped (alias bombs).
 */
export function parseYaml(text: string, limits: Limits): Value {
  let doc;
  try {
    doc = parseDocument(text, { version: "1.2", intAsBigInt: true, merge: true, uniqueKeys: false, prettyErrors: false });
  } catch (e) {
    throw asFormatError(e);
  }
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0] ?? lineCol(text, first.pos[0]);
    const where = ` at line ${pos.line} column ${pos.col}`;
    const message = /call stack/i.test(first.message) ? "nesting too deep" : firstLine(first.message).replace(/ at line \d+, column \d+:?$/, "");
    throw new FormatError(`invalid YAML${where}: ${message}`);
  }
  // yaml's own uniqueKeys check compares each key with every earlier one: 200,000 keys took minutes.
  const duplicate = firstDuplicateKey(doc.contents);
  if (duplicate !== undefined) {
    const pos = lineCol(text, duplicate);
    throw new FormatError(`invalid YAML at line ${pos.line} column ${pos.col}: Map keys must be unique`);
  }
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: limits.maxAliases, mapAsMap: true });
  } catch (e) {
    if (/alias/i.test((e as Error).message)) {
      throw new FormatError(`invalid YAML: more than ${limits.maxAliases} alias expansions (alias bomb?)`);
    }
    throw asFormatError(e);
  }
  return fromYaml(js, 0, limits.maxDepth);
}

function fromYaml(v: unknown, depth: number, maxDepth: number): Value {
  if (v instanceof Map) {
    if (depth >= maxDepth) throw depthError(maxDepth);
    const obj = newObj();
    for (const [k, val] of v) obj[pyKey(k)] = fromYaml(val, depth + 1, maxDepth);
    return obj;
  }
  if (Array.isArray(v)) {
    if (depth >= maxDepth) throw depthError(maxDepth);
    return v.map((x) => fromYaml(x, depth + 1, maxDepth));
  }
  if (v instanceof Set) return fromYaml([...v], depth, maxDepth);
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (v instanceof Date) return v.toISOString();
  if (v === undefined) return null;
  return v as Value;
}

/** The offset of the first scalar key repeated in its mapping, in one pass with a set per mapping. */
function firstDuplicateKey(root: unknown): number | undefined {
  const stack: unknown[] = [root];
  let first: number | undefined;
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        if (isScalar(key)) {
          if (seen.has(key.value) && key.range) first = Math.min(first ?? Infinity, key.range[0]);
          seen.add(key.value);
        } else if (key) stack.push(key);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return first;
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.min(offset, text.length));
  return { line: before.split("\n").length, col: before.length - before.lastIndexOf("\n") };
}

function asFormatError(e: unknown): FormatError {
  if (e instanceof RangeError) return new FormatError("invalid YAML: nesting too deep");
  return new FormatError(`invalid YAML: ${firstLine((e as Error).message)}`);
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.trim();
}
