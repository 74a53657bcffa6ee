// Paths that leave the repository, declared in dvc.yaml, at a commit and in the workspace: one CLI run.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { mlreview, type CliResult } from "../helpers/cli.js";
import { makeRepo, tempDir, type Files } from "../helpers/git-repo.js";
import { title } from "./cases.js";
import { linesFor } from "./helpers.js";

const outside = tempDir("mlreview-outside-");
writeFileSync(join(outside, "secret.json"), '{"stolen": 1}');
mkdirSync(join(outside, "dir"));
writeFileSync(join(outside, "dir", "secret.json"), '{"stolen": 2}');

/** `shown`: the path as the line names it (normalised; control characters escaped). */
const CASES: { id: string; path: string; shown?: string; line: { workspace: RegExp; HEAD: RegExp } | null }[] = [
  { id: "T01", path: "../secret.json", line: { workspace: /path leaves the repository$/, HEAD: /path leaves the repository$/ } },
  { id: "T02", path: join(outside, "secret.json"), line: { workspace: /absolute paths are not allowed$/, HEAD: /absolute paths are not allowed$/ } },
  { id: "T03", path: "sub/../../secret.json", shown: "../secret.json", line: { workspace: /path leaves the repository$/, HEAD: /path leaves the repository$/ } },
  { id: "T04", path: "..\\secret.json", shown: "../secret.json", line: { workspace: /path leaves the repository$/, HEAD: /path leaves the repository$/ } },
  { id: "T05", path: "link.json", line: { workspace: /symlink points outside the repository$/, HEAD: /symlink points outside the repository$/ } },
  { id: "T06", path: "linkdir/secret.json", line: { workspace: /symlink points outside the repository$/, HEAD: /no such file$|symlink points outside/ } },
  { id: "T07", path: "loop-a.json", line: { workspace: /symlink loop$/, HEAD: /symlink loop$|no such file$/ } },
  { id: "T08", path: "new\nline.json", shown: "new\\nline.json", line: { workspace: /path contains a control character$/, HEAD: /path contains a control character$/ } },
  { id: "T09", path: "nul\0byte.json", shown: "nul\\u0000byte.json", line: { workspace: /path contains a control character$/, HEAD: /path contains a control character$/ } },
  // dvc.yaml paths are literal, as in DVC (no globbing): refused by name like any path out of the repository.
  { id: "T10", path: "../*.json", line: { workspace: /path leaves the repository$/, HEAD: /path leaves the repository$/ } },
];

describe("paths out of the repository: refused by name, at a commit and in the workspace", () => {
  let r: CliResult;
  beforeAll(async () => {
    const files: Files = {
      "dvc.yaml": `metrics:\n${[...CASES.map((c) => c.path), "C:\\secret.json", "good.json"].map((p) => `  - ${JSON.stringify(p)}\n`).join("")}`,
      "good.json": '{"acc": 0.5}',
      "link.json": { symlink: join(outside, "secret.json") },
      linkdir: { symlink: join(outside, "dir") },
      "loop-a.json": { symlink: "loop-b.json" },
      "loop-b.json": { symlink: "loop-a.json" },
    };
    const dir = makeRepo({ commits: [files], workspace: { ...files, "good.json": '{"acc": 0.75}' } });
    // What the `../*.json` glob would reach if it were followed out of the repository.
    writeFileSync(join(dir, "..", "sibling.json"), '{"stolen": 3}');
    r = await mlreview(["metrics", "diff", "HEAD", "--all", "--md"], { cwd: dir });
  });

  it("exit 0, nothing from outside, the good file still diffs", () => {
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("stolen");
    // One line per problem: 9 distinct refused paths per revision (T01, T03 and T04 are the same path once normalised).
    expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(18);
    expect(r.stderr).not.toContain("sibling");
    expect(r.stdout).toMatch(/^\| good\.json +\| acc +\| 0\.5 +\| 0\.75 +\| 0\.25 +\|$/m);
    expect(linesFor(r.stderr, "workspace", "C:\\secret.json")[0]).toMatch(/absolute paths are not allowed$/);
  });

  for (const c of CASES) {
    it(title(c.id), () => {
      for (const rev of ["workspace", "HEAD"] as const) {
        const lines = linesFor(r.stderr, rev, c.shown ?? c.path);
        if (c.line === null) expect(r.stderr).not.toContain("sibling");
        else
          expect(
            lines.some((l) => c.line![rev].test(l)),
            `${rev}: ${lines.join(" / ")}`,
          ).toBe(true);
      }
    });
  }
});
