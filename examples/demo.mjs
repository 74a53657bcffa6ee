// The demo: turn examples/classifier/{base,head} into a real git repository (main = base, branch
// "experiment" = head) and run mlreview on it the way a user would, printing each command and its output.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync } from "node:fs";
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
  console.log(`\n$ mlreview ${args.join(" ")}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: repo, encoding: "utf8" });
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
