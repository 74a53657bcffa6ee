/** A mapping key as Python's str() would print it, so that flattened keys match DVC's. */
export function pyKey(k: unknown): string {
  if (typeof k === "string") return k;
  if (k === null || k === undefined) return "None";
  if (k === true) return "True";
  if (k === false) return "False";
  if (typeof k === "bigint") return k.toString();
  if (typeof k === "number") return Number.isInteger(k) && Math.abs(k) < 1e16 ? `${k}.0` : String(k);
  return String(k);
}
