import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerPlotsCommand } from "../../src/cli/commands/plots.js";
import { mlreviewBinary } from "../helpers/cli.js";
import { countColour, pixels } from "./helpers.js";
import { tempDir } from "../helpers/git-repo.js";

const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd, stdio: "pipe" });

describe("mlreview plots diff", () => {
  it("writes one PNG per plot with HEAD and the workspace, and reports a bad plot on stderr", async () => {
    const repo = tempDir("mlreview-plots-cli-");
    const out = join(repo, "out");
    git(repo, "init", "-q");
    writeFileSync(join(repo, "dvc.yaml"), "plots:\n  - logs/loss.tsv:\n      x: step\n      y: loss\n      title: Loss\n  - broken:\n      y: {logs/loss.tsv: nope}\n");
    const tsv = (k: number) => "step\tloss\n" + Array.from({ length: 40 }, (_, i) => `${i}\t${k / (i + 1)}`).join("\n");
    execFileSync("mkdir", ["-p", join(repo, "logs")]);
    writeFileSync(join(repo, "logs/loss.tsv"), tsv(1));
    git(repo, "add", ".");
    git(repo, "commit", "-qm", "base");
    writeFileSync(join(repo, "logs/loss.tsv"), tsv(2));

    const stdout: string[] = [];
    const stderr: string[] = [];
    const plots = new Command("plots").exitOverride();
    registerPlotsCommand(plots, { cwd: repo, env: {}, stdout: { write: (s: string) => stdout.push(s) }, stderr: { write: (s: string) => stderr.push(s) } });
    await plots.parseAsync(["diff", "--out", out, "-R", repo], { from: "user" });
    expect(readdirSync(out)).toEqual(["logs_loss.tsv.png"]);
    expect(stdout).toEqual([`${join(out, "logs_loss.tsv.png")}\n`]);
    expect(stderr).toEqual(["mlreview: plot 'broken': workspace: Could not find provided field ('nope') in data fields ('step, loss').; HEAD: Could not find provided field ('nope') in data fields ('step, loss').\n"]);
    const px = await pixels(readFileSync(join(out, "logs_loss.tsv.png")));
    expect(countColour(px, "#945dd6", 10)).toBeGreaterThan(500);
    expect(countColour(px, "#13adc7", 10)).toBeGreaterThan(500);
  });

  it("draws every plot: the bot's per-report cap does not apply to a local plots diff", () => {
    const repo = tempDir("mlreview-plots-cli-");
    const out = join(repo, "out");
    git(repo, "init", "-q");
    const n = 22;
    execFileSync("mkdir", ["-p", join(repo, "logs")]);
    writeFileSync(join(repo, "dvc.yaml"), `plots:\n${Array.from({ length: n }, (_, i) => `  - logs/p${i}.csv: {x: step, y: loss}\n`).join("")}`);
    for (let i = 0; i < n; i++) writeFileSync(join(repo, `logs/p${i}.csv`), `step,loss\n0,${i}\n1,${i + 1}\n`);
    git(repo, "add", ".");
    git(repo, "commit", "-qm", "base");
    // End to end: the built binary, its render processes and its exit.
    expect(mlreviewBinary(["plots", "diff", "HEAD", "--out", out], { cwd: repo }).code).toBe(0);
    expect(readdirSync(out).length).toBe(n);
  }, 120_000);
});
