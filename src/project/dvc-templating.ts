import { joinRepoPath } from "../revisions/paths.js";

type Plain = unknown;
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

/** A path or command built by interpolation is never this long; a longer one is an amplification attack. */
export const MAX_INTERPOLATED_LENGTH = 65_536;

const WHOLE = /^\$\{\s*([^}]+?)\s*\}$/;
const ANY = /\$\{\s*([^}]+?)\s*\}/g;

/**
 * DVC's parametrisation (dvc/parsing), enough to know which files a pipeline declares: the context is
 * the dvc.yaml directory's params.yaml plus `vars` (files, "file:key1,key2", or inline mappings);
 * `${a.b}` is replaced in every string (keeping the value's type when it is the whole string);
 * `foreach`/`do` and `matrix` stages are expanded to one stage per item, named "stage@key".
 */
export async function expandTemplates(raw: Plain, dir: string, load: VarsLoader, stageBudget: StageBudget = () => true): Promise<Plain> {
  if (!isRecord(raw)) return raw;
  // Only a dvc.yaml that interpolates reads params.yaml and vars: a broken params.yaml must not make a
  // plain pipeline unreadable (it is reported by the params diff instead).
  const interpolates = JSON.stringify(raw).includes("${");
  const ctx: Ctx = interpolates ? { ...((await load(joinRepoPath(dir, "params.yaml"))) ?? {}) } : {};
  if (interpolates) await addVars(ctx, raw.vars, dir, load);
  const out: Record<string, unknown> = { ...raw };
  delete out.vars;
  for (const key of ["metrics", "params", "plots"]) if (key in raw) out[key] = substitute(raw[key], ctx, key);
  if (isRecord(raw.stages)) {
    const stages: Record<string, unknown> = {};
    let count = 0;
    for (const [name, def] of Object.entries(raw.stages)) {
      if (!isRecord(def)) continue;
      const local = { ...ctx };
      if (interpolates) await addVars(local, def.vars, dir, load);
      for (const [stageName, body, scope] of expandStage(name, def, local)) {
        if (++count > MAX_EXPANDED_STAGES) throw tooMany("stages");
        if (!stageBudget()) throw new StageBudgetError();
        stages[stageName] = substitute(body, scope, `stages.${stageName}`);
      }
    }
    out.stages = stages;
  }
  return out;
}

async function addVars(ctx: Ctx, vars: unknown, dir: string, load: VarsLoader): Promise<void> {
  if (!Array.isArray(vars)) return;
  for (const v of vars) {
    if (isRecord(v)) Object.assign(ctx, v);
    else if (typeof v === "string") {
      const [file, keys] = v.split(":", 2) as [string, string | undefined];
      const data = await load(joinRepoPath(dir, file));
      if (!data) throw new TemplateError(`vars file '${file}' not found`);
      if (keys) for (const k of keys.split(",")) ctx[k.trim()] = lookup(data, k.trim(), `vars '${v}'`);
      else Object.assign(ctx, data);
    }
  }
}

function* expandStage(name: string, def: Record<string, unknown>, ctx: Ctx): Generator<[string, unknown, Ctx]> {
  if ("foreach" in def) {
    const items = substitute(def.foreach, ctx, `stages.${name}.foreach`);
    const entries: [string, unknown][] = Array.isArray(items)
      ? items.map((item, i) => [isScalar(item) ? String(item) : String(i), item])
      : isRecord(items)
        ? Object.entries(items)
        : [];
    if (entries.length > MAX_EXPANDED_STAGES) throw tooMany(`stages.${name}.foreach`);
    for (const [key, item] of entries) yield [`${name}@${key}`, def.do, { ...ctx, item, key }];
    return;
  }
  if (isRecord(def.matrix)) {
    let combos: { item: Record<string, unknown>; key: string[] }[] = [{ item: {}, key: [] }];
    for (const [axis, values] of Object.entries(def.matrix)) {
      const list = substitute(values, ctx, `stages.${name}.matrix.${axis}`);
      if (!Array.isArray(list)) continue;
      if (combos.length * list.length > MAX_EXPANDED_STAGES) throw tooMany(`stages.${name}.matrix`);
      // A mapping or list value is named by its axis and position, as DVC does (it has no str() worth using).
      combos = combos.flatMap((c) => list.map((v, i) => ({ item: { ...c.item, [axis]: v }, key: [...c.key, isScalar(v) ? String(v) : `${axis}${i}`] })));
    }
    const body = { ...def };
    delete body.matrix;
    for (const { item, key } of combos) yield [`${name}@${key.join("-")}`, body, { ...ctx, item, key: key.join("-") }];
    return;
  }
  yield [name, def, ctx];
}

function tooMany(where: string): TemplateError {
  return new TemplateError(`${where}: expands to more than ${MAX_EXPANDED_STAGES.toLocaleString("en-US")} stages`);
}

function substitute(v: unknown, ctx: Ctx, where: string): unknown {
  if (typeof v === "string") {
    const whole = WHOLE.exec(v);
    if (whole) return lookup(ctx, whole[1]!, where);
    let length = v.length;
    return v.replace(ANY, (_, expr: string) => {
      const s = toStr(lookup(ctx, expr, where));
      // "${big}${big}..." must not build a gigabyte string out of a small file.
      if ((length += s.length) > MAX_INTERPOLATED_LENGTH) throw new TemplateError(`${where}: interpolated string is longer than ${MAX_INTERPOLATED_LENGTH.toLocaleString("en-US")} characters`);
      return s;
    });
  }
  if (Array.isArray(v)) return v.map((x, i) => substitute(x, ctx, `${where}[${i}]`));
  if (isRecord(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[substitute(k, ctx, where) as string] = substitute(x, ctx, `${where}.${k}`);
    return out;
  }
  return v;
}

function lookup(ctx: Ctx, expr: string, where: string): unknown {
  let cur: unknown = ctx;
  for (const part of expr.replace(/\[(\d+)\]/g, ".$1").split(".")) {
    if (isRecord(cur) && part in cur) cur = cur[part];
    else if (Array.isArray(cur) && /^\d+$/.test(part) && Number(part) < cur.length) cur = cur[Number(part)];
    else throw new TemplateError(`${where}: could not find '${expr}' to interpolate`);
  }
  return cur;
}

/**
 * DVC's `to_str` (dvc/parsing/interpolate.py): a list inside a string is its items joined by spaces, a
 * mapping becomes `--key value` flags (a true boolean a bare `--key`); used in `cmd`, which real pipelines do.
 */
function toStr(v: unknown): string {
  if (Array.isArray(v)) return v.map(toStr).join(" ");
  if (isRecord(v)) {
    const flags: string[] = [];
    for (const [k, x] of Object.entries(v)) {
      if (x === true) flags.push(`--${k}`);
      else if (x !== false) flags.push(`--${k} ${toStr(x)}`);
    }
    return flags.join(" ");
  }
  return String(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): boolean {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}
