import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mlreview } from "../helpers/cli.js";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/git-repo.js";

const MAX = 65_536;

/** A repository on branch "feature" forked from main, like a pull request; the workspace is the head. */
function prRepo(base: Record<string, string>, head: Record<string, string>): string {
  const dir = makeRepo({ commits: [base] });
  git(dir, "checkout", "-q", "-b", "feature");
  writeFiles(dir, head);
  return dir;
}

describe("mlreview report", () => {
  const base = {
    "metrics.json": JSON.stringify({ eval: { accuracy: 0.9, loss: 0.5, latency_ms: 12 }, samples: 1000 }),
    "params.yaml": "lr: 0.01\nlayers: [64, 32]\n",
  };
  const head = {
    "metrics.json": JSON.stringify({ eval: { accuracy: 0.88, loss: 0.4, latency_ms: 12 }, samples: 1000 }),
    "params.yaml": "lr: 0.00000000000000000001\nlayers: [64, 32, 16]\n",
  };

  it("compares the workspace with the merge-base of the default branch: summary, tables, footer", async () => {
    const dir = prRepo(base, head);
    const r = await mlreview(["report"], { cwd: dir });
    expect(r.code).toBe(0);
    const md = r.stdout;
    expect(md.startsWith("<!-- mlreview:report -->\n### ML results: workspace vs main\n")).toBe(true);
    expect(md).toContain("Metrics: **1 improved** ▲, **1 regressed** ▼ (▼ eval.accuracy -2.22%, ▲ eval.loss -20.0%); 2 params changed.");
    expect(md).toContain("| metrics.json | eval.accuracy | 0.9 | 0.88 | ▼ -0.02 | -2.22% |");
    expect(md).toContain("| metrics.json | eval.loss | 0.5 | 0.4 | ▲ -0.1 | -20.0% |");
    expect(md).not.toContain("latency_ms"); // unchanged metrics are not listed
    expect(md).toContain("| params.yaml | lr | 0.01 | 1e-20 |"); // params are never rounded
    expect(md).toContain("| params.yaml | layers | \\[64, 32\\] | \\[64, 32, 16\\] |");
    const mergeBase = git(dir, "rev-parse", "main").trim().slice(0, 12);
    expect(md).toContain(`Compared workspace against main (${mergeBase}) by mlreview.`);
  });

  it("--out writes report.md with the plots beside it, linked relatively", async () => {
    const files = { ...base, "train.csv": "step,loss\n0,1\n1,0.5\n", "dvc.yaml": "metrics: [metrics.json]\nplots:\n  - train.csv:\n      y: loss\n      title: Loss\n" };
    const dir = prRepo(files, { ...head, "train.csv": "step,loss\n0,0.9\n1,0.4\n" });
    const out = join(tempDir(), "report");
    const r = await mlreview(["report", "--out", out], { cwd: dir });
    expect(r.stdout.trim()).toBe(join(out, "report.md"));
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toContain("![Loss](./train.csv.png)");
    const png = readFileSync(join(out, "train.csv.png"));
    expect(png.subarray(1, 4).toString()).toBe("PNG");
  });

  it("thresholds from the config fail the report with the reason (--json)", async () => {
    const config = ".mlreview.yml";
    const cfg = "metrics: [metrics.json]\nthresholds:\n  - metric: eval.accuracy\n    max_drop: 0.01\n  - metric: loss\n    max: 0.45\n";
    const dir = prRepo({ ...base, [config]: cfg }, { ...head, [config]: cfg });
    const out = JSON.parse((await mlreview(["report", "--json"], { cwd: dir })).stdout) as { conclusion: string; breaches: { reason: string }[]; summary: string };
    expect(out.conclusion).toBe("failure");
    expect(out.breaches.map((b) => b.reason)).toEqual(["eval.accuracy (metrics.json) dropped by 0.02 (max_drop 0.01)"]);
    expect(out.summary).toMatch(/; 1 threshold crossed\.$/);
    const ok = prRepo({ ...base, [config]: cfg.replace("0.01", "0.05") }, { ...head, [config]: cfg.replace("0.01", "0.05") });
    expect(JSON.parse((await mlreview(["report", "--json"], { cwd: ok })).stdout).conclusion).toBe("success");
  });

  it("a configured direction wins over the name", async () => {
    const cfg = "direction: {loss: higher}\n";
    const dir = prRepo({ ...base, ".mlreview.yml": cfg }, { ...head, ".mlreview.yml": cfg });
    expect((await mlreview(["report"], { cwd: dir })).stdout).toContain("| metrics.json | eval.loss | 0.5 | 0.4 | ▼ -0.1 | -20.0% |");
  });

  it("keys, values and paths from the repository cannot inject HTML, links, mentions or table cells", async () => {
    const evil = {
      "<img src=x onerror=alert(1)>": 1,
      "a|b": 1,
      "@acme/admins": 1,
      "[click](https://evil.example)": 1,
      "`code`*bold*": 1,
      note: "</details><script>x</script>",
    };
    const bump = Object.fromEntries(Object.entries(evil).map(([k, v]) => [k, typeof v === "number" ? 2 : "<b>changed</b>"]));
    const dir = prRepo({ "metrics.json": JSON.stringify(evil) }, { "metrics.json": JSON.stringify(bump) });
    const md = (await mlreview(["report"], { cwd: dir })).stdout;
    expect(md).not.toMatch(/<img|<script|<\/details>|<b>/);
    expect(md).not.toContain("](https://");
    expect(md).not.toContain("@acme");
    expect(md).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(md).toContain("a&#124;b");
    // Every table row still has exactly six cells.
    for (const line of md.split("\n").filter((l) => l.startsWith("| metrics.json"))) expect(line.split(" | ")).toHaveLength(6);
  });

  it("20,000 changed metrics fit in one comment: whole rows, and a line saying what was left out", async () => {
    const many = (shift: number) => JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`layer_${i}.score`, i + shift])));
    const dir = prRepo({ "metrics.json": many(0), "params.yaml": "lr: 1\n" }, { "metrics.json": many(1), "params.yaml": "lr: 2\n" });
    const r = await mlreview(["report"], { cwd: dir });
    expect(r.code).toBe(0);
    const md = r.stdout;
    expect(md.length).toBeLessThanOrEqual(MAX);
    expect(md.length).toBeGreaterThan(MAX - 2_000); // the budget is used, not wasted
    const rows = md.split("\n").filter((l) => l.startsWith("| metrics.json | layer\\_"));
    expect(rows.length).toBeGreaterThan(100);
    for (const row of rows) expect(row).toMatch(/^\| metrics\.json \| layer\\_\d+\.score \| \d+ \| \d+ \| ▲ \+1 \| [^|]+ \|$/);
    expect(md).toContain(`_${20_000 - rows.length} more changed metrics not shown: a comment is limited to 65,536 characters.`);
    expect(md).toContain("| params.yaml | lr | 1 | 2 |");
    expect(md.trimEnd().endsWith("</sub>")).toBe(true);
    // The workspace is the head: the report reads it and leaves it as it was, nothing written beside it.
    expect(git(dir, "status", "--porcelain", "--untracked-files=all")).toBe(" M metrics.json\n M params.yaml\n");
    expect(readFileSync(join(dir, "metrics.json"), "utf8")).toBe(many(1));
  });

  it("when rows must be cut, a regression is kept even if it sorts last", async () => {
    const many = (shift: number, acc: number) => JSON.stringify({ ...Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`m${i}`, i + shift])), zzz_accuracy: acc });
    const dir = prRepo({ "metrics.json": many(0, 0.9) }, { "metrics.json": many(1, 0.8) });
    const md = (await mlreview(["report"], { cwd: dir })).stdout;
    expect(md.length).toBeLessThanOrEqual(MAX);
    expect(md).toContain("| metrics.json | zzz\\_accuracy | 0.9 | 0.8 | ▼ -0.1 | -11.1% |");
    expect(md).toMatch(/_\d+ more changed metrics not shown/);
  });
});
