/**
 * The parsed content of a metrics/params/plots file.
 *
 * Integers are `bigint` and floats are `number` so that the int/float distinction of the
 * source file survives: DVC prints `2.0` for a float and `2` for an int, and `3 - 1.0` is `2.0`.
 * Objects have a null prototype so that keys such as `__proto__` from a hostile file are plain keys.
 */
export type Scalar = bigint | number | boolean | string | null;
export type Value = Scalar | Value[] | Obj;
export interface Obj {
  [key: string]: Value;
}

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function newObj(): Obj {
  return Object.create(null) as Obj;
}

/** Python's `isinstance(v, (int, float))`: bool counts, as it is an int subclass. */
export function isNumeric(v: unknown): v is bigint | number | boolean {
  return typeof v === "bigint" || typeof v === "number" || typeof v === "boolean";
}

/** Plain JS numbers for consumers that do arithmetic in doubles (plots). */
export function toPlain(v: Value): unknown {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(toPlain);
  if (isObj(v)) {
    const out = Object.create(null) as Record<string, unknown>;
    for (const k of Object.keys(v)) out[k] = toPlain(v[k] as Value);
    return out;
  }
  return v;
}
