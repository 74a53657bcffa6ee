// Metrics diff end to end: `mlreview metrics diff HEAD~1 HEAD --json` in a generated repository with N keys
// spread over 200 files, process start included. Prints the median of several runs and the git processes used.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../dist/bin/main.js", import.meta.url));
const FILES = 200;
const RUNS = 7;
const env = { ...process.env, GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@b", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@b" };

function makeRepo(totalKeys) {
  const dir = mkdtempSync(join(tmpdir(), "mlreview-bench-"));
  const git = (...a) => execFileSync("git", a, { cwd: dir, env });
  git("init", "-q");
  const perFile = totalKeys / FILES;
  const write = (shift) => {
    for (let f = 0; f < FILES; f++) {
      const groups = {};
      for (let k = 0; k < perFile; k++) {
        const group = (groups[`layer_${k % 10}`] ??= {});
        group[`metric_${k}`] = k % 3 === 0 ? k + shift : Math.sin(f * 1000 + k + shift);
      }
      mkdirSync(join(dir, "eval", `part${f % 10}`), { recursive: true });
      writeFileSync(join(dir, "eval", `part${f % 10}`, `m${f}.json`), JSON.stringify({ eval: groups }));
    }
  };
  writeFileSync(join(dir, ".mlreview.yml"), "metrics: ['eval/**/*.json']\n");
  write(0);
  git("add", "-A");
  git("commit", "-qm", "base");
  write(1);
  git("commit", "-qam", "head");
  return dir;
}

function timeDiff(dir) {
  const times = [];
  let out = "";
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [CLI, "metrics", "diff", "HEAD~1", "HEAD", "--json"], { cwd: dir, encoding: "utf8", maxBuffer: 1 << 30 });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(r.stderr);
    out = r.stdout;
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(RUNS / 2)], min: times[0], out };
}

function gitProcesses(dir) {
  const trace = join(dir, "..", `trace-${process.pid}`);
  spawnSync(process.execPath, [CLI, "metrics", "diff", "HEAD~1", "HEAD", "--json"], { cwd: dir, env: { ...process.env, GIT_TRACE: trace } });
  const lines = readFileSync(trace, "utf8")
    .split("\n")
    .filter((l) => l.includes("trace: built-in: git"));
  rmSync(trace);
  return lines.length;
}

/** C17 of test/corpus: 3,000 globs of three `**` each in .mlreview.yml, read from the workspace (was 10 s: one disk walk per glob). */
export function globsBench() {
  const dir = mkdtempSync(join(tmpdir(), "mlreview-bench-globs-"));
  try {
    const git = (...a) => execFileSync("git", a, { cwd: dir, env });
    git("init", "-q");
    writeFileSync(join(dir, ".mlreview.yml"), `metrics:\n  - good.json\n${Array.from({ length: 3000 }, (_, i) => `  - "**/**/**/x${i}*.json"\n`).join("")}`);
    for (let i = 0; i < 50; i++) {
      mkdirSync(join(dir, `d${i}`, "e", "f"), { recursive: true });
      writeFileSync(join(dir, `d${i}`, "e", "f", "g.json"), "{}");
    }
    writeFileSync(join(dir, "good.json"), '{"acc": 0.5}');
    git("add", "-A");
    git("commit", "-qm", "base");
    writeFileSync(join(dir, "good.json"), '{"acc": 0.75}');
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [CLI, "metrics", "diff", "--json"], { cwd: dir, encoding: "utf8" });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.status !== 0 || !r.stdout.includes('"acc"')) throw new Error(r.stderr || r.stdout);
    }
    times.sort((a, b) => a - b);
    const median = Math.round(times[Math.floor(RUNS / 2)]);
    console.log(`\n3,000 '**/**/**' globs in .mlreview.yml, workspace against HEAD, end to end, median of ${RUNS}: ${median} ms (target < 5000 ms) ${median < 5000 ? "OK" : "MISSED"}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runDiffBench() {
  globsBench();
  const rows = [];
  for (const keys of [1_000, 10_000, 50_000, 100_000]) {
    const dir = makeRepo(keys);
    try {
      const { median, min, out } = timeDiff(dir);
      const reported = Object.values(JSON.parse(out)).reduce((n, f) => n + Object.keys(f).length, 0);
      rows.push({ keys, files: FILES, median_ms: Math.round(median), min_ms: Math.round(min), changed_keys_reported: reported, git_processes: gitProcesses(dir) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // Linear growth: the cost of each key beyond the first 1,000, from every size to the smallest.
  const [first] = rows;
  first.marginal_us_per_key = "-";
  for (const r of rows.slice(1)) r.marginal_us_per_key = +(((r.median_ms - first.median_ms) * 1000) / (r.keys - first.keys)).toFixed(1);
  console.log(`\nmetrics diff, 200 files, two revisions, end to end (process start included), median of ${RUNS}:`);
  console.table(rows);
  console.log("marginal_us_per_key: cost of each key beyond the first 1,000 (constant = linear growth)");
  const big = rows.find((r) => r.keys === 100_000);
  console.log(`100,000 keys: ${big.median_ms} ms (target < 1500 ms) ${big.median_ms < 1500 ? "OK" : "MISSED"}; git processes for reading: ${big.git_processes}`);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) runDiffBench();
