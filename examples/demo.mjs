// The demo: turn examples/classifier/{base,head} into a real git repository (main = base, branch
// "experiment" = head) and run mlreview on it the way a user would, printing each command and its output.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const cli = fileURLToPath(new URL("../dist/bin/main.js", import.meta.url));
const repo = mkdtempSync(join(tmpdir(), "mlreview-demo-"));
const env = { ...process.env, GIT_AUTHOR_NAME: "demo", GIT_AUTHOR_EMAIL: "demo@example.com", GIT_COMMITTER_NAME: "demo", GIT_COMMITTER_EMAIL: "demo@example.com" };
const git = (...args) => execFileSync("git", args, { cwd: repo, env, stdio: "pipe" });

git("init", "-q", "-b", "main");
cpSync(join(here, "classifier", "base"), repo, { recursive: true });
git("add", "-A");
git("commit", "-qm", "Baseline: lr 0.001, 20 epochs");
git("checkout", "-qb", "experiment");
cpSync(join(here, "classifier", "head"), repo, { recursive: true });
git("commit", "-qam", "Lower learning rate, more epochs, more dropout");

function run(...args) {
  return runIn(repo, ...args);
}

function runIn(cwd, ...args) {
  console.log(`\n$ mlreview ${args.join(" ")}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: "utf8", env: { ...process.env, MLREVIEW_DATA_DIR: join(repo, ".mlreview-data") } });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.status !== 0) throw new Error(`mlreview ${args.join(" ")} exited with ${r.status}`);
}

console.log(`Example ML project (DVC pipeline) in ${repo}: branch "experiment" against "main".`);
run("metrics", "diff", "main");
run("params", "diff", "main", "--md");
run("metrics", "show", "main", "experiment", "--md");
run("metrics", "diff", "main", "--json");
const out = join(repo, "plots-out");
run("plots", "diff", "main", "--out", out);
if (existsSync(out)) console.log(`\n${readdirSync(out).length} PNG files in ${out}: open them to see main against experiment.`);

// Most DVC projects do not commit their results: `dvc push` puts them in a remote and dvc.lock keeps
// their hash. The same project that way (objects written in DVC 3's layout, as `dvc push` would), and the
// same comparison, read from the remote without `dvc pull`.
const cached = mkdtempSync(join(tmpdir(), "mlreview-demo-dvc-"));
const remote = join(cached, "remote");
const gitIn = (...args) => execFileSync("git", args, { cwd: join(cached, "project"), env, stdio: "pipe" });
mkdirSync(join(cached, "project"));
gitIn("init", "-q", "-b", "main");
function commitSide(side, message) {
  cpSync(join(here, "classifier", side), join(cached, "project"), { recursive: true });
  const metrics = readFileSync(join(cached, "project", "eval", "metrics.json"));
  const md5 = createHash("md5").update(metrics).digest("hex");
  mkdirSync(join(remote, "files", "md5", md5.slice(0, 2)), { recursive: true });
  writeFileSync(join(remote, "files", "md5", md5.slice(0, 2), md5.slice(2)), metrics);
  const dvcYaml = readFileSync(join(cached, "project", "dvc.yaml"), "utf8").replace("      - eval/metrics.json:\n          cache: false", "      - eval/metrics.json");
  writeFileSync(join(cached, "project", "dvc.yaml"), dvcYaml);
  writeFileSync(join(cached, "project", "dvc.lock"), `schema: '2.0'\nstages:\n  evaluate:\n    cmd: python src/evaluate.py\n    outs:\n    - path: eval/metrics.json\n      hash: md5\n      md5: ${md5}\n      size: ${metrics.length}\n`);
  mkdirSync(join(cached, "project", ".dvc"), { recursive: true });
  writeFileSync(join(cached, "project", ".dvc", "config"), `[core]\n    remote = storage\n['remote "storage"']\n    url = ${remote}\n`);
  writeFileSync(join(cached, "project", ".gitignore"), "/eval/metrics.json\n");
  rmSync(join(cached, "project", "eval", "metrics.json"));
  gitIn("add", "-A");
  gitIn("commit", "-qm", message);
}
commitSide("base", "Baseline");
gitIn("checkout", "-qb", "experiment");
commitSide("head", "Experiment");
console.log(`\nThe same project with eval/metrics.json in a DVC remote (${remote}), not in git: nothing pulled.`);
runIn(join(cached, "project"), "metrics", "diff", "main", "experiment");
