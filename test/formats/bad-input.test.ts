import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mlreview } from "../helpers/cli.js";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/git-repo.js";

const GOOD_OLD = '{"acc": 0.5}';
const GOOD_NEW = '{"acc": 0.75}';
const dvcYaml = (files: string[]) => `metrics: [${files.map((f) => JSON.stringify(f)).join(", ")}]\n`;

const aliasBomb = [
  "a: &a [x, x, x, x, x, x, x, x, x]",
  ...["b", "c", "d", "e", "f", "g", "h"].map(
    (k, i) =>
      `${k}: &${k} [${Array(9)
        .fill(`*${String.fromCharCode(97 + i)}`)
        .join(", ")}]`,
  ),
].join("\n");

/** Each hostile file, committed at HEAD and broken in the workspace, next to a good metrics file. */
const cases: { name: string; file: string; content: string | Buffer; line: RegExp }[] = [
  { name: "invalid JSON", file: "bad.json", content: '{"acc": 1,\n  "loss": }\n', line: /bad\.json: invalid JSON at line 2 column 11: unexpected '}'/ },
  { name: "invalid YAML", file: "bad.yaml", content: "acc: [1, 2\nloss: 3\n", line: /bad\.yaml: invalid YAML at line \d+ column \d+/ },
  { name: "invalid TOML", file: "bad.toml", content: "acc = = 1\n", line: /bad\.toml: invalid TOML at line 1 column \d+/ },
  { name: "a YAML alias bomb", file: "bomb.yaml", content: aliasBomb, line: /bomb\.yaml: invalid YAML: more than 100 alias expansions/ },
  { name: "10,000-deep JSON", file: "deep.json", content: "[".repeat(10_000) + "]".repeat(10_000), line: /deep\.json: invalid JSON at line 1 column \d+: nesting deeper than 512 levels/ },
  { name: "10,000-deep JSON objects", file: "deepo.json", content: '{"a":'.repeat(10_000) + "1" + "}".repeat(10_000), line: /deepo\.json: invalid JSON .*nesting deeper than 512 levels/ },
  { name: "10,000-deep YAML", file: "deep.yaml", content: "a: " + "[".repeat(10_000) + "]".repeat(10_000), line: /deep\.yaml: invalid YAML at line 1 column \d+: nesting too deep/ },
  {
    name: "3,000-deep block YAML",
    file: "deepb.yaml",
    content: Array.from({ length: 3000 }, (_, i) => `${"  ".repeat(i)}k${i}:\n`).join("") + "  ".repeat(3000) + "1\n",
    line: /deepb\.yaml: invalid YAML at line \d+ column \d+: nesting too deep/,
  },
  { name: "binary data", file: "bin.json", content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), line: /bin\.json: binary data, not a text file/ },
  { name: "non-UTF-8 text", file: "latin1.yaml", content: Buffer.from("acc: 0.5\nname: caf\xe9\n", "latin1"), line: /latin1\.yaml: not valid UTF-8 \(first bad byte at offset 18\)/ },
  { name: "duplicate keys after flattening", file: "dup.json", content: '{"a.b": 1, "a": {"b": 2}}', line: /dup\.json: duplicated key 'a\.b' after flattening/ },
  { name: "a directory where a file is declared", file: "adir.json", content: "", line: /adir\.json/ },
];

describe("bad input: one clear line naming the file, the rest still diffs, exit 0", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const files = ["good.json", c.file];
      const dir = makeRepo({
        commits: [{ "dvc.yaml": dvcYaml(files), "good.json": GOOD_OLD, [c.file]: c.file.endsWith(".toml") ? "acc = 1\n" : '{"acc": 1}' }],
        workspace: { "dvc.yaml": dvcYaml(files), "good.json": GOOD_NEW, ...(c.name.startsWith("a directory") ? { [`${c.file}/x.json`]: "{}" } : { [c.file]: c.content }) },
      });
      const r = await mlreview(["metrics", "diff", "--md"], { cwd: dir });
      expect(r.code).toBe(0);
      const lines = r.stderr.trim().split("\n");
      if (!c.name.startsWith("a directory")) {
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`^mlreview: workspace: ${c.line.source}`));
      }
      expect(r.stdout).toMatch(/^\| good\.json +\| acc +\| 0\.5 +\| 0\.75 +\| 0\.25 +\|$/m);
      // The bad file's committed values are still listed, with nothing on the broken side.
      expect(r.stdout).toMatch(new RegExp(`^\\| ${c.file.replace(".", "\\.")} +\\| acc +\\| 1 +\\| - +\\| - +\\|$`, "m"));
    });
  }

  it("NaN and Infinity are read as Python reads them", async () => {
    const dir = makeRepo({ commits: [{ "metrics.json": '{"loss": 1.0, "x": Infinity}' }], workspace: { "metrics.json": '{"loss": NaN, "x": -Infinity}' } });
    const r = await mlreview(["metrics", "diff", "--json"], { cwd: dir });
    expect(r.stdout.trim()).toBe('{"metrics.json": {"loss": {"old": 1.0, "new": NaN, "diff": NaN}, "x": {"old": Infinity, "new": -Infinity, "diff": -Infinity}}}');
    expect(r.stderr).toBe("");
  });

  it("a file over the size limit is reported, not read", async () => {
    const dir = makeRepo({ commits: [{ "metrics.json": GOOD_OLD }], workspace: { "metrics.json": `{"acc": 0.75, "pad": "${"x".repeat(2048)}"}` } });
    const r = await mlreview(["metrics", "diff", "--max-file-size", "1KB"], { cwd: dir });
    expect(r.stderr.trim()).toBe("mlreview: workspace: metrics.json: file is 2 KB, over the 1 KB limit");
    expect(r.code).toBe(0);
    // The committed side is small and still read.
    expect(r.stdout).toContain("metrics.json  acc       0.5     -");
  });

  it("the default limit is 50 MB, on a committed blob too (read through git, not loaded)", async () => {
    const dir = makeRepo({ commits: [{ "metrics.json": GOOD_OLD }] });
    writeFileSync(join(dir, "metrics.json"), Buffer.alloc(51 * 1024 * 1024, 0x20));
    git(dir, "commit", "-qam", "huge");
    writeFiles(dir, { "metrics.json": GOOD_NEW });
    const r = await mlreview(["metrics", "diff", "HEAD~1", "HEAD"], { cwd: dir });
    expect(r.stderr.trim()).toBe("mlreview: HEAD: metrics.json: file is 51 MB, over the 50 MB limit");
    expect(r.code).toBe(0);
    const env = await mlreview(["metrics", "diff", "HEAD~1", "HEAD"], { cwd: dir, env: { MLREVIEW_MAX_FILE_SIZE: "60MB" } });
    expect(env.stderr).toContain("HEAD: metrics.json: invalid JSON at line 1 column 53477377: unexpected end of file");
  });
});

describe("paths that leave the repository are refused", () => {
  const outside = tempDir();
  writeFileSync(join(outside, "secret.json"), '{"stolen": 1}');

  it("'..', absolute paths and symlinks out of the tree, in the workspace and in a commit", async () => {
    const files = {
      "dvc.yaml": dvcYaml(["../secret.json", join(outside, "secret.json"), "link.json", "good.json"]),
      "link.json": { symlink: join(outside, "secret.json") },
      "good.json": GOOD_OLD,
    };
    const dir = makeRepo({ commits: [files], workspace: { ...files, "good.json": GOOD_NEW } });
    for (const rev of ["workspace", "HEAD"]) {
      const r = await mlreview(["metrics", "diff", "HEAD", rev === "HEAD" ? "HEAD" : "workspace", "--all"], { cwd: dir });
      expect(r.stdout).not.toContain("stolen");
      expect(r.stderr).toContain(`${rev}: ../secret.json: path leaves the repository`);
      expect(r.stderr).toContain(`${rev}: ${join(outside, "secret.json")}: absolute paths are not allowed`);
      expect(r.stderr).toContain(`${rev}: link.json: symlink points outside the repository`);
      expect(r.stdout).toContain("good.json");
    }
  });

  it("a symlink inside the tree is followed", async () => {
    const files = { "metrics.json": { symlink: "real/m.json" }, "real/m.json": GOOD_OLD };
    const dir = makeRepo({ commits: [files], workspace: { ...files, "real/m.json": GOOD_NEW } });
    const r = await mlreview(["metrics", "diff", "--json"], { cwd: dir });
    expect(r.stdout.trim()).toBe('{"metrics.json": {"acc": {"old": 0.5, "new": 0.75, "diff": 0.25}}}');
  });
});

describe("unusable input: exit 1 with one line", () => {
  it("not a git repository", async () => {
    const dir = tempDir();
    const r = await mlreview(["metrics", "diff"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`mlreview: '${dir}' is not a git repository\n`);
  });

  it("an unknown revision", async () => {
    const dir = makeRepo({ commits: [{ "metrics.json": GOOD_OLD }] });
    const r = await mlreview(["params", "diff", "v9.9"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("mlreview: unknown revision 'v9.9'\n");
  });

  it("a revision that looks like an option is not passed to git", async () => {
    const dir = makeRepo({ commits: [{ "metrics.json": GOOD_OLD }] });
    const r = await mlreview(["metrics", "diff", "--", "--output=/tmp/x"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("mlreview: invalid revision '--output=/tmp/x'\n");
  });

  it("a repository without commits diffs against nothing, as DVC does", async () => {
    const dir = tempDir();
    git(dir, "init", "-q");
    writeFiles(dir, { "metrics.json": GOOD_NEW });
    const r = await mlreview(["metrics", "diff", "--json"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('{"metrics.json": {"acc": {"old": null, "new": 0.75}}}');
  });
});
