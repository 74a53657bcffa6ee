import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mlreview } from "../helpers/cli.js";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/git-repo.js";

const files = (acc: string, loss: string) => ({
  "dvc.yaml": "metrics: [eval/m.json]\n",
  "eval/m.json": `{"acc": ${acc}, "loss": ${loss}, "name": "run"}`,
  "params.yaml": "lr: 0.1\n",
});

describe("CLI options", () => {
  const dir = makeRepo({ commits: [files("0.5", "0.123456789")], workspace: files("0.5", "0.1") });

  it("--all lists unchanged entries, numeric ones with diff 0", async () => {
    const r = await mlreview(["metrics", "diff", "--all", "--json"], { cwd: dir });
    expect(r.stdout.trim()).toBe('{"eval/m.json": {"acc": {"old": 0.5, "new": 0.5, "diff": 0.0}, "loss": {"old": 0.123456789, "new": 0.1, "diff": -0.023456788999999992}, "name": {"old": "run", "new": "run"}}}');
    expect((await mlreview(["params", "diff", "--all", "--json"], { cwd: dir })).stdout.trim()).toBe('{"params.yaml": {"lr": {"old": 0.1, "new": 0.1, "diff": 0.0}}}');
  });

  it("--precision and --no-path", async () => {
    const r = await mlreview(["metrics", "diff", "--precision", "2", "--no-path"], { cwd: dir });
    expect(r.stdout).toBe("Metric    HEAD    workspace    Change\nloss      0.12    0.1          -0.02\n");
  });

  it("-R reads another repository; from a subdirectory, paths are relative to it, as DVC prints them", async () => {
    const elsewhere = tempDir();
    expect((await mlreview(["metrics", "diff", "-R", dir, "--json"], { cwd: elsewhere })).stdout).toContain('"eval/m.json"');
    expect((await mlreview(["metrics", "diff", "--json"], { cwd: join(dir, "eval") })).stdout).toContain('{"m.json": ');
  });

  it("no changes: --md still prints the header, plain prints nothing", async () => {
    const same = makeRepo({ commits: [files("1", "1")] });
    expect((await mlreview(["metrics", "diff", "--md"], { cwd: same })).stdout).toBe("| Path   | Metric   | HEAD   | workspace   | Change   |\n|--------|----------|--------|-------------|----------|\n\n");
    expect((await mlreview(["metrics", "diff"], { cwd: same })).stdout).toBe("");
    expect((await mlreview(["metrics", "diff", "--json"], { cwd: same })).stdout).toBe("{}\n");
  });

  it("metrics show -a: every local branch, and the workspace when it differs from the branch checked out (as DVC's _hide_workspace); --json keeps types", async () => {
    const repo = makeRepo({ commits: [files("0.5", "1")] });
    git(repo, "checkout", "-q", "-b", "exp");
    git(repo, "checkout", "-q", "main");
    const table = (rows: string[]) => ["| Revision   | Path        | acc   | loss   | name   |", "|------------|-------------|-------|--------|--------|", ...rows, "", ""].join("\n");
    expect((await mlreview(["metrics", "show", "-a", "--md"], { cwd: repo })).stdout).toBe(table(["| exp        | eval/m.json | 0.5   | 1      | run    |", "| main       | eval/m.json | 0.5   | 1      | run    |"]));
    writeFiles(repo, files("0.75", "1"));
    expect((await mlreview(["metrics", "show", "-a", "--md"], { cwd: repo })).stdout).toBe(
      table(["| workspace  | eval/m.json | 0.75  | 1      | run    |", "| exp        | eval/m.json | 0.5   | 1      | run    |", "| main       | eval/m.json | 0.5   | 1      | run    |"]),
    );
    git(repo, "checkout", "-q", "--", ".");
    expect((await mlreview(["metrics", "show", "--json"], { cwd: repo })).stdout.trim()).toBe('{"workspace": {"data": {"eval/m.json": {"data": {"acc": 0.5, "loss": 1, "name": "run"}}}}}');
  });

  it("metrics show --json encodes errors as DVC does", async () => {
    const repo = makeRepo({ commits: [{ "dvc.yaml": "metrics: [a.json, b.json]\n", "a.json": "{bad" }] });
    expect((await mlreview(["metrics", "show", "--json"], { cwd: repo })).stdout.trim()).toBe(
      '{"workspace": {"data": {"a.json": {"error": {"type": "JSONFileCorruptedError", "msg": "invalid JSON at line 1 column 2: expected a property name in double quotes"}}, ' +
        '"b.json": {"error": {"type": "FileNotFoundError", "msg": "no such file"}}}}}',
    );
  });

  it("bad flag values are usage errors", async () => {
    const r = await mlreview(["metrics", "diff", "--precision", "x"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("option '--precision <n>' argument 'x' is invalid. expected a whole number from 0 to 15");
    expect((await mlreview(["metrics", "diff", "--max-file-size", "lots"], { cwd: dir })).stderr).toContain("expected a size such as 50MB");
  });
});
