// DVC-tracked results over an HTTP remote: an example-get-started-shaped project (prepare → featurize →
// train → evaluate; `eval/` is ONE directory out of 8 files, and a 500 MB model.pkl) at two revisions,
// pushed to a loopback HTTP remote that counts requests and bytes. In a fresh clone with nothing pulled:
// `mlreview metrics diff` and `mlreview report`, cold (empty object cache) and warm, beside the real
// `dvc metrics diff` and `dvc plots diff` (pinned venv, test/helpers/python.ts) on the same clone and remote.
// Target: mlreview fetches the `.dir` objects and the declared files only (nothing of the model), faster than DVC.
import { spawn, spawnSync } from "node:child_process";
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "dist", "bin", "main.js");
const MODEL_MB = Number(process.env.MLREVIEW_BENCH_MODEL_MB ?? 500);

// The venv helper is TypeScript: esbuild (a dev dependency) turns it into a module this script can import.
async function venvBin(name) {
  const { build } = await import("esbuild");
  const out = join(mkdtempSync(join(tmpdir(), "mlreview-bench-py-")), "python.mjs");
  await build({ entryPoints: [join(ROOT, "test", "helpers", "python.ts")], bundle: true, platform: "node", format: "esm", outfile: out, logLevel: "error" });
  const { ensureVenv } = await import(out);
  return join(ensureVenv(), "bin", name);
}

const work = mkdtempSync(join(tmpdir(), "mlreview-bench-dvc-"));
const DVC = await venvBin("dvc");
const home = join(work, "home");
mkdirSync(join(home, ".config"), { recursive: true });
const baseEnv = {
  PATH: `${join(DVC, "..")}:${process.env.PATH}`,
  HOME: home,
  XDG_CONFIG_HOME: join(home, ".config"),
  XDG_CACHE_HOME: join(home, ".cache"),
  DVC_NO_ANALYTICS: "1",
  DVC_NO_SITE_CONFIG: "1",
  DVC_SITE_CACHE_DIR: join(work, "dvc-site-cache"),
  GIT_AUTHOR_NAME: "b",
  GIT_AUTHOR_EMAIL: "b@b",
  GIT_COMMITTER_NAME: "b",
  GIT_COMMITTER_EMAIL: "b@b",
};
const run = (cwd, cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { cwd, env: { ...baseEnv, ...env }, encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
};
// The remote is served by this process: what talks to it must not block the event loop (spawnSync would).
const runAsync = (cwd, cmd, args, env = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...baseEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let [stdout, stderr] = ["", ""];
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`${cmd} ${args.join(" ")} failed (${code}):\n${stdout}\n${stderr}`))));
  });
const dvc = (cwd, ...args) => run(cwd, DVC, args);
const git = (cwd, ...args) => run(cwd, "git", args).stdout.trim();

// The remote, served as DVC's HTTP remote is: GET (and HEAD, Range) of /dvc/<key>, 404 otherwise.
const storage = join(work, "storage");
const counters = { requests: 0, objects: new Set(), bytes: 0 };
const reset = () => Object.assign(counters, { requests: 0, objects: new Set(), bytes: 0 });
const server = createServer((req, res) => {
  counters.requests++;
  const path = new URL(req.url ?? "/", "http://x").pathname;
  const rel = path.startsWith("/dvc/") ? normalize(decodeURIComponent(path.slice(5))) : "..";
  let size;
  try {
    if (rel.startsWith("..")) throw new Error();
    size = statSync(join(storage, rel)).size;
  } catch {
    return void res.writeHead(404).end();
  }
  if (req.method === "HEAD") return void res.writeHead(200, { "content-length": size }).end();
  if (req.method !== "GET") return void res.writeHead(405).end();
  let [start, end] = [0, size - 1];
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
  if (range) [start, end] = [range[1] ? +range[1] : 0, range[2] ? Math.min(+range[2], size - 1) : size - 1];
  counters.objects.add(rel);
  const headers = { "content-length": end - start + 1, "accept-ranges": "bytes" };
  if (range) headers["content-range"] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range ? 206 : 200, headers);
  const stream = createReadStream(join(storage, rel), { start, end });
  stream.on("data", (c) => (counters.bytes += c.length));
  stream.pipe(res);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const remoteUrl = `http://127.0.0.1:${server.address().port}/dvc`;

const STAGES = {
  "src/prepare.py": `import os, yaml
p = yaml.safe_load(open("params.yaml"))["prepare"]
os.makedirs("data/prepared", exist_ok=True)
rows = open("data/data.xml").read().splitlines()
cut = int(len(rows) * p["split"])
open("data/prepared/train.tsv", "w").write("\\n".join(rows[cut:]))
open("data/prepared/test.tsv", "w").write("\\n".join(rows[:cut]))
`,
  "src/featurization.py": `import os, yaml
p = yaml.safe_load(open("params.yaml"))["featurize"]
os.makedirs("data/features", exist_ok=True)
for part in ("train", "test"):
    rows = open("data/prepared/%s.tsv" % part).read().splitlines()
    open("data/features/%s.pkl" % part, "w").write("\\n".join(r[: p["max_features"]] for r in rows))
`,
  // The model: random bytes, written in 8 MiB blocks (DVC hashes and caches it; mlreview must never fetch it).
  "src/train.py": `import os, sys
mb = int(sys.argv[1])
with open("model.pkl", "wb") as f:
    for _ in range(mb // 8):
        f.write(os.urandom(8 << 20))
`,
  "src/evaluate.py": `import json, math, os, shutil, yaml
p = yaml.safe_load(open("params.yaml"))["evaluate"]
t = p["threshold"]
os.makedirs("eval/plots/sklearn", exist_ok=True)
os.makedirs("eval/plots/metrics", exist_ok=True)
n = 200
roc = [{"fpr": i / n, "tpr": min(1.0, (i / n) ** t), "threshold": 1 - i / n} for i in range(n + 1)]
prc = [{"recall": i / n, "precision": 1 - (i / n) ** (1 / t) / 2, "threshold": 1 - i / n} for i in range(n + 1)]
cm = [{"actual": str(i % 2), "predicted": str((i * 7 + int(t * 10)) % 3 % 2)} for i in range(400)]
json.dump({"roc": roc}, open("eval/plots/sklearn/roc.json", "w"))
json.dump({"prc": prc}, open("eval/plots/sklearn/prc.json", "w"))
json.dump(cm, open("eval/plots/sklearn/cm.json", "w"))
for name, f in (("train_loss", lambda s: math.exp(-s / 30)), ("val_loss", lambda s: math.exp(-s / 35) + 0.05 * t), ("acc", lambda s: 1 - math.exp(-s / 20) * t)):
    with open("eval/plots/metrics/%s.tsv" % name, "w") as out:
        out.write("step\\t%s\\n" % name)
        out.write("".join("%d\\t%.6f\\n" % (s, f(s)) for s in range(100)))
json.dump({"avg_prec": {"train": 0.9 - t / 10, "test": 0.85 - t / 10}, "roc_auc": {"train": 0.95 - t / 20, "test": 0.9 - t / 20}}, open("eval/metrics.json", "w"), indent=4)
shutil.copy("assets/importance.png", "eval/importance.png")
`,
};
const DVC_YAML = `stages:
  prepare:
    cmd: python src/prepare.py
    deps: [data/data.xml, src/prepare.py]
    params: [prepare]
    outs: [data/prepared]
  featurize:
    cmd: python src/featurization.py
    deps: [data/prepared, src/featurization.py]
    params: [featurize]
    outs: [data/features]
  train:
    cmd: python src/train.py ${MODEL_MB}
    deps: [data/features, src/train.py]
    params: [train]
    outs: [model.pkl]
  evaluate:
    cmd: python src/evaluate.py
    deps: [model.pkl, src/evaluate.py, assets/importance.png]
    params: [evaluate]
    outs: [eval]
metrics:
- eval/metrics.json
plots:
- eval/plots/sklearn/roc.json:
    template: simple
    x: fpr
    y: tpr
- eval/plots/sklearn/prc.json:
    template: simple
    x: recall
    y: precision
- eval/plots/sklearn/cm.json:
    template: confusion
    x: actual
    y: predicted
- eval/plots/metrics/train_loss.tsv:
    x: step
- eval/plots/metrics/val_loss.tsv:
    x: step
- eval/plots/metrics/acc.tsv:
    x: step
- eval/importance.png
`;
const params = (threshold) => `prepare:\n  split: 0.2\n  seed: 20170428\nfeaturize:\n  max_features: 100\n  ngrams: 1\ntrain:\n  seed: 20170428\n  n_est: 50\n  min_split: 0.01\nevaluate:\n  threshold: ${threshold}\n`;

const fmtBytes = (n) => (n < 1 << 20 ? `${(n / 1024).toFixed(1)} KB` : `${(n / (1 << 20)).toFixed(1)} MB`);
const secs = (ms) => +(ms / 1000).toFixed(2);
async function timed(fn) {
  reset();
  const t0 = performance.now();
  await fn();
  return { s: secs(performance.now() - t0), objects: counters.objects.size, requests: counters.requests, bytes: counters.bytes };
}

try {
  const project = join(work, "project");
  mkdirSync(join(project, "data"), { recursive: true });
  git(work, "init", "-q", "-b", "main", project);
  dvc(project, "init", "-q");
  const sharp = (await import("sharp")).default;
  mkdirSync(join(project, "assets"), { recursive: true });
  const png = await sharp({ create: { width: 640, height: 360, channels: 3, background: { r: 40, g: 90, b: 160 } } })
    .png()
    .toBuffer();
  writeFileSync(join(project, "assets", "importance.png"), png);
  writeFileSync(join(project, "data", "data.xml"), Array.from({ length: 2000 }, (_, i) => `<row Id="${i}" Body="post ${i} about R and python ${i % 13}"/>`).join("\n"));
  for (const [p, text] of Object.entries(STAGES)) (mkdirSync(join(project, "src"), { recursive: true }), writeFileSync(join(project, p), text));
  writeFileSync(join(project, "dvc.yaml"), DVC_YAML);
  writeFileSync(join(project, ".dvc", "config"), `[core]\n    remote = storage\n['remote "storage"']\n    url = ${remoteUrl}\n['remote "dir"']\n    url = ${storage}\n`);
  const revs = [];
  for (const threshold of [1.5, 2.5]) {
    writeFileSync(join(project, "params.yaml"), params(threshold));
    dvc(project, "repro", "-q");
    dvc(project, "push", "-q", "-r", "dir");
    git(project, "add", "-A");
    git(project, "commit", "-qm", `threshold ${threshold}`);
    revs.push(git(project, "rev-parse", "HEAD"));
  }
  const [A, B] = revs;
  const clone = join(work, "clone");
  git(work, "clone", "-q", project, clone);

  const dataDir = join(work, "mlreview-data");
  const ours = (args) => () => runAsync(clone, process.execPath, [CLI, ...args], { MLREVIEW_DATA_DIR: dataDir });
  const theirs = (args) => () => runAsync(clone, DVC, args);
  const coldOurs = () => rmSync(dataDir, { recursive: true, force: true });
  const coldDvc = () => {
    for (const d of [join(clone, ".dvc", "cache"), join(clone, ".dvc", "tmp"), baseEnv.DVC_SITE_CACHE_DIR]) rmSync(d, { recursive: true, force: true });
  };
  const measure = async (name, fn, cold) => {
    cold();
    const c = await timed(fn);
    const w = await timed(fn);
    return { name, cold: c, warm: w };
  };
  const out = join(work, "out");
  const rows = [
    await measure("mlreview metrics diff A B", ours(["metrics", "diff", A, B]), coldOurs),
    await measure("mlreview report --base A --head B --out DIR", ours(["report", "--base", A, "--head", B, "--out", join(out, "report")]), coldOurs),
    await measure("mlreview plots diff A B --out DIR", ours(["plots", "diff", A, B, "--out", join(out, "plots")]), coldOurs),
    await measure("dvc metrics diff A B", theirs(["metrics", "diff", A, B]), coldDvc),
    await measure("dvc plots diff A B", theirs(["plots", "diff", A, B, "-o", join(out, "dvc_plots")]), coldDvc),
  ];
  const check = await runAsync(clone, process.execPath, [CLI, "metrics", "diff", A, B, "--json"], { MLREVIEW_DATA_DIR: dataDir });
  if (!check.stdout.includes("roc_auc")) throw new Error(`mlreview did not read eval/metrics.json from the remote:\n${check.stdout}\n${check.stderr}`);

  const [md, rep, pd, dmd, dpd] = rows;
  // The report holds the metrics diff and the plots: DVC needs both commands for the same content.
  const both = { cold: { s: +(dmd.cold.s + dpd.cold.s).toFixed(2) } };
  const pairs = new Map([
    [md, dmd],
    [rep, both],
    [pd, dpd],
  ]);
  console.log(`\nDVC-tracked results over an HTTP remote (loopback): eval/ = 8 files in one directory out, model.pkl = ${MODEL_MB} MB; a clone with nothing pulled:`);
  console.table(
    rows.map((r) => {
      const peer = pairs.get(r);
      return {
        command: r.name,
        "cold s": r.cold.s,
        "warm s": r.warm.s,
        "objects (cold)": r.cold.objects,
        "requests (cold)": r.cold.requests,
        "bytes (cold)": fmtBytes(r.cold.bytes),
        "objects (warm)": r.warm.objects,
        "dvc s (cold)": peer === both ? `${peer.cold.s} (metrics + plots diff)` : peer ? peer.cold.s : "",
        "ratio dvc/mlreview (cold)": peer ? +(peer.cold.s / r.cold.s).toFixed(1) : "",
      };
    }),
  );
  console.log("objects: distinct remote keys served (a .dir manifest or a file); bytes: bodies served by the remote");
  for (const r of [md, rep, pd]) if (r.cold.bytes > 10 << 20) console.log(`WARNING: ${r.name} fetched ${fmtBytes(r.cold.bytes)}: the model was read`);
} finally {
  server.close();
  rmSync(work, { recursive: true, force: true });
}
