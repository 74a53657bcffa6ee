// The CLI's `report` is the review step the bot runs: a CI artifact (directory or zip) over the head,
// under the bot's limits and with its lines; and a GitLab project's `.gitlab/mlreview.yml` read as the
// GitLab bot reads it, by `report` and `metrics diff`.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mlreview } from "../helpers/cli.js";
import { git, makeRepo, tempDir } from "../helpers/git-repo.js";
import { zip } from "../helpers/zip.js";

const CFG = "metrics: [results/metrics.json]\n";

/** main with acc 0.5, HEAD (a branch) committing acc 0.6; CI later wrote acc 0.9 into its artifact. */
function project(extra: Record<string, string> = {}): string {
  const dir = makeRepo({ commits: [{ ".mlreview.yml": CFG, "results/metrics.json": '{"acc": 0.5}', ...extra }] });
  git(dir, "checkout", "-q", "-b", "feature");
  writeFileSync(join(dir, "results/metrics.json"), '{"acc": 0.6}');
  git(dir, "commit", "-qam", "train");
  return dir;
}

const report = (dir: string, ...args: string[]) => mlreview(["report", "--base", "main", "--head", "HEAD", ...args], { cwd: dir });

describe("mlreview report --artifact", () => {
  it("a directory: its files win over the head's committed ones", async () => {
    const dir = project();
    const artifact = join(tempDir(), "mlreview");
    mkdirSync(join(artifact, "results"), { recursive: true });
    writeFileSync(join(artifact, "results/metrics.json"), '{"acc": 0.9}');
    const r = await report(dir, "--artifact", artifact, "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { metrics: { new: unknown; old: unknown }[] };
    expect(out.metrics.map((m) => [m.old, m.new])).toEqual([[0.5, 0.9]]);
  });

  it("a zip, read as the bot reads a downloaded one", async () => {
    const dir = project();
    const file = join(tempDir(), "mlreview.zip");
    writeFileSync(file, await zip({ "results/metrics.json": '{"acc": 0.8}' }));
    const r = await report(dir, "--artifact", file, "--json");
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { metrics: { new: unknown }[] }).metrics.map((m) => m.new)).toEqual([0.8]);
  });

  it("a hostile zip is the bot's one report line, and the committed files are compared", async () => {
    const dir = project();
    const file = join(tempDir(), "evil.zip");
    writeFileSync(file, await zip([{ name: "results/metrics.json", data: "/etc/passwd", mode: 0o120777 }]));
    const r = await report(dir, "--artifact", file);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("artifact 'evil.zip'");
    expect(r.stdout).toContain("artifact entry 'results/metrics.json': symlinks are not accepted");
    expect(r.stdout).toContain("0.6");
  });

  it("a directory: a symlink out of it is refused, one inside it is read", async () => {
    const dir = project();
    const outside = join(tempDir(), "secret.json");
    writeFileSync(outside, '{"acc": 0.99}');
    const evil = join(tempDir(), "mlreview");
    mkdirSync(join(evil, "results"), { recursive: true });
    symlinkSync(outside, join(evil, "results/metrics.json"));
    const r = await report(dir, "--artifact", evil);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("artifact entry 'results/metrics.json': symlinks out of the artifact are not accepted");
    expect(r.stdout).not.toContain("0.99");

    const fine = join(tempDir(), "mlreview");
    mkdirSync(join(fine, "results"), { recursive: true });
    writeFileSync(join(fine, "real.json"), '{"acc": 0.7}');
    symlinkSync("../real.json", join(fine, "results/metrics.json"));
    const ok = await report(dir, "--artifact", fine, "--json");
    expect((JSON.parse(ok.stdout) as { metrics: { new: unknown }[] }).metrics.map((m) => m.new)).toEqual([0.7]);
  });

  it("a directory over the artifact limits is refused with the zip's wording", async () => {
    const dir = project();
    const big = join(tempDir(), "mlreview");
    mkdirSync(big, { recursive: true });
    writeFileSync(join(big, "huge.bin"), Buffer.alloc(50 * 1024 * 1024 + 1));
    const r = await report(dir, "--artifact", big);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("artifact entry 'huge.bin' is 52428801 bytes, over the per-file limit");
  });

  it("a path that does not exist is the user's error: one line, exit 1", async () => {
    const r = await report(project(), "--artifact", join(tempDir(), "nope.zip"));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--artifact:");
    expect(r.stderr).toContain("does not exist");
  });
});

describe("a GitLab project's .gitlab/mlreview.yml, read by the CLI as the GitLab bot reads it", () => {
  function gitlabProject(): string {
    const files = { ".gitlab-ci.yml": "train: {script: [make]}\n", ".gitlab/mlreview.yml": "metrics: [eval/scores.json]\n", "eval/scores.json": '{"f1": 0.5}' };
    const dir = makeRepo({ commits: [files] });
    git(dir, "checkout", "-q", "-b", "feature");
    writeFileSync(join(dir, "eval/scores.json"), '{"f1": 0.7}');
    git(dir, "commit", "-qam", "train");
    return dir;
  }

  it("metrics diff reads the metrics it names", async () => {
    const r = await mlreview(["metrics", "diff", "main", "HEAD", "--json"], { cwd: gitlabProject() });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ "eval/scores.json": { f1: { old: 0.5, new: 0.7, diff: expect.closeTo(0.2, 10) } } });
  });

  it("report reads it too", async () => {
    const r = await report(gitlabProject(), "--json");
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { metrics: { old: unknown; new: unknown }[] }).metrics.map((m) => [m.old, m.new])).toEqual([[0.5, 0.7]]);
  });

  it("outside a GitLab project the file is not the config (as the GitHub bot does not read it)", async () => {
    const dir = gitlabProject();
    git(dir, "rm", "-q", ".gitlab-ci.yml");
    git(dir, "commit", "-qm", "no ci");
    const r = await mlreview(["metrics", "diff", "main", "HEAD", "--json"], { cwd: dir });
    expect(JSON.parse(r.stdout)).toEqual({});
  });
});
