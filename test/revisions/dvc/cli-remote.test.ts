import { execFileSync } from "node:child_process";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mlreviewAsync } from "../../helpers/cli.js";
import { dvc, dvcSteps } from "../../helpers/dvc.js";
import { git, tempDir, writeFiles } from "../../helpers/git-repo.js";
import { objectServer, type ObjectServer } from "../../helpers/object-server.js";

/**
 * A real DVC project (dvc repro, dvc add, dvc push) whose results are only in its HTTP remote, read by
 * the CLI in a clone where nothing was pulled, as a user runs it. The project pushes to a folder (a
 * second remote) that a loopback server serves as the HTTP remote `storage`.
 */
let pushed: string;
let remote: ObjectServer;
let work: string;
const commit = (dir: string, msg: string) => git(dir, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", msg);
const keyOf = (md5: string) => join(pushed, "files", "md5", md5.slice(0, 2), md5.slice(2));

beforeAll(async () => {
  pushed = tempDir();
  remote = await objectServer(pushed);
  work = tempDir();
  git(work, "init", "-q", "-b", "main");
  writeFiles(work, {
    "acc.txt": "0.6\n",
    "gen.sh": 'mkdir -p eval\nprintf \'{"acc": %s}\' "$(cat acc.txt)" > eval/metrics.json\nprintf \'{"n": 1}\' > eval/other.json\n',
    "dvc.yaml": "stages:\n  train:\n    cmd: sh gen.sh\n    deps: [acc.txt, gen.sh]\n    outs: [eval]\nmetrics: [eval/metrics.json, summary.json]\n",
    "summary.json": '{"rows": 10}',
  });
  // dvc's commands between two git commits (test/helpers/dvc.ts dvcSteps); `dvc init` before them, after the files.
  await dvcSteps(work, ["init", "-q"], ["add", "-q", "summary.json"], ["remote", "add", "-d", "storage", `${remote.origin}/dvc`], ["remote", "add", "pushed", pushed], ["repro", "-q"]);
  git(work, "add", "-A");
  commit(work, "base");
  writeFiles(work, { "acc.txt": "0.7\n", "summary.json": '{"rows": 12}' });
  await dvcSteps(work, ["add", "-q", "summary.json"], ["repro", "-q"]);
  git(work, "add", "-A");
  commit(work, "better");
  // Both commits' objects: push checks out nothing, it pushes what each revision's lock names.
  await dvc(work, "push", "-q", "-r", "pushed", "--all-commits");
}, 120_000);
afterAll(() => remote.close());

function freshClone(): string {
  const dir = join(tempDir(), "clone");
  execFileSync("git", ["clone", "-q", work, dir]);
  return dir;
}

describe("mlreview reads DVC-tracked results without dvc pull", () => {
  it("a directory out and a .dvc file, from the HTTP remote; the second run is served from the object cache", async () => {
    const clone = freshClone();
    const env = { MLREVIEW_DATA_DIR: tempDir() };
    remote.requests.length = 0;
    const first = await mlreviewAsync(["metrics", "diff", "HEAD~1", "HEAD", "--json"], { cwd: clone, env });
    expect(first.stderr).toBe("");
    expect(JSON.parse(first.stdout)).toEqual({
      "eval/metrics.json": { acc: { old: 0.6, new: 0.7, diff: expect.closeTo(0.1, 10) } },
      "summary.json": { rows: { old: 10, new: 12, diff: 2 } },
    });
    // Per side: the .dir listing, metrics.json, summary.json; never eval/other.json, which nothing declares.
    expect(remote.requests).toHaveLength(6);
    expect(remote.requests.filter((r) => r.endsWith(".dir"))).toHaveLength(2);
    const again = await mlreviewAsync(["metrics", "diff", "HEAD~1", "HEAD", "--json"], { cwd: clone, env });
    expect(again.stdout).toBe(first.stdout);
    expect(remote.requests).toHaveLength(6);
  });

  it("the checkout's own .dvc/cache comes first: no request when it has the objects", async () => {
    remote.requests.length = 0;
    rmSync(join(work, "eval"), { recursive: true, force: true });
    const r = await mlreviewAsync(["metrics", "show", "--json"], { cwd: work, env: { MLREVIEW_DATA_DIR: tempDir() } });
    expect(JSON.parse(r.stdout)).toMatchObject({ workspace: { data: { "eval/metrics.json": { data: { acc: 0.7 } } } } });
    expect(remote.requests).toEqual([]);
    await dvc(work, "checkout", "-q");
  });

  it("a remote copy that does not match its hash is an error line for that file, never its values", async () => {
    const clone = freshClone();
    const summaryMd5 = /md5: ([0-9a-f]{32})/.exec(git(clone, "show", "HEAD~1:summary.json.dvc"))![1]!;
    const original = keyOf(summaryMd5);
    const saved = readdirSync(join(original, "..")).length;
    const backup = `${original}.bak`;
    execFileSync("cp", [original, backup]);
    writeFileSync(original, '{"rows": 4242}');
    try {
      const r = await mlreviewAsync(["metrics", "diff", "HEAD~1", "HEAD", "--json"], { cwd: clone, env: { MLREVIEW_DATA_DIR: tempDir() } });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(
        /^mlreview: HEAD~1: summary\.json: DVC-tracked \(summary\.json\.dvc\): not in the local DVC cache; the copy in DVC remote 'storage' \(http:\/\/127\.0\.0\.1:\d+\/dvc\) does not match its md5 [0-9a-f]{12}…: not used\n$/,
      );
      expect(JSON.parse(r.stdout)["summary.json"]).toEqual({ rows: { old: null, new: 12 } });
      expect(r.stdout).not.toContain("4242");
    } finally {
      execFileSync("mv", [backup, original]);
    }
    expect(readdirSync(join(original, "..")).length).toBe(saved);
  });

  it("an object that was never pushed: one line naming where it was looked for; the rest of the diff prints", async () => {
    const clone = freshClone();
    const summaryMd5 = /md5: ([0-9a-f]{32})/.exec(git(clone, "show", "HEAD:summary.json.dvc"))![1]!;
    const original = keyOf(summaryMd5);
    execFileSync("mv", [original, `${original}.away`]);
    try {
      const r = await mlreviewAsync(["metrics", "diff", "HEAD~1", "HEAD", "--json"], { cwd: clone, env: { MLREVIEW_DATA_DIR: tempDir() } });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/^mlreview: HEAD: summary\.json: DVC-tracked \(summary\.json\.dvc\): not in the local DVC cache nor in DVC remote 'storage' \(http:\/\/127\.0\.0\.1:\d+\/dvc\)\n$/);
      expect(JSON.parse(r.stdout)["eval/metrics.json"].acc.new).toBe(0.7);
    } finally {
      execFileSync("mv", [`${original}.away`, original]);
    }
  });

  it("an out's own remote: wins over core.remote (dvc-files `remote:`), with its name in the config lower-cased", async () => {
    const clone = freshClone();
    const other = tempDir();
    const otherServer = await objectServer(other);
    try {
      const md5 = /md5: ([0-9a-f]{32})/.exec(git(clone, "show", "HEAD:summary.json.dvc"))![1]!;
      execFileSync("mkdir", ["-p", join(other, "files", "md5", md5.slice(0, 2))]);
      execFileSync("cp", [keyOf(md5), join(other, "files", "md5", md5.slice(0, 2), md5.slice(2))]);
      writeFiles(clone, {
        "summary.json.dvc": git(clone, "show", "HEAD:summary.json.dvc").replace("- md5:", "- remote: Archive\n  md5:"),
        ".dvc/config": `${git(clone, "show", "HEAD:.dvc/config")}['remote "archive"']\n    url = ${otherServer.origin}/dvc\n`,
      });
      git(clone, "add", "-A");
      commit(clone, "summary from the archive remote");
      remote.requests.length = 0;
      const r = await mlreviewAsync(["metrics", "show", "HEAD", "--json"], { cwd: clone, env: { MLREVIEW_DATA_DIR: tempDir() } });
      expect(JSON.parse(r.stdout).HEAD.data["summary.json"]).toEqual({ data: { rows: 12 } });
      expect(otherServer.requests).toEqual([`GET /dvc/files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`]);
      expect(remote.requests.some((q) => q.endsWith(md5.slice(2)))).toBe(false);
    } finally {
      await otherServer.close();
    }
  });
});
