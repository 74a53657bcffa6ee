// mlreview against the real DVC (pinned in test/helpers/python.ts) on one real project, built once: dvc repro
// of file, directory, foreach and wdir stages, a `cache: false` metric, `dvc add`-ed file and directory, a DVC 2
// stage (no `hash: md5`, legacy layout, md5-dos2unix), two commits pushed to a local remote and to S3 on moto.
// Each check runs both tools on a fresh clone where nothing was pulled and compares the parsed JSON.
import type { MotoServer } from "../../helpers/moto.js";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { mlreview } from "../../helpers/cli.js";
import { cloneFresh, copyDir, dirEntryOid, dvc, dvcEnv, dvcSteps, git, lockOid, objectKey, runDvcAll, startMoto, writeLegacyOuts, type DvcRun } from "../../helpers/dvc-project.js";
import { tempDir, writeFiles } from "../../helpers/git-repo.js";

const GEN = `import json, os, sys, yaml
p = yaml.safe_load(open("params.yaml"))
mode = sys.argv[1]
def dump(path, obj, as_yaml=False):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        (yaml.safe_dump if as_yaml else json.dump)(obj, f)
if mode == "prepare":
    os.makedirs("data", exist_ok=True)
    open("data/prepared.txt", "w").write(str(p["prepare"]["split"]) * 50)
elif mode == "train":
    lr = p["train"]["lr"]
    open("model.bin", "wb").write(bytes([int(lr * 100) % 256]) * 4096)
    dump("train_metrics.json", {"loss": round(1 - lr, 4), "epochs": p["train"]["epochs"], "final": {"acc": lr * 3, "ok": lr > 0.15}})
elif mode == "evaluate":
    lr = p["train"]["lr"]
    dump("eval/metrics.json", {"auc": 0.5 + lr, "name": p["name"], "nested": {"f1": lr / 2, "support": 100}})
    dump("eval/plots/roc.json", {"roc": [{"fpr": i / 4, "tpr": min(1, i / 4 + lr)} for i in range(5)]})
    dump("eval/scores.yaml", {"precision": 0.25 + lr, "recall": 0.75}, as_yaml=True)
    dump("summary.json", {"score": lr * 10, "passed": True})
elif mode == "shard":
    dump("shards/%s.yaml" % sys.argv[2], {"score": p["train"]["lr"] + len(sys.argv[2]) * 0.01, "shard": sys.argv[2]}, as_yaml=True)
elif mode == "sub":
    d = p["depth"]
    dump("out/sub_metrics.json", {"depth": d, "rmse": 1 / (d + 1)})
`;

const DVC_YAML = `stages:
  prepare:
    cmd: python gen.py prepare
    params: [prepare]
    outs: [data/prepared.txt]
  train:
    cmd: python gen.py train
    deps: [data/prepared.txt]
    params: [train]
    outs: [model.bin]
    metrics: [train_metrics.json]
  evaluate:
    cmd: python gen.py evaluate
    deps: [model.bin]
    params: [name]
    outs: [eval]
    metrics:
    - summary.json:
        cache: false
  shard:
    foreach: [a, bb]
    do:
      cmd: python gen.py shard \${item}
      params: [train.lr]
      metrics:
      - shards/\${item}.yaml
  sub:
    wdir: sub
    cmd: python ../gen.py sub
    params: [depth]
    metrics: [out/sub_metrics.json]
metrics:
- eval/metrics.json
- eval/scores.yaml
- added.yaml
- added_dir/m.json
plots:
- eval/plots/roc.json:
    x: fpr
    y: tpr
`;

// A DVC 2 stage in its own dvc.yaml: dvc repro of the root dvc.yaml leaves it alone, its lock is written as DVC 2 did.
const LEGACY_YAML = `stages:
  old:
    cmd: echo made by DVC 2
    outs: [dir]
    metrics: [metrics.yaml]
metrics: [dir/m.json]
`;

interface Rev {
  params: object;
  subDepth: number;
  added: string;
  legacy: string;
}
const REVS: Rev[] = [
  { params: { prepare: { split: 0.2 }, train: { lr: 0.1, epochs: 3, layers: [8, 4], opt: "adam" }, name: "base" }, subDepth: 2, added: "count: 10\nrate: 0.5\n", legacy: "1" },
  { params: { prepare: { split: 0.2 }, train: { lr: 0.25, epochs: 3, layers: [16, 8], opt: "sgd" }, name: "head" }, subDepth: 5, added: "count: 12\nrate: 0.5\n", legacy: "2" },
];

let repo: string;
let remote: string;
let moto: MotoServer | undefined;
let A: string;
let B: string;
const clones: Record<string, string> = {};
/** What the real dvc answered, per clone (its twin: dvcClones) and command line: every dvc command of the checks, run in beforeAll. */
const answers = new Map<string, DvcRun>();
const key = (clone: string, args: string[]) => `${clone}\0${args.join(" ")}`;

async function commit(rev: Rev, message: string): Promise<string> {
  writeFiles(repo, {
    "params.yaml": stringify(rev.params),
    "sub/params.yaml": stringify({ depth: rev.subDepth }),
    "added.yaml": rev.added,
    "added_dir/m.json": JSON.stringify({ rows: rev.subDepth * 100, mean: rev.subDepth / 3 }),
    "added_dir/data.bin": Buffer.alloc(2048, rev.subDepth),
  });
  // CRLF text: its md5-dos2unix differs from its plain md5, so a reader that hashes DVC 2 objects as DVC 3 fails.
  const crlf = (s: string) => Buffer.from(s.replaceAll("\n", "\r\n"));
  const outs = writeLegacyOuts(
    repo,
    "legacy",
    { path: "metrics.yaml", data: crlf(`legacy_acc: 0.${rev.legacy}5\nlegacy_n: ${rev.legacy}\n`) },
    { path: "dir", files: { "m.json": crlf(`{\n  "inner": ${rev.legacy}.5,\n  "tag": "v${rev.legacy}"\n}\n`), "blob.bin": Buffer.alloc(100, 7) } },
  );
  writeFileSync(join(repo, "legacy", "dvc.lock"), stringify({ schema: "2.0", stages: { old: { cmd: "echo made by DVC 2", outs } } }));
  // The DVC 2 stage (above) is outside the root dvc.yaml: `dvc repro dvc.yaml` and `dvc add` leave it alone, push sends it.
  await dvcSteps(repo, ["repro", "dvc.yaml"], ["add", "added.yaml", "added_dir"], ["push"], ["push", "-r", "s3"]);
  git(repo, "add", "-A");
  git(repo, "commit", "-qm", message);
  return git(repo, "rev-parse", "HEAD").trim();
}

beforeAll(async () => {
  const root = tempDir("mlreview-dvc-diff-");
  repo = join(root, "project");
  remote = join(root, "remote");
  const starting = startMoto("dvc-bucket"); // boots while dvc init runs
  git(root, "init", "-q", "-b", "main", repo);
  await dvc(repo, "init");
  moto = await starting;
  writeFiles(repo, {
    ".dvc/config": `[core]\n    remote = local\n['remote "local"']\n    url = ${remote}\n['remote "s3"']\n    url = s3://dvc-bucket/store\n    endpointurl = ${moto.endpoint}\n`,
    "gen.py": GEN,
    "dvc.yaml": DVC_YAML,
    "legacy/dvc.yaml": LEGACY_YAML,
    "legacy/.gitignore": "/dir\n/metrics.yaml\n",
  });
  A = await commit(REVS[0]!, "base");
  B = await commit(REVS[1]!, "head");
  // The local remote without two of B's objects: a cached file out, and a file inside a directory out.
  const partial = join(root, "remote-partial");
  copyDir(remote, partial);
  rmSync(join(partial, objectKey(lockOid(repo, "dvc.lock", "train_metrics.json"))));
  rmSync(join(partial, objectKey(dirEntryOid(remote, lockOid(repo, "dvc.lock", "eval"), "metrics.json"))));
  const configs: Record<string, string | undefined> = { local: undefined, s3: "[core]\n    remote = s3\n", partial: `['remote "local"']\n    url = ${partial}\n` };
  // Each clone twice, the same: one for mlreview, one for dvc (which keeps what it fetched from S3 in the clone's .dvc/cache).
  // metrics show -a: every branch; `base` on A in each clone.
  const dvcClones: Record<string, string> = {};
  for (const [kind, config] of Object.entries(configs)) {
    clones[kind] = cloneFresh(repo, config);
    dvcClones[kind] = cloneFresh(repo, config);
    for (const clone of [clones[kind], dvcClones[kind]]) git(clone, "branch", "-f", "base", A);
  }
  // Every dvc command of the checks below, in beforeAll: one request per clone (the worker's dvc session runs them in turn).
  const checks = (kind: string, ...commands: string[][]) => commands.map((args) => ({ kind, cwd: dvcClones[kind]!, args: [...args, "--json"] }));
  const perClone = Object.keys(configs).map((kind) =>
    kind === "partial"
      ? checks(kind, ["metrics", "diff", A, B], ["metrics", "show", "-a"])
      : checks(kind, ["metrics", "diff", A, B], ["metrics", "diff", A, B, "--all"], ["params", "diff", A, B], ["params", "diff", A, B, "--all"], ["metrics", "show", "-a"]),
  );
  const results = await Promise.all(perClone.map((calls) => runDvcAll(calls.map(({ cwd, args }) => ({ cwd, args })))));
  perClone.forEach((calls, i) => calls.forEach((c, j) => answers.set(key(clones[c.kind]!, c.args), results[i]![j]!)));
}, 240_000);

afterAll(async () => {
  await moto?.stop();
});

/** mlreview with a cache dir of its own per call, so nothing comes from an earlier run. */
async function ours(cwd: string, args: string[]) {
  return await mlreview(args, { cwd, env: { ...dvcEnv(), MLREVIEW_DATA_DIR: tempDir("mlreview-data-") } });
}

async function both(clone: string, args: string[]): Promise<{ dvc: unknown; ours: unknown; dvcErr: string; oursErr: string }> {
  const d = answers.get(key(clone, [...args, "--json"]));
  if (!d) throw new Error(`dvc ${args.join(" ")} was not run in beforeAll`);
  expect(d.code, d.stderr).toBe(0);
  const o = await ours(clone, [...args, "--json"]);
  expect(o.code, o.stderr).toBe(0);
  return { dvc: JSON.parse(d.stdout), ours: JSON.parse(o.stdout), dvcErr: d.stderr, oursErr: o.stderr };
}

describe.each(["local", "s3"])("against the real dvc, %s remote, clone with nothing pulled", (kind) => {
  const clone = () => clones[kind]!;

  it("the clone has neither cache nor outs", () => {
    expect(git(clone(), "status", "--porcelain")).toBe("");
    for (const p of [".dvc/cache", "eval", "train_metrics.json", "added.yaml", "legacy/metrics.yaml"]) expect(existsSync(join(clone(), p)), p).toBe(false);
  });

  it("metrics diff A B --json: the same JSON, read from the remote (DVC 3, DVC 2, .dvc, dir, foreach, wdir)", async () => {
    const r = await both(clone(), ["metrics", "diff", A, B]);
    // Guard against two empty outputs agreeing: DVC itself found every kind of out.
    expect(Object.keys(r.dvc as object).sort()).toEqual(
      ["added.yaml", "added_dir/m.json", "eval/metrics.json", "eval/scores.yaml", "legacy/dir/m.json", "legacy/metrics.yaml", "shards/a.yaml", "shards/bb.yaml", "sub/out/sub_metrics.json", "summary.json", "train_metrics.json"].sort(),
    );
    expect(r.ours).toEqual(r.dvc);
    expect(r.oursErr).toBe("");
  });

  it("metrics diff --all: unchanged entries too", async () => {
    const r = await both(clone(), ["metrics", "diff", A, B, "--all"]);
    expect((r.dvc as Record<string, Record<string, unknown>>)["train_metrics.json"]).toHaveProperty("epochs");
    expect(r.ours).toEqual(r.dvc);
  });

  it("params diff A B --json and --all", async () => {
    const r = await both(clone(), ["params", "diff", A, B]);
    expect(Object.keys(r.dvc as object).sort()).toEqual(["params.yaml", "sub/params.yaml"]);
    expect(r.ours).toEqual(r.dvc);
    const all = await both(clone(), ["params", "diff", A, B, "--all"]);
    expect((all.dvc as Record<string, Record<string, unknown>>)["params.yaml"]).toHaveProperty("prepare.split");
    expect(all.ours).toEqual(all.dvc);
  });

  it("metrics show -a --json: every branch, the clean workspace hidden as DVC does (dvc has no revision arguments)", async () => {
    const r = await both(clone(), ["metrics", "show", "-a"]);
    expect(Object.keys(r.dvc as object).sort()).toEqual(["base", "main"]);
    expect(r.ours).toEqual(r.dvc);
  });
});

describe("an object deleted from the remote", () => {
  it("metrics diff: both tools drop the two unreadable files of B, keep the rest, exit 0", async () => {
    const r = await both(clones.partial!, ["metrics", "diff", A, B]);
    expect(r.ours).toEqual(r.dvc);
    const dvcDiff = r.dvc as Record<string, Record<string, { old: unknown; new: unknown }>>;
    // B's side of the two files is empty for DVC: every key's new value is null.
    for (const path of ["train_metrics.json", "eval/metrics.json"]) for (const v of Object.values(dvcDiff[path]!)) expect(v.new).toBeNull();
    expect(dvcDiff["eval/scores.yaml"]).toBeDefined();
    for (const path of ["train_metrics.json", "eval/metrics.json"]) expect(r.oursErr).toContain(path);
  });

  it("metrics show -a: the same files carry an error in both, the others their data", async () => {
    const r = await both(clones.partial!, ["metrics", "show", "-a"]);
    type Shown = Record<string, { data?: Record<string, { data?: unknown; error?: unknown }> }>;
    const errors = (s: Shown, rev: string) =>
      Object.entries(s[rev]?.data ?? {})
        .filter(([, v]) => v.error !== undefined)
        .map(([p]) => p)
        .sort();
    const [d, o] = [r.dvc as Shown, r.ours as Shown];
    expect(errors(d, "main")).toEqual(["eval/metrics.json", "train_metrics.json"]);
    expect(errors(o, "main")).toEqual(errors(d, "main"));
    expect(errors(o, "base")).toEqual([]);
    const dataOnly = (s: Shown) => Object.fromEntries(Object.entries(s).map(([rev, v]) => [rev, Object.fromEntries(Object.entries(v.data ?? {}).filter(([, f]) => f.error === undefined))]));
    expect(dataOnly(o)).toEqual(dataOnly(d));
  });
});
