import { describe, expect, it } from "vitest";
import { parseJson } from "../../src/formats/json.js";
import { isObj, type Value } from "../../src/formats/value.js";
import { mlreview } from "../helpers/cli.js";
import { vectors } from "../helpers/fixtures.js";
import { makeRepo } from "../helpers/git-repo.js";

/** HEAD~N as the old revision means N commits after it; the extra ones carry the same files. */
function repoFor(old: Record<string, string>, neu: Record<string, string>, aRev: string): string {
  const back = aRev === "HEAD" ? 0 : Number(/^HEAD~(\d+)$/.exec(aRev)?.[1]);
  return makeRepo({ commits: Array.from({ length: back + 1 }, () => old), workspace: neu });
}

function field(v: Value, ...keys: string[]): Value {
  let cur: Value = v;
  for (const k of keys) cur = isObj(cur) ? (cur[k] ?? null) : null;
  return cur;
}

describe.each(vectors(["metrics_diff", "params_diff", "metrics_diff_cli"]))("DVC vector $plain.name", ({ plain: v, typed }) => {
  const cmd = v.kind === "params_diff" ? "params" : "metrics";
  const aRev = v.call.a_rev ?? "HEAD";
  const targets = v.call.targets ? ["--targets", ...v.call.targets] : [];
  const dir = repoFor(v.old!, v.new!, aRev);

  if (v.expected.diff !== undefined) {
    it("--json gives DVC's diff, with DVC's ints and floats", async () => {
      const r = await mlreview([cmd, "diff", aRev, "--json", ...targets], { cwd: dir });
      expect(r.code).toBe(0);
      expect(parseJson(r.stdout, 64)).toEqual(field(typed, "expected", "diff"));
    });
  }

  if (v.expected.errors) {
    it("reports the unreadable file on stderr and still exits 0", async () => {
      const r = await mlreview([cmd, "diff", aRev], { cwd: dir });
      expect(r.code).toBe(0);
      const errors = v.expected.errors as Record<string, Record<string, string>>;
      for (const [rev, files] of Object.entries(errors)) {
        for (const path of Object.keys(files)) {
          const kind = files[path]!.includes("FileNotFound") ? /no such file/ : /invalid JSON at line \d+ column \d+/;
          const line = r.stderr.split("\n").find((l) => l.startsWith(`mlreview: ${rev}: ${path}: `));
          expect(line).toMatch(kind);
        }
      }
    });
  }

  const withTargets = (v.expected.with_targets ?? {}) as Record<string, { diff: unknown }>;
  for (const [list, expected] of Object.entries(withTargets)) {
    const files = JSON.parse(list.replace(/'/g, '"')) as string[];
    it(`--targets ${files.join(" ")}`, async () => {
      const r = await mlreview([cmd, "diff", aRev, "--json", "--targets", ...files], { cwd: dir });
      expect(JSON.parse(r.stdout)).toEqual(expected.diff);
    });
  }

  if (v.expected.stdout) {
    it("prints DVC's exact plain table", async () => {
      const r = await mlreview(v.call.argv ?? [cmd, "diff", aRev], { cwd: dir });
      expect(r.stdout).toBe(v.expected.stdout);
    });
  }

  const md = v.markdown ?? v.markdown_derived;
  if (md) {
    it("--md prints DVC's Markdown table", async () => {
      const r = await mlreview([cmd, "diff", aRev, "--md", ...targets], { cwd: dir });
      expect(r.stdout).toBe(md);
    });
  }
});
