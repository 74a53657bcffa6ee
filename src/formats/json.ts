import { FormatError, depthError } from "./errors.js";
import { newObj, type Obj, type Value } from "./value.js";

/**
 * JSON as Python's `json.loads` reads it, which is what DVC uses:
 * integers stay integers (bigint) and floats stay floats, `NaN`/`Infinity`/`-Infinity` are accepted,
 * a duplicated key keeps the last value. Written by hand because JSON.parse loses `2.0` vs `2`
 * and rejects NaN; it is iterative in nothing but nesting, which is bounded by `maxDepth`.
 */
export function parseJson(text: string, maxDepth: number): Value {
  return new JsonParser(text, maxDepth).parseDocument();
}

const enum C {
  TAB = 9,
  LF = 10,
  CR = 13,
  SPACE = 32,
  QUOTE = 34,
  PLUS = 43,
  COMMA = 44,
  MINUS = 45,
  DOT = 46,
  ZERO = 48,
  NINE = 57,
  COLON = 58,
  UPPER_E = 69,
  LBRACKET = 91,
  BACKSLASH = 92,
  RBRACKET = 93,
  LOWER_E = 101,
  LBRACE = 123,
  RBRACE = 125,
}

class JsonParser {
  private pos = 0;
  constructor(
    private readonly src: string,
    private readonly maxDepth: number,
  ) {}

  parseDocument(): Value {
    this.skipWs();
    const v = this.parseValue(0);
    this.skipWs();
    if (this.pos < this.src.length) this.fail("unexpected content after the end of the document");
    return v;
  }

  private parseValue(depth: number): Value {
    const c = this.src.charCodeAt(this.pos);
    switch (c) {
      case C.LBRACE:
        return this.parseObject(depth + 1);
      case C.LBRACKET:
        return this.parseArray(depth + 1);
      case C.QUOTE:
        return this.parseString();
      case 116:
        return this.literal("true", true);
      case 102:
        return this.literal("false", false);
      case 110:
        return this.literal("null", null);
      case 78:
        return this.literal("NaN", NaN);
      case 73:
        return this.literal("Infinity", Infinity);
      default:
        if (c === C.MINUS && this.src.startsWith("-Infinity", this.pos)) return this.literal("-Infinity", -Infinity);
        if (c === C.MINUS || (c >= C.ZERO && c <= C.NINE)) return this.parseNumber();
        if (Number.isNaN(c)) this.fail("unexpected end of file");
        return this.fail(`unexpected ${describe(this.src[this.pos]!)}`);
    }
  }

  private parseObject(depth: number): Obj {
    if (depth > this.maxDepth) throw this.at(depthError(this.maxDepth).message);
    const obj = newObj();
    this.pos++;
    this.skipWs();
    if (this.src.charCodeAt(this.pos) === C.RBRACE) {
      this.pos++;
      return obj;
    }
    for (;;) {
      if (this.src.charCodeAt(this.pos) !== C.QUOTE) this.fail("expected a property name in double quotes");
      const key = this.parseString();
      this.skipWs();
      if (this.src.charCodeAt(this.pos) !== C.COLON) this.fail("expected ':' after a property name");
      this.pos++;
      this.skipWs();
      obj[key] = this.parseValue(depth);
      this.skipWs();
      const c = this.src.charCodeAt(this.pos++);
      if (c === C.RBRACE) return obj;
      if (c !== C.COMMA) {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
      this.skipWs();
    }
  }

  private parseArray(depth: number): Value[] {
    if (depth > this.maxDepth) throw this.at(depthError(this.maxDepth).message);
    const arr: Value[] = [];
    this.pos++;
    this.skipWs();
    if (this.src.charCodeAt(this.pos) === C.RBRACKET) {
      this.pos++;
      return arr;
    }
    for (;;) {
      arr.push(this.parseValue(depth));
      this.skipWs();
      const c = this.src.charCodeAt(this.pos++);
      if (c === C.RBRACKET) return arr;
      if (c !== C.COMMA) {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
      this.skipWs();
    }
  }

  private parseString(): string {
    const src = this.src;
    let start = ++this.pos;
    let out = "";
    for (;;) {
      const c = src.charCodeAt(this.pos);
      if (c === C.QUOTE) {
        out += src.slice(start, this.pos++);
        return out;
      }
      if (c === C.BACKSLASH) {
        out += src.slice(start, this.pos);
        out += this.parseEscape();
        start = this.pos;
        continue;
      }
      if (Number.isNaN(c)) this.fail("unterminated string");
      if (c < 0x20) this.fail("control character in a string");
      this.pos++;
    }
  }

  private parseEscape(): string {
    const e = this.src[this.pos + 1];
    this.pos += 2;
    switch (e) {
      case '"':
        return '"';
      case "\\":
        return "\\";
      case "/":
        return "/";
      case "b":
        return "\b";
      case "f":
        return "\f";
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "\t";
      case "u": {
        const hex = this.src.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          this.pos -= 2;
          this.fail("invalid \\u escape");
        }
        this.pos += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        this.pos -= 2;
        return this.fail("invalid escape in a string");
    }
  }

  private parseNumber(): bigint | number {
    const src = this.src;
    const start = this.pos;
    let isFloat = false;
    if (src.charCodeAt(this.pos) === C.MINUS) this.pos++;
    const first = src.charCodeAt(this.pos);
    if (first === C.ZERO) this.pos++;
    else if (first >= C.ZERO + 1 && first <= C.NINE) this.digits();
    else this.fail("invalid number");
    if (src.charCodeAt(this.pos) === C.DOT) {
      isFloat = true;
      this.pos++;
      if (this.digits() === 0) this.fail("invalid number: digits expected after '.'");
    }
    const e = src.charCodeAt(this.pos);
    if (e === C.LOWER_E || e === C.UPPER_E) {
      isFloat = true;
      this.pos++;
      const s = src.charCodeAt(this.pos);
      if (s === C.PLUS || s === C.MINUS) this.pos++;
      if (this.digits() === 0) this.fail("invalid number: digits expected in the exponent");
    }
    const token = src.slice(start, this.pos);
    return isFloat ? Number(token) : BigInt(token);
  }

  private digits(): number {
    const start = this.pos;
    for (let c = this.src.charCodeAt(this.pos); c >= C.ZERO && c <= C.NINE; c = this.src.charCodeAt(++this.pos));
    return this.pos - start;
  }

  private literal<T extends Value>(word: string, value: T): T {
    if (!this.src.startsWith(word, this.pos)) this.fail(`unexpected ${describe(this.src[this.pos]!)}`);
    this.pos += word.length;
    return value;
  }

  private skipWs(): void {
    for (let c = this.src.charCodeAt(this.pos); c === C.SPACE || c === C.LF || c === C.CR || c === C.TAB; c = this.src.charCodeAt(++this.pos));
  }

  private fail(message: string): never {
    throw this.at(message);
  }

  private at(message: string): FormatError {
    const before = this.src.slice(0, this.pos);
    const line = before.split("\n").length;
    const column = this.pos - before.lastIndexOf("\n");
    return new FormatError(`invalid JSON at line ${line} column ${column}: ${message}`);
  }
}

function describe(ch: string): string {
  const code = ch.codePointAt(0)!;
  return code < 0x20 || code === 0x7f ? `character U+${code.toString(16).padStart(4, "0").toUpperCase()}` : `'${ch}'`;
}
