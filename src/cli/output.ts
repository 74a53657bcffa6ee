import { relative, resolve, sep } from "node:path";
import type { Diff, RevisionProblem } from "../compare/index.js";
import { pyJsonDumps } from "../python/json.js";
import type { CliStream } from "./io.js";

/** One line per unreadable file or revision on stderr; like DVC, they do not change the exit code. */
export function reportProblems(problems: readonly RevisionProblem[], stderr: CliStream): void {
  for (const p of problems) stderr.write(`${oneLine(`mlreview: ${p.rev}: ${p.path ? `${p.path}: ` : ""}${p.message}`)}\n`);
}

/** Repository text in a terminal line: a newline in a path must not forge a second line, an ESC not drive the terminal. */
export function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === "\n" ? "\\n" : c === "\t" ? "\\t" : c === "\r" ? "\\r" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

/** DVC prints paths relative to the current directory when it is inside the repository. */
export function displayPaths(diff: Diff, root: string, cwd: string, explicitRepo: boolean): Diff {
  const rel = relative(root, resolve(cwd));
  if (explicitRepo || rel === "" || rel.startsWith("..")) return diff;
  const base = resolve(root, rel);
  return new Map([...diff].map(([p, v]) => [relative(base, resolve(root, p)).split(sep).join("/"), v]));
}

/** `--json`: DVC's structure, compact when piped and indented on a terminal, as `dvc ... --json` does. */
export function diffJson(diff: Diff, stdout: CliStream): string {
  const obj = new Map([...diff].map(([path, entries]) => [path, new Map([...entries].map(([k, e]) => [k, { ...e }]))]));
  return pyJsonDumps(obj, stdout.isTTY ? 2 : undefined);
}
