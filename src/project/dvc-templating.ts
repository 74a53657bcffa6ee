import { pyFloatRepr, pyRepr } from "../python/format.js";
import { toPlain, type Value } from "../formats/value.js";
import { joinRepoPath } from "../revisions/paths.js";

type Ctx = Record<string, unknown>;

/** Loads a vars file (YAML/JSON/TOML) at a repo path; undefined when it does not exist. */
export type VarsLoader = (path: string) => Promise<Ctx | undefined>;

export class TemplateError extends Error {}

/** The revision's stage allowance ran out while expanding (the revision's budget says so once). */
export class StageBudgetError extends Error {}

/** Pays for each expanded stage; false when the revision's total is spent. */
export type StageBudget = () => boolean;

/** More stages than this from one foreach/matrix is a denial of service, not a pipeline. */
export const MAX_EXPANDED_STAGES = 10_000;

/** A path built by interpolation is never this long; a longer one is an amplification attack. */
export const MAX_INTERPOLATED_LENGTH = 65_536;

/** DVC's KEYCRE (dvc/parsing/interpolate.py): `${...}` up to the first `}`, not after a backslash. */
const KEYCRE = /(?<!\\)\$\{(.*?)\}/g;
/** DVC's expression grammar: `word ( .word | [word] )*`, a word being anything but `.[]`. */
const EXPR = /^[^.[\]]+(?:\.[^.[\]]+|\[[^.[\]]+\])*$/;

/** A stage key DVC interpolates with `validate_value(value, key)` strict: only `cmd` may take a mapping. */
const SKIPPED_STAGE_KEYS = new Set(["cmd"]);

/**
 * DVC 3.67's parametrisation (dvc/parsing/__init__.py, context.py, interpolate.py), for what the report
 * reads: the context is the dvc.yaml directory's params.yaml plus `vars` (files, "file:key1,key2", inline
 * mappings; a key defined twice is an error, mappings merge); stages' own `vars` are read relative to
 * their wdir; `foreach`/`do` and `matrix` expand to "stage@key". `cmd` is kept as written: the report
 * never runs it, and DVC's own rules for it (a mapping becomes `--key value` flags) need the repo's
 * `parsing` config. Numbers print as Python's str() (`1.0`, `1e-05`), booleans `true`/`false`.
 * Parsed values keep ints as bigint (formats/value.ts) so `1.0` stays `1.0`; the result is plain.
 */
export async function expandTemplates(raw: unknown, dir: string, load: VarsLoader, stageBudget: StageBudget = () => true): Promise<unknown> {
  if (!isRecord(raw)) return raw;
  // Only a dvc.yaml that interpolates reads params.yaml and vars: a broken params.yaml must not make a
  // plain pipeline unreadable (it is reported by the params diff instead).
  const interpolates = hasInterpolation(raw);
  const ctx: Ctx = {};
  const imports: Imports = new Map();
  if (interpolates) {
    const defaultParams = joinRepoPath(dir, "params.yaml");
    const params = await load(defaultParams);
    if (params) {
      mergeInto(ctx, params, "params.yaml");
      imports.set(defaultParams, null);
    }
    await addVars(ctx, imports, raw.vars, dir, load, "vars");
  }
  const out: Record<string, unknown> = { ...raw };
  delete out.vars;
  // Top-level sections are resolved without a key: DVC lets a mapping or list into a string there (to_str).
  for (const key of ["metrics", "params", "plots"]) if (key in raw) out[key] = resolve(raw[key], ctx, key, null);
  if (isRecord(raw.stages)) {
    const stages: Record<string, unknown> = {};
    let count = 0;
    for (const [name, def] of Object.entries(raw.stages)) {
      if (!isRecord(def)) {
        stages[name] = def;
        continue;
      }
      for (const [stageName, body, scope] of expandStage(name, def, ctx)) {
        if (++count > MAX_EXPANDED_STAGES) throw tooMany("stages");
        if (!stageBudget()) throw new StageBudgetError();
        stages[stageName] = interpolates ? await resolveStage(stageName, body, scope, imports, dir, load) : body;
      }
    }
    out.stages = stages;
  }
  return toPlain(out as Value);
}

/** One stage as EntryDefinition.resolve_stage: wdir first, then the stage's vars (relative to it), then each key. */
async function resolveStage(name: string, body: unknown, ctx: Ctx, imports: Imports, dir: string, load: VarsLoader): Promise<unknown> {
  if (!isRecord(body)) return body;
  const where = `stages.${name}`;
  let scope = ctx;
  let wdir = dir;
  if (typeof body.wdir === "string" && body.wdir) wdir = joinRepoPath(dir, toStr(resolveString(body.wdir, ctx, `${where}.wdir`, "wdir"), `${where}.wdir`));
  if (body.vars !== undefined) {
    scope = structuredClone(ctx);
    await addVars(scope, new Map([...imports].map(([k, v]) => [k, v && [...v]])), body.vars, wdir, load, `${where}.vars`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === "vars") continue;
    out[key] = SKIPPED_STAGE_KEYS.has(key) ? value : resolve(value, scope, `${where}.${key}`, key);
  }
  return out;
}

function hasInterpolation(v: unknown): boolean {
  if (typeof v === "string") return v.includes("${");
  if (Array.isArray(v)) return v.some(hasInterpolation);
  if (isRecord(v)) return Object.entries(v).some(([k, x]) => k.includes("${") || hasInterpolation(x));
  return false;
}

/** Files already merged into a context: null when whole, else the keys taken (Context.imports). */
type Imports = Map<string, string[] | null>;

async function addVars(ctx: Ctx, imports: Imports, vars: unknown, wdir: string, load: VarsLoader, where: string): Promise<void> {
  if (vars === undefined || vars === null) return;
  if (!Array.isArray(vars)) throw new TemplateError(`${where}: expected a list`);
  if (hasInterpolation(vars)) throw new TemplateError(`${where}: interpolating is not allowed`);
  for (const [i, v] of vars.entries()) {
    if (isRecord(v)) mergeInto(ctx, v, `${where}[${i}]`);
    else if (typeof v === "string") {
      const colon = v.indexOf(":");
      const file = colon < 0 ? v : v.slice(0, colon);
      const keys =
        colon < 0
          ? []
          : v
              .slice(colon + 1)
              .split(",")
              .filter(Boolean);
      const path = joinRepoPath(wdir, file);
      // Context.merge_from / check_loaded: a whole file named again is nothing; a partial overlap is an error.
      const before = imports.get(path);
      if (imports.has(path)) {
        if (keys.length === 0 && before === null) continue;
        if (keys.length === 0 || (before && keys.some((k) => before.includes(k)))) throw new TemplateError(`${where}: cannot load '${v}' as it's partially loaded already`);
        if (before === null) throw new TemplateError(`${where}: cannot partially load '${v}' as it's already loaded.`);
      }
      const data = await load(path);
      if (!data) throw new TemplateError(`vars file '${file}' not found`);
      imports.set(path, keys.length === 0 ? null : [...(before ?? []), ...keys]);
      if (keys.length === 0) mergeInto(ctx, data, path);
      else {
        const picked: Ctx = {};
        for (const k of keys) {
          if (!Object.hasOwn(data, k)) throw new TemplateError(`${where}: could not find '${k}' in '${path}'`);
          picked[k] = data[k];
        }
        mergeInto(ctx, picked, path);
      }
    } else throw new TemplateError(`${where}[${i}]: expected a file name or a mapping`);
  }
}

/** DVC's `_merge(into, update, overwrite=False)`: mappings merge, anything else defined twice is an error. */
function mergeInto(into: Ctx, update: Ctx, source: string, path = ""): void {
  for (const [k, v] of Object.entries(update)) {
    const cur = into[k];
    const at = path ? `${path}.${k}` : k;
    if (isRecord(cur) && isRecord(v)) mergeInto(cur, v, source, at);
    else if (Object.hasOwn(into, k)) throw new TemplateError(`vars: cannot redefine '${at}' from '${source}' as it already exists`);
    else into[k] = isRecord(v) ? structuredClone(v) : v;
  }
}

function* expandStage(name: string, def: Record<string, unknown>, ctx: Ctx): Generator<[string, unknown, Ctx]> {
  if ("matrix" in def) {
    const matrix = resolve(def.matrix, ctx, `stages.${name}.matrix`, null);
    if (!isRecord(matrix)) throw new TemplateError(`stages.${name}.matrix: expected a dictionary, got ${pyType(matrix)}`);
    let combos: { item: Record<string, unknown>; key: string[] }[] = [{ item: {}, key: [] }];
    for (const [axis, values] of Object.entries(matrix)) {
      const list = iterate(values, `stages.${name}.matrix.${axis}`);
      if (combos.length * list.length > MAX_EXPANDED_STAGES) throw tooMany(`stages.${name}.matrix`);
      // A mapping or list value is named by its axis and position (MatrixDefinition.normalized_iterable).
      combos = combos.flatMap((c) => list.map((v, i) => ({ item: { ...c.item, [axis]: v }, key: [...c.key, isComposite(v) ? `${axis}${i}` : toStr(v, "")] })));
    }
    const body = { ...def };
    delete body.matrix;
    const seen = new Map<string, Record<string, unknown>>();
    for (const { item, key } of combos) seen.set(key.join("-"), item);
    for (const [key, item] of seen) yield [`${name}@${key}`, body, { ...ctx, item, key }];
    return;
  }
  if ("foreach" in def) {
    const items = resolve(def.foreach, ctx, `stages.${name}.foreach`, null);
    // ForeachDefinition.normalized_iterable: mapping keys; a list's items, or its indexes when one is composite.
    const entries = new Map<string, unknown>();
    if (Array.isArray(items)) {
      const composite = items.some(isComposite);
      items.forEach((item, i) => entries.set(composite ? String(i) : toStr(item, ""), item));
    } else if (isRecord(items)) for (const [k, v] of Object.entries(items)) entries.set(k, v);
    else throw new TemplateError(`stages.${name}.foreach: expected list/dictionary, got ${pyType(items)}`);
    if (entries.size > MAX_EXPANDED_STAGES) throw tooMany(`stages.${name}.foreach`);
    // `key` is only defined for a mapping (ForeachDefinition._inserted_keys).
    for (const [key, item] of entries) yield [`${name}@${key}`, def.do, isRecord(items) ? { ...ctx, item, key } : { ...ctx, item }];
    return;
  }
  yield [name, def, ctx];
}

/** Python's iteration over a matrix axis: a list's items, a mapping's keys, a string's characters. */
function iterate(v: unknown, where: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (isRecord(v)) return Object.keys(v);
  if (typeof v === "string") return [...v];
  throw new TemplateError(`${where}: '${pyType(v)}' object is not iterable`);
}

function tooMany(where: string): TemplateError {
  return new TemplateError(`${where}: expands to more than ${MAX_EXPANDED_STAGES.toLocaleString("en-US")} stages`);
}

/** Context.resolve: every string (mapping keys too) interpolated; `key` is the stage key DVC validates against (null: not validated). */
function resolve(v: unknown, ctx: Ctx, where: string, key: string | null): unknown {
  if (typeof v === "string") return resolveString(v, ctx, where, key);
  if (Array.isArray(v)) return v.map((x, i) => resolve(x, ctx, `${where}[${i}]`, key));
  if (isRecord(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const name = resolveString(k, ctx, where, key);
      out[typeof name === "string" ? name : toStr(name, where)] = resolve(x, ctx, `${where}.${k}`, key);
    }
    return out;
  }
  return v;
}

/** Context.resolve_str: "${x}" alone is x itself (any type); otherwise each value's to_str, then `\${` → `${`. */
function resolveString(s: string, ctx: Ctx, where: string, key: string | null): unknown {
  const matches = [...s.matchAll(KEYCRE)];
  if (matches.length === 1 && matches[0]![0] === s) {
    const value = select(ctx, matches[0]![1]!, where);
    validate(value, key, where);
    return value;
  }
  let length = s.length;
  let out = "";
  let index = 0;
  for (const m of matches) {
    const value = select(ctx, m[1]!, where);
    validate(value, key, where);
    const part = toStr(value, where);
    // "${big}${big}..." must not build a gigabyte string out of a small file.
    if ((length += part.length) > MAX_INTERPOLATED_LENGTH) throw new TemplateError(`${where}: interpolated string is longer than ${MAX_INTERPOLATED_LENGTH.toLocaleString("en-US")} characters`);
    out += s.slice(index, m.index) + part;
    index = m.index + m[0].length;
  }
  return (out + s.slice(index)).replaceAll("\\${", "${");
}

/** DVC's validate_value: in a stage key (cmd aside) only primitives and null may be interpolated. */
function validate(value: unknown, key: string | null, where: string): void {
  if (key === null || key.includes("foreach")) return;
  if (isComposite(value)) throw new TemplateError(`${where}: Cannot interpolate data of type '${pyType(value)}'`);
}

/** Context.select: `a.b[0]` is `a.b.0`; each part stripped; a list index is Python's int() (negative counts from the end). */
function select(ctx: Ctx, expr: string, where: string): unknown {
  if (!EXPR.test(expr)) throw new TemplateError(`${where}: cannot parse '\${${expr}}'`);
  let cur: unknown = ctx;
  for (const raw of expr.replaceAll("[", ".").replaceAll("]", "").split(".")) {
    const part = raw.trim();
    if (isRecord(cur) && Object.hasOwn(cur, part)) cur = cur[part];
    else if (Array.isArray(cur) && /^[+-]?\d(?:_?\d)*$/.test(part)) {
      const n = Number(part.replaceAll("_", ""));
      const i = n < 0 ? cur.length + n : n;
      if (i < 0 || i >= cur.length) throw notFound(expr, where);
      cur = cur[i];
    } else throw notFound(expr, where);
  }
  return cur;
}

function notFound(expr: string, where: string): TemplateError {
  return new TemplateError(`${where}: could not find '${expr}' to interpolate`);
}

/**
 * DVC's `to_str`: a boolean is `true`/`false`, a mapping `--key value` flags (flattened with dots, strings
 * shell-quoted, lists as `--key a b`, a true boolean a bare `--key`), anything else Python's str() (a
 * list is its repr, `['a', 1]`; null is `None`).
 */
function toStr(v: unknown, where: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return pyFloatRepr(v);
  if (isRecord(v)) {
    let out = "";
    for (const [k, x] of flatten(v)) {
      if (typeof x === "boolean") {
        if (x) out += `--${k} `;
      } else if (typeof x === "string") out += `--${k} ${shellQuote(x)} `;
      else if (Array.isArray(x)) {
        x.forEach((item, n) => {
          if (isComposite(item)) throw new TemplateError(`${where}: Cannot interpolate nested iterable in '${k}'`);
          const s = typeof item === "string" ? shellQuote(item) : pyStr(item);
          out += n > 0 ? `${s} ` : `--${k} ${s} `;
        });
      } else if (!isRecord(x)) out += `--${k} ${pyStr(x)} `;
    }
    return out.trimEnd();
  }
  return pyStr(v);
}

function pyStr(v: unknown): string {
  return typeof v === "string" ? v : pyRepr(v as Value);
}

/** flatten_dict.flatten(d, reducer="dot"): nested mappings become dotted keys; an empty one stays a leaf. */
function flatten(v: Record<string, unknown>, prefix = ""): [string, unknown][] {
  return Object.entries(v).flatMap(([k, x]) => (isRecord(x) && Object.keys(x).length > 0 ? flatten(x, `${prefix}${k}.`) : [[`${prefix}${k}`, x] as [string, unknown]]));
}

/** Python's shlex.quote. */
function shellQuote(s: string): string {
  if (s === "") return "''";
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replaceAll("'", `'"'"'`)}'`;
}

function pyType(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (Array.isArray(v)) return "list";
  if (isRecord(v)) return "dict";
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return "float";
  if (typeof v === "boolean") return "bool";
  return "str";
}

function isComposite(v: unknown): boolean {
  return Array.isArray(v) || isRecord(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
