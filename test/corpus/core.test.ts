// Issue 10's core findings, through the built CLI on real repositories: repository globs that were
// regular expressions (C1), a tree bomb (H6), limits that were per file only (H7), a symlink to the
// token in .git/config (M6). Each attack is what a pull request can commit.
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, mlreview, type CliResult } from "../helpers/cli.js";
import { git, makeRepo, tempDir, type Files } from "../helpers/git-repo.js";
import { title } from "./cases.js";
import { linesFor, timed } from "./helpers.js";

const A40 = "a".repeat(40);

/** git with stdin, for the plumbing that builds trees no working tree could hold. */
function gitIn(dir: string, input: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }).trim();
}

/** A commit on top of HEAD whose root is HEAD's tree plus `extra` entries (mode, type, oid, name). */
function commitWith(dir: string, extra: string[]): void {
  const entries = [...git(dir, "ls-tree", "HEAD").trim().split("\n").filter(Boolean), ...extra].join("\n") + "\n";
  const tree = gitIn(dir, entries, "mktree");
  const commit = gitIn(dir, "", "-c", "user.name=t", "-c", "user.email=t@t", "commit-tree", tree, "-p", "HEAD", "-m", "attack");
  git(dir, "update-ref", "refs/heads/main", commit);
}

/** Ten entries of one object: the building block of the bombs below. */
const tenOf = (mode: string, type: string, oid: string, name: string, n = 10) => Array.from({ length: n }, (_, i) => `${mode} ${type} ${oid}\t${name}${String(i).padStart(2, "0")}${type === "blob" && !name.includes(".") ? ".json" : ""}`);

/** The built CLI under /usr/bin/time: its result and its peak resident memory in MB. */
function mlreviewMeasured(args: string[], cwd: string): CliResult & { peakMb: number } {
  const r = spawnSync("/usr/bin/time", ["-v", process.execPath, CLI, ...args], { cwd, encoding: "utf8", timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  const stderr = r.stderr
    .split("\n")
    .filter((l) => !l.startsWith("\t") && !l.startsWith("Command "))
    .join("\n");
  return { stdout: r.stdout, stderr, code: r.status, peakMb: kb / 1024 };
}

describe("C1: repository patterns are globs, matched in linear time", () => {
  // Each config is committed and in the workspace; the key (or file name) of 40 a's made picomatch's RegExp backtrack for hours.
  const metrics = (v: number) => JSON.stringify({ [A40]: v, acc: v });
  const cases: { id: string; config: string; args: string[]; extra?: Files; line: RegExp; stdout?: RegExp }[] = [
    { id: "R01", config: 'direction: {"(a+)+b": higher}\n', args: ["report", "--base", "HEAD"], line: /\.mlreview\.yml: direction\.\(a\+\)\+b: '\(a\+\)\+b': '\(' is not glob syntax/ },
    // Paths take the characters literally (file names hold parentheses): no such file, and no hang.
    {
      id: "R02",
      config: 'metrics: ["(a+)+b", "*(a+)+b", metrics.json]\n',
      args: ["metrics", "diff", "--md"],
      extra: { [A40]: "{}" },
      line: /^mlreview: workspace: \(a\+\)\+b: no such file$/m,
      stdout: /^\| metrics\.json +\| acc +\| 1 +\| 2 +\| 1 +\|$/m,
    },
    { id: "R03", config: 'thresholds: [{metric: "(a+)+b", min: 0}]\n', args: ["report", "--base", "HEAD"], line: /\.mlreview\.yml: thresholds\\?\[0\\?\]\.metric: '\(a\+\)\+b': '\(' is not glob syntax/ },
    { id: "R04", config: 'params: [{params.yaml: ["(a+)+b"]}]\n', args: ["params", "diff", "--md"], line: /\.mlreview\.yml: params\[0\]\.params\.yaml\[0\]: '\(a\+\)\+b': '\(' is not glob syntax/ },
  ];
  for (const c of cases) {
    it(
      title(c.id),
      async () => {
        const files: Files = { ".mlreview.yml": c.config, "metrics.json": metrics(1), "params.yaml": `${A40}: 1\n`, ...c.extra };
        const dir = makeRepo({ commits: [files], workspace: { ...files, "metrics.json": metrics(2), "params.yaml": `${A40}: 2\n` } });
        const { value: r, ms } = await timed(() => mlreview(c.args, { cwd: dir }));
        expect(r.code, r.stderr).toBe(0);
        expect(ms).toBeLessThan(20_000); // a guard against the hang: it answers in about a second
        expect(`${r.stdout}\n${r.stderr}`).toMatch(c.line);
        if (c.stdout) expect(r.stdout).toMatch(c.stdout);
      },
      70_000,
    );
  }

  it(
    title("R05"),
    async () => {
      // dvc.yaml keeps DVC's (fnmatch's) meaning: parentheses and plus signs are characters, not syntax.
      const files: Files = { "dvc.yaml": 'stages:\n  train:\n    cmd: train\n    params: [{train.yaml: ["(a+)+b", "lr"]}]\n', "train.yaml": `${A40}: 1\nlr: 0.1\n` };
      const dir = makeRepo({ commits: [files], workspace: { ...files, "train.yaml": `${A40}: 2\nlr: 0.2\n` } });
      const { value: r, ms } = await timed(() => mlreview(["params", "diff", "--md", "--all"], { cwd: dir }));
      expect(ms).toBeLessThan(20_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(/^\| train\.yaml +\| lr +\| 0\.1 +\| 0\.2 +\|$/m);
      // Taken literally, the pattern names no key: the 40-a key is not tracked.
      expect(r.stdout).not.toContain(A40);
    },
    70_000,
  );
});

describe("H6: a tree bomb lists within the revision's budget", () => {
  it(
    title("R06"),
    async () => {
      const dir = makeRepo({ commits: [{ "metrics.json": '{"acc": 0.5}' }] });
      // 9 tree objects, each naming the next ten times: 10^8 paths from a few kilobytes.
      const blob = gitIn(dir, '{"x": 1}', "hash-object", "-w", "--stdin");
      let tree = gitIn(dir, tenOf("100644", "blob", blob, "f").join("\n") + "\n", "mktree");
      for (let level = 0; level < 7; level++) tree = gitIn(dir, tenOf("040000", "tree", tree, "d").join("\n") + "\n", "mktree");
      commitWith(dir, [`040000 tree ${tree}\tbomb`]);
      writeFileSync(join(dir, "metrics.json"), '{"acc": 0.75}');
      const { value: r, ms } = await timed(() => mlreviewMeasured(["metrics", "diff", "HEAD", "--md"], dir));
      expect(ms).toBeLessThan(40_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr.split("\n").filter(Boolean)).toEqual(["mlreview: HEAD: the revision lists more than 1,000,000 files; the rest was not listed (a tree bomb?)"]);
      // The rest of the report: the root's metrics.json was listed first (breadth-first) and still diffs.
      expect(r.stdout).toMatch(/^\| metrics\.json +\| acc +\| 0\.5 +\| 0\.75 +\| 0\.25 +\|$/m);
      expect(r.peakMb).toBeLessThan(1_000);
    },
    70_000,
  );
});

describe("H7: totals per revision, not only per file", () => {
  it(
    title("R07"),
    async () => {
      const dir = makeRepo({ commits: [{ ".mlreview.yml": 'metrics: ["m/*.json"]\n' }] });
      // One 40 MB blob (valid JSON, padded with spaces) under 32 paths: 64 KB of tree, 1.28 GB to read.
      const big = join(tempDir(), "big.json");
      writeFileSync(big, `{"acc": 0.5}${" ".repeat(40 * 1024 * 1024)}`);
      const blob = execFileSync("git", ["hash-object", "-w", big], { cwd: dir, encoding: "utf8" }).trim();
      const m = gitIn(dir, tenOf("100644", "blob", blob, "", 32).join("\n") + "\n", "mktree");
      commitWith(dir, [`040000 tree ${m}\tm`]);
      const r = mlreviewMeasured(["metrics", "diff", "HEAD~1", "HEAD", "--md"], dir);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^mlreview: HEAD: the revision's budget of 128 MB read is spent; the rest was not read$/m);
      // What fitted is still compared; the rest is the one line above, not 29 more.
      expect(r.stdout).toMatch(/^\| m\/00\.json +\| acc +\| - +\| 0\.5 +\| - +\|$/m);
      expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
      expect(r.peakMb).toBeLessThan(1_200);
    },
    70_000,
  );

  it(
    title("R08"),
    async () => {
      const dir = makeRepo({ commits: [{ "dvc.yaml": "metrics: [metrics.json]\n", "metrics.json": '{"acc": 0.5}' }] });
      // One dvc.yaml of 10,000 stages (the per-file limit) under 40 folders: 400,000 stages.
      const stages = `stages:\n  s:\n    foreach: [${Array.from({ length: 10_000 }, (_, i) => i).join(", ")}]\n    do:\n      cmd: echo \${item}\n`;
      const blob = gitIn(dir, stages, "hash-object", "-w", "--stdin");
      const folder = gitIn(dir, `100644 blob ${blob}\tdvc.yaml\n`, "mktree");
      commitWith(dir, tenOf("040000", "tree", folder, "x", 40));
      writeFileSync(join(dir, "metrics.json"), '{"acc": 0.75}');
      const { value: r, ms } = await timed(() => mlreview(["metrics", "diff", "HEAD", "--md"], { cwd: dir }));
      expect(ms).toBeLessThan(30_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^mlreview: HEAD: the revision's dvc\.yaml files expand to more than 20,000 stages; later dvc\.yaml files were not read$/m);
      expect(r.stdout).toMatch(/^\| metrics\.json +\| acc +\| 0\.5 +\| 0\.75 +\| 0\.25 +\|$/m);
    },
    70_000,
  );
});

describe("M6: nothing under .git is read, through a symlink or by name", () => {
  it(
    title("R09"),
    async () => {
      const token = "ghs_FAKEtoken0123456789abcdefSECRET";
      const files: Files = {
        ".mlreview.yml": "metrics: [metrics.json, good.json, .git/config]\nplots: [leak.csv]\n",
        "good.json": '{"acc": 0.5}',
        "metrics.json": { symlink: ".git/config" },
        "leak.csv": { symlink: "./sub/../.git/config" },
        "sub/x": "",
      };
      const dir = makeRepo({ commits: [files], workspace: { ...files, "good.json": '{"acc": 0.75}' } });
      // What actions/checkout persists: the job's token as an extra header in .git/config.
      git(dir, "config", "http.https://github.com/.extraheader", `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`);
      git(dir, "config", "mlreview.leak", token);
      const out = tempDir("mlreview-out-");
      const runs = [await mlreview(["metrics", "diff", "--md"], { cwd: dir }), await mlreview(["report", "--base", "HEAD", "--out", out], { cwd: dir })];
      const written = readdirSync(out).map((f) => readFileSync(join(out, f)).toString("latin1"));
      const b64 = Buffer.from(`x-access-token:${token}`).toString("base64");
      for (const text of [...runs.flatMap((r) => [r.stdout, r.stderr]), ...written]) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(b64);
      }
      const [diff, report] = runs as [CliResult, CliResult];
      expect(diff.code, diff.stderr).toBe(0);
      expect(linesFor(diff.stderr, "workspace", "metrics.json")).toEqual(["mlreview: workspace: metrics.json: symlink points into .git"]);
      expect(linesFor(diff.stderr, "workspace", ".git/config")).toEqual(["mlreview: workspace: .git/config: paths inside .git are not read"]);
      expect(diff.stdout).toMatch(/^\| good\.json +\| acc +\| 0\.5 +\| 0\.75 +\| 0\.25 +\|$/m);
      expect(report.code, report.stderr).toBe(0);
      const md = readFileSync(join(out, "report.md"), "utf8");
      expect(md).toContain("symlink points into .git");
      // The plot of leak.csv was not drawn: only the report, no image of git's config.
      expect(readdirSync(out).filter((f) => f.endsWith(".png"))).toEqual([]);
    },
    70_000,
  );
});
