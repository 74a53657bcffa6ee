import type { Value } from "../formats/value.js";

type Num = bigint | number | boolean;

/** `new - old` with Python's types: int - int is an int (bool counts as int), anything else a float. */
export function subtract(a: Num, b: Num): bigint | number {
  if (typeof a !== "number" && typeof b !== "number") return toBig(a) - toBig(b);
  return Number(a) - Number(b);
}

/** Python's `==` on parsed values: 1 == 1.0 == True, NaN != NaN, "1" != 1. */
export function pyEquals(a: Value, b: Value): boolean {
  if (isNum(a) && isNum(b)) {
    if (typeof a !== "number" && typeof b !== "number") return toBig(a) === toBig(b);
    if (typeof a === "number" && typeof b === "number") return a === b;
    const [f, i] = typeof a === "number" ? [a, b] : [b as number, a];
    return Number.isInteger(f) && BigInt(f) === toBig(i as bigint | boolean);
  }
  return a === b;
}

function isNum(v: Value): v is Num {
  return typeof v === "bigint" || typeof v === "number" || typeof v === "boolean";
}

function toBig(v: bigint | boolean): bigint {
  return typeof v === "boolean" ? (v ? 1n : 0n) : v;
}
