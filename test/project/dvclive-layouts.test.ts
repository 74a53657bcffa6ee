/**
 * The layouts DVCLive writes (shared/reference/sources.md §2), read as DVC 3.67 reads them: 3.x sections in
 * the project's dvc.yaml, 2.x `dvclive/dvc.yaml` with paths relative to dvclive/, DVC 2's stage `live:`
 * key (refused by DVC 3), directory plots as one plot per file, and the NaN/Infinity DVCLive logs.
 * Compared with the real dvc where it runs here (metrics show, plots show ids).
 */
import { readdirSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { preparePlots } from "../../src/plots/index.js";
import { discoverProject } from "../../src/project/index.js";
import { openRevisions } from "../../src/revisions/index.js";
import { mlreview } from "../helpers/cli.js";
import { dvcAll } from "../helpers/dvc.js";
import { makeRepo, tempDir, type Files } from "../helpers/git-repo.js";

/** What DVCLive 3 writes: JSON via json.dump (NaN, Infinity), TSV histories with `nan`/`inf` (CRLF when logged on Windows). */
function run(loss2: string): Files {
  return {
    "dvclive/metrics.json": `{\n    "loss": NaN,\n    "acc": Infinity,\n    "train": {\n        "loss": ${loss2}\n    },\n    "step": 2\n}\n`,
    "dvclive/params.yaml": "lr: 0.01\n",
    "dvclive/plots/metrics/train/loss.tsv": `step\tloss\r\n0\t1.5\r\n1\tnan\r\n2\t${loss2}\r\n`,
    "dvclive/plots/metrics/acc.tsv": "timestamp\tstep\tacc\n1700000000000\t0\t0.1\n1700000000001\t1\tinf\n1700000000002\t2\t0.3\n",
    "dvclive/plots/metrics/val.tsv": "step\tval\n0\t-inf\n1\tNaN\n",
  };
}

const DVCLIVE3_YAML = "metrics:\n- dvclive/metrics.json\nparams:\n- dvclive/params.yaml\nplots:\n- dvclive/plots/metrics:\n    x: step\n";
const DVCLIVE2_YAML = "metrics:\n- metrics.json\nparams:\n- params.yaml\nplots:\n- plots/metrics:\n    x: step\n";
const PLOT_FILES = ["dvclive/plots/metrics/acc.tsv", "dvclive/plots/metrics/train/loss.tsv", "dvclive/plots/metrics/val.tsv"];

/** A repository dvc also reads: `dvc init` committed with the files. */
function dvcRepo(commits: Files[]): string {
  const dir = makeRepo({ commits: commits.map((c) => ({ ...c, ".dvc/config": "", ".dvc/.gitignore": "/config.local\n/tmp\n/cache\n", ".dvcignore": "" })) });
  return dir;
}

const LIVE_YAML = "stages:\n  train:\n    cmd: python train.py\n    live:\n      dvclive:\n        summary: true\n";

/** The three repositories dvc reads, and its answers there: the three dvc commands in one request, before the tests. */
let dirs: { v3: string; v2: string; live: string };
let answers: { v3: string; v2: string; live: string };
beforeAll(async () => {
  dirs = {
    v3: dvcRepo([
      { "dvc.yaml": DVCLIVE3_YAML, ...run("0.5") },
      { "dvc.yaml": DVCLIVE3_YAML, ...run("0.25") },
    ]),
    v2: dvcRepo([{ "dvclive/dvc.yaml": DVCLIVE2_YAML, ...run("0.5") }]),
    live: dvcRepo([{ "dvc.yaml": LIVE_YAML, "dvclive.json": '{"acc": 0.5}\n', "dvclive/acc.tsv": "timestamp\tstep\tacc\n1\t0\t0.5\n" }]),
  };
  const [v3, v2, live] = await dvcAll([
    { cwd: dirs.v3, args: ["plots", "show", "--json"] },
    { cwd: dirs.v2, args: ["metrics", "show", "--json"] },
    { cwd: dirs.live, args: ["metrics", "show", "--json"] },
  ]);
  answers = { v3: v3!, v2: v2!, live: live! };
});

describe("DVCLive layouts", () => {
  it("3.x in the project's dvc.yaml: a directory plot is one plot per file (ids are the paths), as `dvc plots show`; NaN/inf points are left out, not the plot", async () => {
    const dir = dirs.v3;
    const revs = await openRevisions(dir, "HEAD~1", "HEAD", { objectCacheDir: tempDir() });
    try {
      const project = await discoverProject(revs.head);
      if ("error" in project) throw new Error(project.error);
      expect(project.plots.map((p) => p.id)).toEqual(PLOT_FILES);
      const dvcIds = Object.keys((JSON.parse(answers.v3) as { data: Record<string, unknown> }).data).sort();
      expect(project.plots.map((p) => p.id)).toEqual(dvcIds);

      const prepared = [];
      for await (const p of preparePlots(project.plots, [
        { label: "HEAD~1", tree: revs.base },
        { label: "HEAD", tree: revs.head },
      ]))
        prepared.push(p);
      const byId = new Map(prepared.map((p) => [p.id, p]));
      const points = (id: string, field: string) => {
        const p = byId.get(id)!;
        if (!p.ok) throw new Error(p.error);
        return p.plot.values.map((v) => [v.rev, String(v.step), String(v[field])]);
      };
      expect(points("dvclive/plots/metrics/train/loss.tsv", "loss")).toEqual([
        ["HEAD~1", "0", "1.5"],
        ["HEAD~1", "2", "0.5"],
        ["HEAD", "0", "1.5"],
        ["HEAD", "2", "0.25"],
      ]);
      expect(points("dvclive/plots/metrics/acc.tsv", "acc").filter(([rev]) => rev === "HEAD")).toEqual([
        ["HEAD", "0", "0.1"],
        ["HEAD", "2", "0.3"],
      ]);
      // A history with nothing finite is a plot without data points: one line, never a crash.
      const val = byId.get("dvclive/plots/metrics/val.tsv")!;
      expect(val.ok ? "drawn" : val.error).toBe("no finite data points in any revision (only NaN or infinite values)");
    } finally {
      await revs.close();
    }

    const out = tempDir();
    const r = await mlreview(["plots", "diff", "HEAD~1", "HEAD", "--out", out], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["dvclive_plots_metrics_acc.tsv.png", "dvclive_plots_metrics_train_loss.tsv.png"]);
    expect(r.stderr).toBe("mlreview: plot 'dvclive/plots/metrics/val.tsv': no finite data points in any revision (only NaN or infinite values)\n");
  });

  it("2.x dvclive/dvc.yaml (paths relative to dvclive/) is one more dvc.yaml: metrics show equals dvc's, NaN and Infinity as Python prints them", async () => {
    const dir = dirs.v2;
    const ours = await mlreview(["metrics", "show", "HEAD", "--json"], { cwd: dir });
    expect(ours.stderr).toBe("");
    const theirs = JSON.parse(answers.v2.replace(/\bNaN\b/g, '"NaN"').replace(/\bInfinity\b/g, '"Infinity"')) as Record<string, unknown>;
    const mine = JSON.parse(ours.stdout.replace(/\bNaN\b/g, '"NaN"').replace(/\bInfinity\b/g, '"Infinity"')) as Record<string, unknown>;
    expect(mine.HEAD).toEqual(theirs[""]);
    expect(ours.stdout).toContain('"loss": NaN, "acc": Infinity');
    const plots = await mlreview(["plots", "diff", "HEAD", "HEAD", "--out", tempDir()], { cwd: dir });
    expect(
      plots.stdout
        .trim()
        .split("\n")
        .map((l) => l.replace(/^.*\//, "")),
    ).toEqual(["dvclive_plots_metrics_acc.tsv.png", "dvclive_plots_metrics_train_loss.tsv.png"]);
  });

  it("DVC 2's stage `live:` key: DVC 3 refuses the dvc.yaml, so does mlreview, in one line and exit 0", async () => {
    const dir = dirs.live;
    const theirs = JSON.parse(answers.live) as Record<string, { error?: { type: string } }>;
    expect(theirs[""]?.error?.type).toBe("YAMLValidationError");
    const ours = await mlreview(["metrics", "show", "HEAD", "--json"], { cwd: dir });
    expect(ours.code).toBe(0);
    expect(ours.stderr).toBe("mlreview: HEAD: dvc.yaml: stages.train.live: the stage key 'live' was removed in DVC 3.0, which refuses this dvc.yaml (declare DVCLive's files under metrics:/plots:)\n");
  });

  it("a stage plot out that is a directory expands to its files, relative to the stage's wdir", async () => {
    const yaml = "stages:\n  train:\n    wdir: exp\n    cmd: python t.py\n    plots:\n    - logs:\n        cache: false\n        x: epoch\n";
    const dir = makeRepo({ commits: [{ "dvc.yaml": yaml, "exp/logs/a.csv": "epoch,loss\n0,1\n1,0.5\n", "exp/logs/sub/b.json": '[{"epoch": 0, "f1": 0.1}]\n', "exp/logs/c.png": "png" }] });
    const revs = await openRevisions(dir, "HEAD", "HEAD", { objectCacheDir: tempDir() });
    try {
      const project = await discoverProject(revs.head);
      if ("error" in project) throw new Error(project.error);
      expect(project.plots.map((p) => [p.id, p.x?.[0]?.field, p.x?.[0]?.file])).toEqual([
        ["exp/logs/a.csv", "epoch", "exp/logs/a.csv"],
        ["exp/logs/sub/b.json", "epoch", "exp/logs/sub/b.json"],
      ]);
      expect(project.images).toEqual(["exp/logs/c.png"]);
    } finally {
      await revs.close();
    }
  });
});
