import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mlreview } from "../helpers/cli.js";
import { makeRepo, tempDir } from "../helpers/git-repo.js";

const m = (acc: number) => JSON.stringify({ acc });

/** The same project at HEAD and in the workspace, with every metric changed, so each declared file shows up. */
async function paths(files: Record<string, string>, changed: Record<string, string>, args: string[] = ["metrics", "diff", "--json"]): Promise<string[]> {
  const dir = makeRepo({ commits: [files], workspace: { ...files, ...changed } });
  const r = await mlreview(args, { cwd: dir });
  expect(r.stderr).toBe("");
  return Object.keys(JSON.parse(r.stdout));
}

describe("project discovery, per revision", () => {
  it(".mlreview.yml: files and globs", async () => {
    const files = { ".mlreview.yml": "metrics: [metrics.json, 'eval/*.json']\n", "metrics.json": m(1), "eval/a.json": m(1), "eval/b.json": m(1), "eval/deep/c.json": m(1), "other.json": m(1) };
    const changed = { "metrics.json": m(2), "eval/a.json": m(2), "eval/b.json": m(2), "eval/deep/c.json": m(2), "other.json": m(2) };
    expect(await paths(files, changed)).toEqual(["eval/a.json", "eval/b.json", "metrics.json"]);
  });

  it(".github/mlreview.yml when there is no .mlreview.yml; it wins over dvc.yaml", async () => {
    const files = { ".github/mlreview.yml": "metrics: [b.json]\n", "dvc.yaml": "metrics: [a.json]\n", "a.json": m(1), "b.json": m(1) };
    expect(await paths(files, { "a.json": m(2), "b.json": m(2) })).toEqual(["b.json"]);
  });

  it("dvc.yaml anywhere: stage metrics relative to wdir, top-level paths relative to the dvc.yaml", async () => {
    const files = {
      "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    wdir: src\n    metrics:\n    - out/train.json:\n        cache: false\n",
      "sub/dvc.yaml": "metrics: [../top.json, eval.json]\n",
      ".dvcignore": "ignored/\n",
      "ignored/dvc.yaml": "metrics: [nope.json]\n",
      "src/out/train.json": m(1),
      "top.json": m(1),
      "sub/eval.json": m(1),
      "nope.json": m(1),
    };
    const changed = { "src/out/train.json": m(2), "top.json": m(2), "sub/eval.json": m(2), "nope.json": m(2) };
    expect(await paths(files, changed)).toEqual(["src/out/train.json", "sub/eval.json", "top.json"]);
  });

  it("a metrics directory stands for every file in it", async () => {
    const files = { "dvc.yaml": "metrics: [results]\n", "results/a.json": m(1), "results/b.yaml": "acc: 1\n" };
    expect(await paths(files, { "results/a.json": m(2), "results/b.yaml": "acc: 2\n" })).toEqual(["results/a.json", "results/b.yaml"]);
  });

  it("defaults: metrics.json, metrics.yaml, params.yaml at the root, silently absent", async () => {
    const files = { "metrics.yaml": "acc: 1\n", "notes.json": m(1) };
    expect(await paths(files, { "metrics.yaml": "acc: 2\n", "notes.json": m(2) })).toEqual(["metrics.yaml"]);
    expect(await paths({ "params.yaml": "lr: 1\n" }, { "params.yaml": "lr: 2\n" }, ["params", "diff", "--json"])).toEqual(["params.yaml"]);
  });

  it("params: stage keys in the wdir's params.yaml, {file: keys}, globbed keys, and the root params.yaml always whole", async () => {
    const files = {
      "dvc.yaml": ["stages:", "  train:", "    cmd: x", "    wdir: model", "    params:", "    - lr", "    - train.*", "    - ../conf.toml: [opt.momentum]", "params: [extra.yaml]"].join("\n"),
      "params.yaml": "seed: 1\nunused: 1\n",
      "model/params.yaml": "lr: 0.1\nbatch: 32\ntrain:\n  epochs: 1\n  warmup: 1\n",
      "conf.toml": "[opt]\nmomentum = 0.9\nnesterov = true\n",
      "extra.yaml": "dropout: 0.1\n",
    };
    const changed = {
      "params.yaml": "seed: 2\nunused: 2\n",
      "model/params.yaml": "lr: 0.2\nbatch: 64\ntrain:\n  epochs: 2\n  warmup: 2\n",
      "conf.toml": "[opt]\nmomentum = 0.95\nnesterov = false\n",
      "extra.yaml": "dropout: 0.2\n",
    };
    const dir = makeRepo({ commits: [files], workspace: { ...files, ...changed } });
    const r = await mlreview(["params", "diff", "--json"], { cwd: dir });
    const out = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
    expect(Object.keys(out)).toEqual(["conf.toml", "extra.yaml", "model/params.yaml", "params.yaml"]);
    expect(Object.keys(out["model/params.yaml"]!)).toEqual(["lr", "train.epochs", "train.warmup"]);
    expect(Object.keys(out["conf.toml"]!)).toEqual(["opt.momentum"]);
    expect(Object.keys(out["params.yaml"]!)).toEqual(["seed", "unused"]);
    expect(r.stdout).toContain('"opt.momentum": {"old": 0.9, "new": 0.95, "diff": 0.04999999999999993}');
  });

  it("a metric only the new revision declares has old = null and no error", async () => {
    const dir = makeRepo({ commits: [{ "dvc.yaml": "metrics: [a.json]\n", "a.json": m(1) }], workspace: { "dvc.yaml": "metrics: [a.json, b.json]\n", "a.json": m(1), "b.json": m(3) } });
    const r = await mlreview(["metrics", "diff", "--json"], { cwd: dir });
    expect(r.stdout.trim()).toBe('{"b.json": {"acc": {"old": null, "new": 3}}}');
    expect(r.stderr).toBe("");
  });
});

describe("config validation names the file, the key and what was expected", () => {
  const cases: [string, string][] = [
    ["metric: [m.json]\n", ".mlreview.yml: unknown key 'metric'"],
    ["metrics: m.json\nprecision: 2.5\n", ".mlreview.yml: precision: expected int, received number"],
    ["plots:\n  - id: loss\n    file: l.csv\n    templat: linear\n", ".mlreview.yml: plots[0]: unknown key 'templat'"],
    ["direction: {acc: up}\n", ".mlreview.yml: direction.acc: expected one of higher, lower"],
    ["thresholds:\n  - metric: acc\n", ".mlreview.yml: thresholds[0]: expected at least one of max_drop, max_rise, min, max"],
    ["metrics: [a.json\n", ".mlreview.yml: invalid YAML at line"],
  ];
  for (const [config, message] of cases) {
    it(JSON.stringify(config), async () => {
      const dir = makeRepo({ commits: [{ ".mlreview.yml": "metrics: [a.json]\n", "a.json": m(1) }], workspace: { ".mlreview.yml": config, "a.json": m(2) } });
      const r = await mlreview(["metrics", "diff"], { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stderr.split("\n")[0]).toContain(`mlreview: workspace: ${message}`);
      // The revision that could be read still shows: its values, with nothing on the broken side.
      expect(r.stdout).toContain("a.json  acc       1       -");
    });
  }
});

describe("reading cost", () => {
  it("one git cat-file process serves every file of both revisions", async () => {
    const files: Record<string, string> = { "dvc.yaml": `metrics: [${Array.from({ length: 50 }, (_, i) => `m${i}.json`).join(", ")}]\n` };
    for (let i = 0; i < 50; i++) files[`m${i}.json`] = m(i);
    const dir = makeRepo({ commits: [files, { ...files, "m0.json": m(99) }] });
    const trace = join(tempDir(), "trace");
    const r = await mlreview(["metrics", "diff", "HEAD~1", "HEAD", "--json"], { cwd: dir, env: { GIT_TRACE: trace } });
    expect(JSON.parse(r.stdout)).toEqual({ "m0.json": { acc: { old: 0, new: 99, diff: 99 } } });
    const commands = readFileSync(trace, "utf8")
      .split("\n")
      .filter((l) => l.includes("trace: built-in: git"));
    // (simple-git's rev-parse --show-toplevel runs without the caller's GIT_TRACE, so it is not listed.)
    expect(commands).toHaveLength(1);
    expect(commands[0]).toContain("git cat-file --batch --follow-symlinks");
  });
});

describe("dvc.yaml templating (vars, ${...}, foreach, matrix)", () => {
  it("expands foreach and matrix stages and interpolates paths from params.yaml and vars", async () => {
    const files = {
      "params.yaml": "eval_dir: results\nmodels: [small, large]\n",
      "paths.yaml": "reports: reports\n",
      "dvc.yaml": [
        "vars:",
        "  - paths.yaml",
        "  - {suffix: json}",
        "stages:",
        "  evaluate:",
        "    foreach: ${models}",
        "    do:",
        "      cmd: python eval.py ${item}",
        "      metrics:",
        "        - ${eval_dir}/${item}.${suffix}",
        "  bench:",
        "    matrix:",
        "      dataset: [a, b]",
        "      size: [1]",
        "    cmd: python bench.py",
        "    metrics:",
        "      - ${reports}/${item.dataset}-${item.size}.json",
        'metrics: ["${reports}/summary.${suffix}"]',
      ].join("\n"),
    };
    const metricFiles = ["results/small.json", "results/large.json", "reports/a-1.json", "reports/b-1.json", "reports/summary.json"];
    const old = Object.fromEntries(metricFiles.map((f) => [f, m(1)]));
    const neu = Object.fromEntries(metricFiles.map((f) => [f, m(2)]));
    expect(await paths({ ...files, ...old }, neu)).toEqual([...metricFiles].sort());
  });

  // Expected names checked against dvc 3.67.1 (`dvc metrics show --json` on the same files).
  it("a list or mapping inside a top-level string is DVC's to_str (Python repr, --key flags); numbers print as Python; matrix values may be mappings", async () => {
    const files = {
      "params.yaml": "names: [x, y]\nflags: {lr: 0.1, fast: true, slow: false}\nlr: 1.0\nsteps: 10\n",
      "dvc.yaml": [
        "stages:",
        "  train:",
        "    cmd: python train.py ${flags} --names ${names}",
        "    metrics:",
        "      - out/${lr}-${steps}.json",
        "  grid:",
        "    matrix:",
        "      cfg: [{a: 1}, {a: 2}]",
        "    cmd: python grid.py",
        "    metrics:",
        "      - grid/${item.cfg.a}-${key}.json",
        "metrics:",
        "  - top/${names}-${flags}.json",
      ].join("\n"),
    };
    const metricFiles = ["out/1.0-10.json", "top/['x', 'y']---lr 0.1 --fast.json", "grid/1-cfg0.json", "grid/2-cfg1.json"];
    const old = Object.fromEntries(metricFiles.map((f) => [f, m(1)]));
    const neu = Object.fromEntries(metricFiles.map((f) => [f, m(2)]));
    expect(await paths({ ...files, ...old }, neu)).toEqual([...metricFiles].sort());
  });

  it("a list or mapping inside a stage's path is DVC's ResolveError: one line for that dvc.yaml, not an internal error", async () => {
    const files = {
      "params.yaml": "names: [x, y]\n",
      "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    metrics:\n      - out/${names}.json\n",
    };
    const dir = makeRepo({ commits: [files] });
    const r = await mlreview(["metrics", "diff", "HEAD", "HEAD", "--json"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("mlreview: HEAD: dvc.yaml: stages.train.metrics[0]: Cannot interpolate data of type 'list'\nmlreview: HEAD: dvc.yaml: stages.train.metrics[0]: Cannot interpolate data of type 'list'\n");
  });

  it("an unknown variable is one error line for that revision", async () => {
    const dir = makeRepo({ commits: [{ "dvc.yaml": "metrics: [a.json]\n", "a.json": m(1) }], workspace: { "dvc.yaml": 'metrics: ["${nope}/a.json"]\n', "a.json": m(2) } });
    const r = await mlreview(["metrics", "diff"], { cwd: dir });
    expect(r.stderr).toBe("mlreview: workspace: dvc.yaml: metrics[0]: could not find 'nope' to interpolate\n");
  });

  it("a broken params.yaml does not stop a pipeline that does not interpolate", async () => {
    const files = { "dvc.yaml": "metrics: [a.json]\n", "params.yaml": "lr: 1\n", "a.json": m(1) };
    const dir = makeRepo({ commits: [files], workspace: { ...files, "params.yaml": "lr: [\n", "a.json": m(2) } });
    const r = await mlreview(["metrics", "diff", "--json"], { cwd: dir });
    expect(r.stdout.trim()).toBe('{"a.json": {"acc": {"old": 1, "new": 2, "diff": 1}}}');
    expect(r.stderr).toBe("");
  });
});
