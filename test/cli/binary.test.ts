// End to end: the built binary as a user runs it (exit codes, --help, --version, its process exiting
// once the work is done), and the in-process runner the other tests use giving the binary's exact result.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, mlreview, type CliOptions, type CliResult } from "../helpers/cli.js";
import { makeRepo, tempDir } from "../helpers/git-repo.js";

const version = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

const files = (acc: string, loss: string) => ({
  "dvc.yaml": "metrics: [m.json]\nplots:\n  - loss.csv:\n      y: loss\n",
  "m.json": `{"acc": ${acc}, "loss": ${loss}}`,
  "params.yaml": "lr: 0.1\n",
  "loss.csv": `step,loss\n0,${loss}\n1,${loss}\n`,
});

/** The built binary as a user runs it (test/helpers/cli.ts's mlreviewBinary: the same spawn, options and decoding) without blocking this process, so that several run at once. */
function binary(args: string[], opts: CliOptions): Promise<CliResult> {
  return slot(() => spawned(args, opts));
}

/** At most three binaries at a time (two cores): more only take the other test worker's CPU. */
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  while (running >= 3) await new Promise<void>((ok) => waiting.push(ok));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function spawned(args: string[], opts: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, timeout: 60_000 });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (d: Buffer) => out.push(d));
    p.stderr.on("data", (d: Buffer) => err.push(d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), code }));
  });
}

describe("the mlreview binary", () => {
  const dir = makeRepo({ commits: [files("0.5", "1")], workspace: { ...files("0.6", "0.5"), "params.yaml": "lr: 0.2\n" } });

  it("--version, --help and usage errors: their exit codes and streams", async () => {
    const [v, help, unknown, precision, notRepo] = await Promise.all([
      binary(["--version"], { cwd: dir }),
      binary(["--help"], { cwd: dir }),
      binary(["nope"], { cwd: dir }),
      binary(["metrics", "diff", "--precision", "x"], { cwd: dir }),
      binary(["metrics", "diff"], { cwd: tempDir() }),
    ]);
    expect(v).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: mlreview \[options\] \[command\]/);
    for (const c of ["metrics", "params", "plots", "report", "runners"]) expect(help.stdout).toContain(`\n  ${c} `);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^mlreview: error: unknown command 'nope'/);
    expect(precision).toMatchObject({ code: 1, stdout: "" });
    expect(notRepo).toMatchObject({ code: 1, stdout: "" });
  });

  it("one command of each family, and the process exits when done", async () => {
    const out = join(tempDir(), "out");
    const [metrics, params, show, report, runners] = await Promise.all([
      binary(["metrics", "diff", "--json"], { cwd: dir }),
      binary(["params", "diff", "--json"], { cwd: dir }),
      binary(["metrics", "show", "--json"], { cwd: dir }),
      binary(["report", "--base", "HEAD", "--out", out], { cwd: dir }),
      binary(["runners", "list"], { cwd: dir, env: { MLREVIEW_RUNNERS: "" } }),
    ]);
    expect(metrics).toEqual({
      code: 0,
      stdout: '{"m.json": {"acc": {"old": 0.5, "new": 0.6, "diff": 0.09999999999999998}, "loss": {"old": 1, "new": 0.5, "diff": -0.5}}}\n',
      stderr: "",
    });
    expect(params.stdout).toBe('{"params.yaml": {"lr": {"old": 0.1, "new": 0.2, "diff": 0.1}}}\n');
    expect(show.stdout).toBe('{"workspace": {"data": {"m.json": {"data": {"acc": 0.6, "loss": 0.5}}}}}\n');
    // The render processes are stopped: a binary left waiting on them would hit the spawn's timeout (code null).
    expect(report).toMatchObject({ code: 0, stdout: `${join(out, "report.md")}\n`, stderr: "" });
    expect(runners).toEqual({
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
    // The binaries all at once; the in-process runs (one at a time, as the helper queues them) meanwhile.
    const binaries = Promise.all(cases.map(([argv, cwd]) => binary(argv, { cwd })));
    const inProcess: CliResult[] = [];
    for (const [argv, cwd] of cases) inProcess.push(await mlreview(argv, { cwd }));
    const results = await binaries;
    cases.forEach(([argv], i) => expect(inProcess[i], argv.join(" ")).toEqual(results[i]));
  }, 60_000);
});
