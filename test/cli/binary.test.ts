// End to end: the built binary as a user runs it (exit codes, --help, --version, its process exiting
// once the work is done), and the in-process runner the other tests use giving the binary's exact result.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mlreview, mlreviewBinary } from "../helpers/cli.js";
import { makeRepo, tempDir } from "../helpers/git-repo.js";

const version = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

const files = (acc: string, loss: string) => ({
  "dvc.yaml": "metrics: [m.json]\nplots:\n  - loss.csv:\n      y: loss\n",
  "m.json": `{"acc": ${acc}, "loss": ${loss}}`,
  "params.yaml": "lr: 0.1\n",
  "loss.csv": `step,loss\n0,${loss}\n1,${loss}\n`,
});

describe("the mlreview binary", () => {
  const dir = makeRepo({ commits: [files("0.5", "1")], workspace: { ...files("0.6", "0.5"), "params.yaml": "lr: 0.2\n" } });

  it("--version, --help and usage errors: their exit codes and streams", () => {
    expect(mlreviewBinary(["--version"], { cwd: dir })).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    const help = mlreviewBinary(["--help"], { cwd: dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: mlreview \[options\] \[command\]/);
    for (const c of ["metrics", "params", "plots", "report", "runners"]) expect(help.stdout).toContain(`\n  ${c} `);
    const unknown = mlreviewBinary(["nope"], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^mlreview: error: unknown command 'nope'/);
    expect(mlreviewBinary(["metrics", "diff", "--precision", "x"], { cwd: dir })).toMatchObject({ code: 1, stdout: "" });
    expect(mlreviewBinary(["metrics", "diff"], { cwd: tempDir() })).toMatchObject({ code: 1, stdout: "" });
  });

  it("one command of each family, and the process exits when done", () => {
    expect(mlreviewBinary(["metrics", "diff", "--json"], { cwd: dir })).toEqual({
      code: 0,
      stdout: '{"m.json": {"acc": {"old": 0.5, "new": 0.6, "diff": 0.09999999999999998}, "loss": {"old": 1, "new": 0.5, "diff": -0.5}}}\n',
      stderr: "",
    });
    expect(mlreviewBinary(["params", "diff", "--json"], { cwd: dir }).stdout).toBe('{"params.yaml": {"lr": {"old": 0.1, "new": 0.2, "diff": 0.1}}}\n');
    expect(mlreviewBinary(["metrics", "show", "--json"], { cwd: dir }).stdout).toBe('{"workspace": {"data": {"m.json": {"data": {"acc": 0.6, "loss": 0.5}}}}}\n');
    const out = join(tempDir(), "out");
    // The render processes are stopped: a binary left waiting on them would hit the helper's timeout (code null).
    expect(mlreviewBinary(["report", "--base", "HEAD", "--out", out], { cwd: dir })).toMatchObject({ code: 0, stdout: `${join(out, "report.md")}\n`, stderr: "" });
    expect(mlreviewBinary(["runners", "list"], { cwd: dir, env: { MLREVIEW_RUNNERS: "" } })).toEqual({
      code: 1,
      stdout: "",
      stderr: "mlreview: no runners file: pass --config FILE or set MLREVIEW_RUNNERS\n",
    });
  }, 60_000);

  it("in-process runs give the binary's exact stdout, stderr and exit code", async () => {
    const elsewhere = tempDir();
    const cases: [string[], string][] = [
      [["--version"], dir],
      [["--help"], dir],
      [["metrics", "--help"], dir],
      [["nope"], dir],
      [["metrics", "diff", "--bogus"], dir],
      [["metrics", "diff", "--precision", "x"], dir],
      [["metrics", "diff", "--max-file-size", "lots"], dir],
      [["metrics", "diff"], elsewhere],
      [["metrics", "diff", "-R", dir, "--md", "--all"], elsewhere],
      [["params", "diff", "HEAD", "v9.9"], dir],
      [["metrics", "show", "HEAD", "workspace"], dir],
      [["report", "--base", "HEAD"], dir],
      [["report", "--base", "HEAD", "--json"], dir],
      [["runners", "list", "--config", "missing.yml"], elsewhere],
    ];
    for (const [argv, cwd] of cases) expect(await mlreview(argv, { cwd }), argv.join(" ")).toEqual(mlreviewBinary(argv, { cwd }));
  }, 60_000);
});
