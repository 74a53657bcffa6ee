// Hostile .mlreview.yml / dvc.yaml: each case is a branch of one repository whose main is good; the
// branch's config error is one line naming the file and the field, and main's values are still shown.
import { beforeAll, describe, expect, it } from "vitest";
import { mlreview } from "../helpers/cli.js";
import { makeRepo, type Files } from "../helpers/git-repo.js";
import { title } from "./cases.js";
import { corpusDir, linesFor } from "./helpers.js";

let deepParams = "x: 1\n";
for (let i = 0; i < 300; i++) deepParams = `a:\n${deepParams.replace(/^/gm, "  ")}b: {a: {x: 1}}\n`;

const CASES: { id: string; files: () => Files; file: string; line: RegExp; kind?: "params" }[] = [
  { id: "C01", files: () => corpusDir("config/wrong-type-metrics"), file: ".mlreview.yml", line: /^metrics: not one of the accepted forms/ },
  { id: "C02", files: () => corpusDir("config/unknown-key"), file: ".mlreview.yml", line: /^unknown key 'metrix'$/ },
  { id: "C03", files: () => corpusDir("config/bad-direction"), file: ".mlreview.yml", line: /^direction\.acc: expected one of higher, lower$/ },
  { id: "C04", files: () => corpusDir("config/threshold-without-bound"), file: ".mlreview.yml", line: /^thresholds\[0\]: expected at least one of max_drop, max_rise, min, max$/ },
  { id: "C05", files: () => corpusDir("config/precision-infinite"), file: ".mlreview.yml", line: /^precision: / },
  { id: "C06", files: () => corpusDir("config/config-is-a-list"), file: ".mlreview.yml", line: /^expected object, received array$|^expected object/ },
  { id: "C07", files: () => corpusDir("config/config-alias-bomb"), file: ".mlreview.yml", line: /^invalid YAML: more than 100 alias expansions/ },
  { id: "C08", files: () => corpusDir("config/dvc-wrong-types"), file: "dvc.yaml", line: /^stages: expected record, received array|^stages: / },
  { id: "C09", files: () => corpusDir("config/dvc-matrix-bomb"), file: "dvc.yaml", line: /^stages\.grid\.matrix: expands to more than 10,000 stages$/ },
  {
    id: "C10",
    files: () => ({
      "params.yaml": `big: [${Array.from({ length: 20_000 }, (_, i) => i).join(", ")}]\n`,
      "dvc.yaml": 'metrics: [good.json]\nstages:\n  s:\n    foreach: ${big}\n    do:\n      cmd: train\n      metrics: ["m${item}.json"]\n',
    }),
    file: "dvc.yaml",
    line: /^stages\.s\.foreach: expands to more than 10,000 stages$/,
  },
  { id: "C11", files: () => corpusDir("config/dvc-self-reference"), file: "${a}.json", line: /^no such file$/ },
  {
    id: "C12",
    files: () => ({ "params.yaml": `s: ${"x".repeat(65_536)}\n`, "dvc.yaml": `metrics: [good.json, "${"${s}".repeat(64)}"]\n` }),
    file: "dvc.yaml",
    line: /^metrics\[1\]: interpolated string is longer than 65,536 characters$/,
  },
  { id: "C13", files: () => corpusDir("config/dvc-vars-missing"), file: "dvc.yaml", line: /^vars file 'nope\.yaml' not found$/ },
  { id: "C14", files: () => corpusDir("config/dvc-vars-traversal"), file: "dvc.yaml", line: /^vars file '\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/etc\/hostname' not found$/ },
  { id: "C15", files: () => corpusDir("config/dvc-unknown-variable"), file: "dvc.yaml", line: /^metrics\[1\]: could not find 'nothing\.here' to interpolate$/ },
  {
    id: "C16",
    files: () => ({ ...corpusDir("config/params-star-glob"), "params.yaml": `lr: 0.1\n${deepParams}` }),
    file: "params.yaml",
    line: /^key pattern '\*\*\.a\.\*\*\.a\.\*\*\.a\.\*\*\.a\.\*\*\.x' needs more than 1,000,000 steps to match$/,
    kind: "params",
  },
];

describe("hostile configs: one line naming the file and field, for that revision only", () => {
  let dir: string;
  beforeAll(() => {
    const base = { "dvc.yaml": "metrics: [good.json]\n", "good.json": '{"acc": 0.5}', "params.yaml": "lr: 0.1\n" };
    dir = makeRepo({ commits: [base], branches: Object.fromEntries(CASES.map((c) => [c.id.toLowerCase(), { ...base, "good.json": '{"acc": 0.75}', ...c.files() }])) });
  });

  for (const c of CASES) {
    it(title(c.id), async () => {
      const branch = c.id.toLowerCase();
      const r = await mlreview([c.kind ?? "metrics", "diff", "main", branch, "--md"], { cwd: dir });
      expect(r.code).toBe(0);
      const lines = linesFor(r.stderr, branch, c.file);
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]!.slice(`mlreview: ${branch}: ${c.file}: `.length)).toMatch(c.line);
      expect(r.stderr.split("\n").filter((l) => l.startsWith("mlreview: main:"))).toEqual([]);
      // The rest: main's side is still there.
      if (c.kind === "params") expect(r.stdout).toMatch(/^\| params\.yaml +\| lr +\| 0\.1 +\| 0\.1 +\|$|^$/m);
      else expect(r.stdout).toMatch(/^\| good\.json +\| acc +\| 0\.5 +\| (-|0\.75) +\| (-|0\.25) +\|$/m);
    });
  }
});

describe("C17: thousands of globs, read from the workspace", () => {
  it(title("C17"), async () => {
    const config = `metrics:\n  - good.json\n${Array.from({ length: 3000 }, (_, i) => `  - "**/**/**/x${i}*.json"\n`).join("")}`;
    const tree: Files = { ".mlreview.yml": config, "good.json": '{"acc": 0.5}' };
    for (let i = 0; i < 50; i++) tree[`d${i}/e/f/g.json`] = "{}";
    const dir = makeRepo({ commits: [tree], workspace: { ...tree, "good.json": '{"acc": 0.75}' } });
    // Its time (was 10 s: one walk of the disk per glob) is measured by `npm run bench` (bench/diff.mjs).
    const r = await mlreview(["metrics", "diff", "--md"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^\| good\.json +\| acc +\| 0\.5 +\| 0\.75 +\| 0\.25 +\|$/m);
  });
});
