import { isObj, type Value } from "../formats/value.js";

/**
 * Python's `repr(float)`: shortest round-trip digits (as JS), but exponent notation below 1e-4
 * and from 1e16 on, a two-digit signed exponent, and `.0` on integral values.
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const abs = Math.abs(x);
  if (abs >= 1e-4 && abs < 1e16) {
    // Here JS also prints plain digits (it switches to exponents only below 1e-6 and from 1e21).
    const plain = String(x);
    return plain.includes(".") ? plain : `${plain}.0`;
  }
  const [mantissa, expText] = x.toExponential().split("e") as [string, string];
  const exp = Number(expText);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  const sign = negative ? "-" : "";
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, "0");
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${e}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac || "0"}`;
}

/**
 * Python's `round(x, ndigits)` for floats: correctly rounded on the exact binary value, ties to even.
 * `toFixed` is also exact but breaks ties upwards, so ties are detected and settled here.
 */
export function pyRound(x: number, ndigits: number): number {
  if (!Number.isFinite(x) || x === 0 || Math.abs(x) >= 1e21) return x;
  const fixed = x.toFixed(ndigits);
  if (!isExactTie(x, ndigits)) return Number(fixed);
  const down = Number(((x < 0 ? -1 : 1) * Math.floor(Math.abs(x) * 10 ** ndigits)) / 10 ** ndigits);
  const downText = Math.abs(down).toFixed(ndigits);
  const lastDigit = Number(downText[downText.length - 1]);
  return lastDigit % 2 === 0 ? Number((x < 0 ? "-" : "") + downText) : Number(fixed);
}

/** True when x lies exactly halfway between two multiples of 10^-ndigits. */
function isExactTie(x: number, ndigits: number): boolean {
  // A tie has exactly ndigits+1 decimals ending in 5, so its shortest repr has that form too.
  const s = Math.abs(x).toString();
  if (s.includes("e")) return false;
  const dot = s.indexOf(".");
  if (dot < 0 || s.length - dot - 1 !== ndigits + 1 || !s.endsWith("5")) return false;
  return exactDecimal(Math.abs(x)) === s;
}

/** The exact decimal expansion of a finite non-negative double. */
function exactDecimal(x: number): string {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  if (exp >= 0) return (mant << BigInt(exp)).toString();
  const scaled = (mant * 5n ** BigInt(-exp)).toString().padStart(-exp + 1, "0");
  const intPart = scaled.slice(0, scaled.length + exp);
  const frac = scaled.slice(scaled.length + exp).replace(/0+$/, "");
  return frac ? `${intPart}.${frac}` : intPart;
}

/** Python's `str()` of a value as DVC puts it in a table cell. */
export function pyStr(v: Value | undefined): string {
  if (typeof v === "string") return v;
  return pyRepr(v);
}

/** Python's `repr()`: used for list params (`str(list)` reprs the items) and composite cells. */
export function pyRepr(v: Value | undefined): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return pyFloatRepr(v);
  if (typeof v === "string") return pyStringRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (isObj(v))
    return `{${Object.keys(v)
      .map((k) => `${pyStringRepr(k)}: ${pyRepr(v[k])}`)
      .join(", ")}}`;
  return String(v);
}

function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}
