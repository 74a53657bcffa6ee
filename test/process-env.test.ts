// Nothing in src/ reads process.env but the entry points and the few places named below: the bot's
// settings are built once (src/app/settings.ts), the CLI's environment is read once by its main.ts.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const SRC = join(ROOT, "src");

/** The files that may touch process.env, and why. */
const ALLOWED: Record<string, string> = {
  "src/server.ts": "the bot's entry point: loads .env into it, then hands it to the settings, Probot and the logger",
  "src/app/settings.ts": "settingsFromEnv's default argument, for `probot run`'s lazy app (createApp() without settings)",
  "src/cli/main.ts": "the CLI's entry point: reads it once and passes it down (io.env)",
  "src/child-env.ts": "a git child's allow-listed environment is built from this process's (PATH, HOME, locale, proxies)",
  "src/plots/render-worker.ts": "a forked renderer: its environment is exactly what pool.ts gave it (FONTCONFIG_FILE, MLREVIEW_FONT_DIR)",
  "src/revisions/dvc/stores/s3.ts": "sets the AWS SDK's own warning switch, which the SDK reads from process.env only (never read by mlreview)",
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|mts|cts)$/.test(e.name) && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** Each `process.env`, `process["env"]` and `{ env } = process` in a file's syntax tree (comments and strings do not count). */
function envReads(file: string): number[] {
  const text = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lines: number[] = [];
  const at = (n: ts.Node) => lines.push(sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1);
  const isProcess = (n: ts.Node) => ts.isIdentifier(n) && n.text === "process";
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAccessExpression(n) && isProcess(n.expression) && n.name.text === "env") at(n);
    else if (ts.isElementAccessExpression(n) && isProcess(n.expression) && ts.isStringLiteralLike(n.argumentExpression) && n.argumentExpression.text === "env") at(n);
    else if (ts.isVariableDeclaration(n) && n.initializer && isProcess(n.initializer) && ts.isObjectBindingPattern(n.name)) {
      if (n.name.elements.some((e) => ((e.propertyName ?? e.name) as ts.Identifier).text === "env")) at(n);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return lines;
}

describe("process.env", () => {
  const readers = new Map(
    sources(SRC)
      .map((f) => [relative(ROOT, f).split("\\").join("/"), envReads(f)] as const)
      .filter(([, lines]) => lines.length > 0),
  );

  it("is read nowhere in src/ but the allowed files", () => {
    const offenders = [...readers].filter(([f]) => !(f in ALLOWED)).map(([f, lines]) => `${f}:${lines.join(",")}`);
    expect(offenders).toEqual([]);
  });

  it("every allowed file still needs its entry (a stale entry would hide a new reader)", () => {
    const present = new Set(sources(SRC).map((f) => relative(ROOT, f).split("\\").join("/")));
    const stale = Object.keys(ALLOWED).filter((f) => present.has(f) && !readers.has(f));
    expect(stale).toEqual([]);
  });

  it("the scan finds what it looks for", () => {
    const probe = join(import.meta.dirname, "process-env.probe.txt");
    expect(envReads(probe)).toEqual([1, 2, 3]);
  });
});
