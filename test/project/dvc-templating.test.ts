/**
 * dvc.yaml templating against the real dvc 3.67.1: the metrics paths `dvc metrics show --json` names for a
 * pipeline are the ones mlreview names (numbers as Python's str(), lists as repr, mappings as --flags in
 * top-level sections, `\${` escapes, foreach/matrix keys, vars files with selected keys, stage vars
 * relative to the wdir), and what DVC refuses mlreview refuses in one line.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mlreview } from "../helpers/cli.js";
import { dvcAll } from "../helpers/dvc.js";
import { makeRepo, type Files } from "../helpers/git-repo.js";

function repo(files: Files): string {
  return makeRepo({ commits: [{ ...files, ".dvc/config": "", ".dvc/.gitignore": "/config.local\n/tmp\n/cache\n", ".dvcignore": "" }] });
}

type Shown = Record<string, { data?: Record<string, unknown>; error?: { type: string; msg: string } }>;

function names(shown: Shown, rev: string): string[] {
  return Object.keys(shown[rev]?.data ?? {}).sort();
}

const CASES: [string, Files][] = [
  [
    "numbers, booleans, null, lists and mappings in top-level strings; escapes",
    {
      "params.yaml": "lr: 1.0\nsmall: 1.0e-5\nbig: 1.0e+16\nn: 3\nok: true\nnone: null\nnames: [x, 'y z']\nflags: {lr: 0.1, fast: true, slow: false, name: a b, list: [1, two], deep: {k: 1}}\n",
      "dvc.yaml": "metrics:\n- a/${lr}-${small}-${big}-${n}-${ok}-${none}.json\n- b/${names}.json\n- c/${flags}.json\n- d/\\${lr}-${lr}.json\n- e/${names[1]}-${names[-1]}.json\n",
    },
  ],
  [
    "foreach over scalars and mappings, matrix with booleans and composite values",
    {
      "params.yaml": "rates: [0.1, 1.0, 1.0e-5, 2]\nmodels: {big: {size: 10}, small: {size: 2.5}}\n",
      "dvc.yaml": [
        "stages:",
        "  sweep:",
        "    foreach: ${rates}",
        "    do:",
        "      cmd: python t.py ${item}",
        "      metrics:",
        "      - sweep/${item}.json",
        "  models:",
        "    foreach: ${models}",
        "    do:",
        "      cmd: python m.py",
        "      metrics:",
        "      - models/${key}-${item.size}.json",
        "  grid:",
        "    matrix:",
        "      flag: [true, false]",
        "      cfg: [{a: 1}, [2]]",
        "    cmd: python g.py",
        "    metrics:",
        "    - grid/${key}-${item.flag}.json",
      ].join("\n"),
    },
  ],
  [
    "vars: a file, selected keys, inline mappings, and stage vars read relative to the stage's wdir",
    {
      "params.yaml": "base: p\n",
      "conf/more.yaml": "x: 1\ny: 2.0\nz: 3\n",
      "sub/local.yaml": "where: sub-local\n",
      "dvc.yaml": ["vars:", "- conf/more.yaml:x,y", "- {inline: 7}", "stages:", "  s:", "    wdir: sub", "    vars:", "    - local.yaml", "    cmd: python s.py", "    metrics:", "    - ${where}/${base}-${x}-${y}-${inline}.json"].join("\n"),
    },
  ],
  [
    "vars naming params.yaml again (already loaded whole: nothing happens, as in DVC; a real project does this)",
    { "params.yaml": "a: 1\n", "conf/x.yaml": "b: 2\nc: 3\n", "dvc.yaml": "vars:\n- params.yaml\n- conf/x.yaml:b\n- conf/x.yaml:c\nmetrics:\n- m/${a}-${b}-${c}.json\n" },
  ],
];

const REFUSED: [string, string, string, string][] = [
  ["a list inside a stage path", "names: [x, y]\n", "stages:\n  s:\n    cmd: c\n    metrics:\n    - m/${names}.json\n", "stages.s.metrics[0]: Cannot interpolate data of type 'list'"],
  ["a mapping as a whole stage path", "d: {a: 1}\n", "stages:\n  s:\n    cmd: c\n    metrics:\n    - ${d}\n", "stages.s.metrics[0]: Cannot interpolate data of type 'dict'"],
  ["foreach over a string", "one: abc\n", "stages:\n  s:\n    foreach: ${one}\n    do:\n      cmd: c\n", "stages.s.foreach: expected list/dictionary, got str"],
  ["a key defined twice", "a: 1\n", "vars:\n- {a: 2}\nmetrics:\n- ${a}.json\n", "vars: cannot redefine 'a' from 'vars[0]' as it already exists"],
  ["a file loaded whole (params.yaml), then in part", "a: 1\n", "vars:\n- params.yaml:a\nmetrics:\n- ${a}.json\n", "vars: cannot partially load 'params.yaml:a' as it's already loaded."],
  ["${key} in a foreach over a list", "l: [a]\n", "stages:\n  s:\n    foreach: ${l}\n    do:\n      cmd: c\n      metrics:\n      - ${key}.json\n", "stages.s@a.metrics[0]: could not find 'key' to interpolate"],
];

/** Every case's repository, and what `dvc metrics show --json` says in it: the ten dvc commands in one request, before the tests. */
const dirs = new Map<string, string>();
const shown = new Map<string, Shown>();
beforeAll(async () => {
  for (const [name, files] of CASES) dirs.set(name, repo(files));
  for (const [name, params, yaml] of REFUSED) dirs.set(name, repo({ "params.yaml": params, "dvc.yaml": yaml }));
  const names = [...dirs.keys()];
  const outputs = await dvcAll(names.map((name) => ({ cwd: dirs.get(name)!, args: ["metrics", "show", "--json"] })));
  names.forEach((name, i) => shown.set(name, JSON.parse(outputs[i]!) as Shown));
});

describe("dvc.yaml templating, as dvc 3.67.1 resolves it", () => {
  it.each(CASES)("%s: the same metrics paths as `dvc metrics show`", async (name) => {
    const dir = dirs.get(name)!;
    const theirs = shown.get(name)!;
    const ours = await mlreview(["metrics", "show", "HEAD", "--json"], { cwd: dir });
    expect(ours.stdout).not.toBe("");
    expect(names(JSON.parse(ours.stdout) as Shown, "HEAD")).toEqual(names(theirs, ""));
    expect(names(theirs, "").length).toBeGreaterThan(0);
  });

  it.each(REFUSED)("%s: DVC refuses it, mlreview says so in one line", async (name, _params, _yaml, message) => {
    const dir = dirs.get(name)!;
    const theirs = shown.get(name)!;
    expect(theirs[""]?.error).toMatchObject({ type: "ResolveError" }); // DVC refuses the templating, not something else
    const ours = await mlreview(["metrics", "show", "HEAD", "--json"], { cwd: dir });
    expect(ours.code).toBe(0);
    expect(ours.stderr).toBe(`mlreview: HEAD: dvc.yaml: ${message}\n`);
  });
});
