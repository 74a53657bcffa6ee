import { describe, expect, it } from "vitest";
import type { Diff, Entry } from "../../src/compare/diff.js";
import { diffTable } from "../../src/dvc-output/tables.js";
import { isObj, newObj, type Obj, type Value } from "../../src/formats/value.js";
import { pyJsonDumps } from "../../src/python/json.js";
import { mlreview } from "../helpers/cli.js";
import { typedFixture, vectors } from "../helpers/fixtures.js";
import { makeRepo } from "../helpers/git-repo.js";

/** A flat dotted-key → value map as a nested YAML (flow) document that keeps ints, floats and strings apart. */
function yamlOf(flat: Map<string, Value>): string {
  const root = newObj();
  for (const [k, v] of flat) {
    const parts = k.split(".");
    let node = root;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= newObj()) as Obj;
    node[parts[parts.length - 1]!] = v;
  }
  return pyJsonDumps(root) + "\n";
}

function entries(o: Value): [string, Obj][] {
  return isObj(o) ? Object.keys(o).map((k) => [k, o[k] as Obj]) : [];
}

describe.each(vectors(["diff_table"]))("DVC table vector $plain.name", ({ plain: v, typed }) => {
  const input = (typed as Obj).input as Obj;
  const precision = typeof input.precision === "bigint" ? Number(input.precision) : undefined;

  it("the table renderer gives DVC's cells for DVC's input", () => {
    const diff: Diff = new Map(entries(input.diff!).map(([path, keys]) => [path, new Map(entries(keys).map(([k, e]) => [k, e as unknown as Entry]))]));
    const out = diffTable(diff, { title: "Metric", aRev: "HEAD", bRev: "workspace", markdown: true, showChanges: true, ...(precision ? { precision } : {}) });
    if (v.expected.stdout) expect(out).toBe(v.expected.stdout);
    for (const row of (v.expected.rows ?? []) as Record<string, string>[]) {
      const line = out.split("\n").find((l) => l.includes(` ${row.Metric} `))!;
      expect(
        line
          .split("|")
          .slice(1, -1)
          .map((c) => c.trim()),
      ).toEqual(Object.values(row));
    }
  });

  // The same old/new values committed to a real repository: the CLI prints the same cells. A vector whose
  // "diff" is not new - old (the rounding one) can only check the old and new cells this way.
  it("the CLI prints the same cells from a real repository", async () => {
    const [path, keys] = entries(input.diff!)[0]!;
    const old = new Map<string, Value>();
    const neu = new Map<string, Value>();
    for (const [k, e] of entries(keys!)) {
      const numeric = e.diff !== undefined;
      old.set(k, numeric ? e.old! : String(e.old));
      neu.set(k, numeric ? e.new! : String(e.new));
    }
    const dir = makeRepo({ commits: [{ [path!]: yamlOf(old), "dvc.yaml": `metrics: [${path}]\n` }], workspace: { [path!]: yamlOf(neu), "dvc.yaml": `metrics: [${path}]\n` } });
    const r = await mlreview(["metrics", "diff", "--md", "--all", ...(precision ? ["--precision", String(precision)] : [])], { cwd: dir });
    expect(r.code).toBe(0);
    for (const row of (v.expected.rows ?? []) as Record<string, string>[]) {
      const line = r.stdout.split("\n").find((l) => l.includes(` ${row.Metric} `))!;
      const cells = line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim());
      expect(cells.slice(0, 4)).toEqual([row.Path, row.Metric, row.HEAD, row.workspace]);
    }
    if (v.expected.stdout) expect(r.stdout).toBe(v.expected.stdout);
  });
});

describe("DVC metrics show vector", () => {
  const v = vectors(["metrics_show_table"])[0]?.plain;
  const metrics = (v!.input as { metrics: Record<string, { data?: Record<string, { data: unknown }> }> }).metrics;
  const files = (rev: string) => ({ "dvc.yaml": "metrics: [metrics.json]\n", "metrics.json": JSON.stringify(metrics[rev]!.data!["metrics.json"]!.data) });
  const dir = makeRepo({
    commits: [files("branch_1")],
    branch: "branch_1",
    branches: { branch_2: files("branch_2"), branch_3: { "dvc.yaml": "metrics: [metrics.json\n", "metrics.json": "{}" } },
  });

  it("prints one row per revision and file, and none for a revision whose dvc.yaml is broken", async () => {
    const r = await mlreview(["metrics", "show", "branch_1", "branch_2", "branch_3", "--md"], { cwd: dir });
    expect(r.stdout).toBe(v!.expected.stdout);
    expect(r.stderr).toMatch(/^mlreview: branch_3: dvc\.yaml: invalid YAML at line \d+ column \d+/m);
    expect(r.code).toBe(0);
  });

  it("shows the workspace without a Revision column by default", async () => {
    const r = await mlreview(["metrics", "show"], { cwd: dir });
    expect(r.stdout).toBe("Path          b.ad    b.bc    c\nmetrics.json  1       2       4\n");
  });
});

describe.each(((typedFixture("dvc-edge-cases.json") as Obj).cases as Obj[]).map((c) => ({ name: c.name as string, c })))("edge case $name", ({ c }) => {
  const files = (side: Value) => ({ ...(side as Record<string, string>), "dvc.yaml": `metrics: [${Object.keys(side as Obj)[0]}]\n` });
  const dir = makeRepo({ commits: [files(c.old!)], workspace: files(c.new!) });
  const all = c.all === true ? ["--all"] : [];

  it("--md prints what DVC prints", async () => {
    const r = await mlreview(["metrics", "diff", "--md", ...all], { cwd: dir });
    expect(r.stdout).toBe(c.markdown);
    expect(r.code).toBe(0);
  });

  it("--json gives what DVC's API returns", async () => {
    const r = await mlreview(["metrics", "diff", "--json", ...all], { cwd: dir });
    if (typeof c.python_diff_json === "string") {
      // NaN cannot be strict JSON; DVC's json.dumps writes the NaN literal, and so do we.
      expect(r.stdout.trim()).toBe('{"m.json": {"loss": {"old": NaN, "new": NaN, "diff": NaN}}}');
    } else {
      expect(typedJson(r.stdout)).toEqual(c.python_diff_json);
    }
  });
});

import { parseJson } from "../../src/formats/json.js";
function typedJson(s: string): Value {
  return parseJson(s, 64);
}
