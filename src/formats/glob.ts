import type { StepBudget } from "./budget.js";

/**
 * Globs written in a repository (metrics paths, params key globs, `direction` and `thresholds` keys),
 * matched without regular expressions: a pattern is a list of tokens run as a state set over the input,
 * so one match costs at most (tokens × input length) steps whatever the pattern. Picomatch compiled
 * these to RegExps and passed regex syntax through: `(a+)+b` against 40 `a`s froze the event loop.
 *
 * Syntax: literal text; `*` (any run without `/`); `?` (one character but `/`); `[abc]`, `[a-z]` and
 * `[!abc]`/`[^abc]` (fnmatch's negation: `!` or `^` right after `[`); `**` as a whole path segment
 * (any number of segments); `\x` for a literal x. `**` next to other characters is `*`, as in bash.
 * Extglob, regex and brace syntax (`( ) | + @ ! { }` outside a class) is not syntax here: the matcher
 * takes it literally (as Python's fnmatch, so dvc.yaml keeps DVC's meaning and `run (1).json` is a file
 * name), and `.mlreview.yml` refuses it in key patterns (`direction`, `thresholds`, params keys) with a
 * line naming the key (see globProblem), since a user who wrote it there meant something else.
 */

/** Longer patterns are not globs but text compared as is: no one writes a kilobyte of wildcards. */
export const MAX_PATTERN_LENGTH = 1024;
/** Keys and paths longer than this only match a pattern equal to them: they bound the steps of one match. */
export const MAX_SUBJECT_LENGTH = 4096;

type Token =
  | { t: "lit"; c: number }
  | { t: "any" }
  | { t: "class"; negated: boolean; ranges: [number, number][] }
  | { t: "star" }
  /** `**​/`: zero or more whole segments. */
  | { t: "globstar" }
  /** A final `/**`: nothing, or `/` and anything. */
  | { t: "tail" }
  /** The pattern `**` alone: anything. */
  | { t: "all" };

const SLASH = 47;
const REFUSED = new Set(["(", ")", "|", "+", "@", "!", "{", "}"]);

export interface Glob {
  readonly pattern: string;
  /** True when the pattern has a wildcard; false: it matches only itself. */
  readonly isGlob: boolean;
  /** The directory below which every match lies ("" for the root): where a path glob is listed from. */
  readonly base: string;
  /** Does `subject` match? False, without matching, once the budget's `matchSteps` are spent. */
  match(subject: string, budget?: StepBudget): boolean;
}

const cache = new Map<string, Glob>();
/** Compiled patterns kept: a config has a handful, a hostile one many, and all are short. */
const MAX_CACHED = 10_000;

export function compileGlob(pattern: string): Glob {
  let g = cache.get(pattern);
  if (g) return g;
  g = build(pattern);
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(pattern, g);
  return g;
}

/** Does `pattern` have a wildcard (and so is matched rather than compared)? */
export function isGlob(pattern: string): boolean {
  return compileGlob(pattern).isGlob;
}

/**
 * Why a pattern from `.mlreview.yml` is refused, or undefined: too long, or using syntax this matcher
 * does not have (extglob, regex groups, alternation, braces, negation).
 */
export function globProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (ch === "]" && !(pattern[i - 1] === "[" || ((pattern[i - 1] === "!" || pattern[i - 1] === "^") && pattern[i - 2] === "["))) inClass = false;
      continue;
    }
    if (ch === "[" && pattern.indexOf("]", i + 2) > 0) {
      inClass = true;
      continue;
    }
    if (REFUSED.has(ch)) return `'${ch}' is not glob syntax (only *, **, ? and [...] are; write \\${ch} for the character itself)`;
  }
  return undefined;
}

function build(pattern: string): Glob {
  const tokens = pattern.length > MAX_PATTERN_LENGTH ? undefined : parse(pattern);
  const wild = tokens !== undefined && tokens.some((t) => t.t !== "lit");
  const literal = tokens === undefined ? pattern : wild ? undefined : String.fromCharCode(...tokens.map((t) => (t as { c: number }).c));
  if (!wild || tokens === undefined) {
    const text = literal ?? pattern;
    return { pattern, isGlob: false, base: text, match: (s) => s === text };
  }
  return { pattern, isGlob: true, base: baseOf(tokens), match: (s, budget) => run(tokens, s, budget) };
}

function parse(p: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (ch === "\\" && i + 1 < p.length) {
      out.push({ t: "lit", c: p.charCodeAt(++i) });
    } else if (ch === "*") {
      let j = i;
      while (p[j + 1] === "*") j++;
      const run = j - i + 1;
      const segStart = i === 0 || p[i - 1] === "/";
      const segEnd = j === p.length - 1 || p[j + 1] === "/";
      if (run >= 2 && segStart && segEnd) {
        if (i === 0 && j === p.length - 1) out.push({ t: "all" });
        else if (j === p.length - 1) {
          out.pop(); // the "/" before it belongs to the tail: "a/**" matches "a" too
          out.push({ t: "tail" });
        } else {
          out.push({ t: "globstar" });
          j++; // its "/"
        }
      } else if (out[out.length - 1]?.t !== "star") out.push({ t: "star" });
      i = j;
    } else if (ch === "?") {
      out.push({ t: "any" });
    } else if (ch === "[") {
      const cls = parseClass(p, i);
      if (cls) {
        out.push(cls.token);
        i = cls.end;
      } else out.push({ t: "lit", c: 91 });
    } else out.push({ t: "lit", c: p.charCodeAt(i) });
  }
  return out;
}

/** `[...]` starting at `start`, or undefined when it does not close (then `[` is literal). */
function parseClass(p: string, start: number): { token: Token; end: number } | undefined {
  let i = start + 1;
  const negated = p[i] === "!" || p[i] === "^";
  if (negated) i++;
  const ranges: [number, number][] = [];
  let first = true;
  for (; i < p.length; i++) {
    let ch = p.charCodeAt(i);
    if (p[i] === "]" && !first) return { token: { t: "class", negated, ranges }, end: i };
    first = false;
    if (p[i] === "\\" && i + 1 < p.length) ch = p.charCodeAt(++i);
    if (p[i + 1] === "-" && i + 2 < p.length && p[i + 2] !== "]") {
      let hi = p.charCodeAt(i + 2);
      i += 2;
      if (p[i] === "\\" && i + 1 < p.length) hi = p.charCodeAt(++i);
      ranges.push([ch, hi]);
    } else ranges.push([ch, ch]);
  }
  return undefined;
}

function baseOf(tokens: Token[]): string {
  let text = "";
  for (const t of tokens) {
    if (t.t === "tail") return text;
    if (t.t !== "lit") break;
    text += String.fromCharCode(t.c);
  }
  const slash = text.lastIndexOf("/");
  return slash < 0 ? "" : text.slice(0, slash);
}

function inClass(t: Token & { t: "class" }, c: number): boolean {
  if (c === SLASH) return false;
  let hit = false;
  for (const [lo, hi] of t.ranges) if (c >= lo && c <= hi) hit = true;
  return hit !== t.negated;
}

/**
 * The state-set simulation. State 2i: before token i; 2i+1: inside a globstar segment (or a tail) at
 * token i. Each input character costs one step per live state, and there are at most 2 × tokens + 2.
 */
function run(tokens: Token[], s: string, budget: StepBudget | undefined): boolean {
  if (s.length > MAX_SUBJECT_LENGTH) return false;
  const n = tokens.length;
  const size = 2 * n + 2;
  let cur = new Uint8Array(size);
  let next = new Uint8Array(size);
  const list: number[] = [];
  const add = (set: Uint8Array, st: number, live: number[]) => {
    // Epsilon moves: a star, globstar, tail or all may match nothing.
    while (!set[st]) {
      set[st] = 1;
      live.push(st);
      const i = st >> 1;
      if (i >= n) return;
      const t = tokens[i]!;
      if (st % 2 === 0 ? t.t === "star" || t.t === "globstar" || t.t === "tail" || t.t === "all" : t.t === "tail") st = 2 * (i + 1);
      else return;
    }
  };
  add(cur, 0, list);
  let live = list;
  for (let k = 0; k < s.length; k++) {
    if (live.length === 0) return false;
    if (budget && !budget.take("matchSteps", live.length)) return false;
    const c = s.charCodeAt(k);
    const nextLive: number[] = [];
    for (const st of live) {
      const i = st >> 1;
      if (i >= n) continue;
      const t = tokens[i]!;
      const inside = st % 2 === 1;
      switch (t.t) {
        case "lit":
          if (c === t.c) add(next, 2 * (i + 1), nextLive);
          break;
        case "any":
          if (c !== SLASH) add(next, 2 * (i + 1), nextLive);
          break;
        case "class":
          if (inClass(t, c)) add(next, 2 * (i + 1), nextLive);
          break;
        case "star":
          if (c !== SLASH) add(next, st, nextLive);
          break;
        case "all":
          add(next, st, nextLive);
          break;
        case "globstar":
          add(next, c === SLASH ? 2 * i : 2 * i + 1, nextLive);
          break;
        case "tail":
          if (inside || c === SLASH) add(next, 2 * i + 1, nextLive);
          break;
      }
    }
    for (const st of live) cur[st] = 0;
    [cur, next] = [next, cur];
    live = nextLive;
  }
  return cur[2 * n] === 1;
}
