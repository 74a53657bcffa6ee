import { describe, expect, it } from "vitest";
import { bareRemote, forgeChange } from "./forge.js";
import { git, makeChange, makeRepo, writeFiles, type RepoSpec } from "./git-repo.js";

/** Each commit's tree and the HEAD checkout, oldest first, as git sees them. */
function recorded(dir: string) {
  const trees = git(dir, "log", "--reverse", "--format=%T %s", "HEAD").trim().split("\n");
  const branches = git(dir, "for-each-ref", "--format=%(refname) %(tree) %(contents:subject)");
  // Shas differ with the second they were made in; what is compared is that the branches start at HEAD.
  const parents = git(dir, "for-each-ref", "--format=%(parent)", "refs/heads/exp*").replaceAll(git(dir, "rev-parse", "HEAD").trim(), "HEAD");
  const status = git(dir, "status", "--porcelain", "--untracked-files=all");
  const files = git(dir, "ls-files", "-s", "-z");
  return { trees, branches, parents, status, files, branch: git(dir, "symbolic-ref", "HEAD").trim() };
}

describe("makeRepo", () => {
  it("records by one fast-import the trees git add -A and git commit record", () => {
    const shared = Buffer.from([0, 1, 2, 255]);
    const spec: RepoSpec = {
      branch: "trunk",
      commits: [
        { "a.json": '{"acc": 0.5}', "d/e/f.bin": shared, "link.json": { symlink: "a.json" }, "dir link": { symlink: "d/e" }, 'sp ace/"q".txt': "x\n" },
        {},
        { "a.json": '{"acc": 0.6}', "d/e/f.bin": shared, "d/g.bin": shared, "é/ü.yaml": "lr: 1\n", "link.json": { symlink: "../outside" } },
        { "a.json": '{"acc": 0.6}' },
      ],
      workspace: { "a.json": '{"acc": 0.7}', "new.txt": "n" },
      branches: { exp: { "b.json": "{}", "link.json": { symlink: "b.json" } }, "exp-2": {} },
    };
    const imported = recorded(makeRepo(spec));
    expect(imported).toEqual(recorded(makeRepo({ ...spec, byAdding: true })));
    expect(imported.trees).toHaveLength(4);
    expect(imported.trees[1]).toBe("4b825dc642cb6eb9a060e54bf8d69288fbee4904 commit");
    expect(imported.branch).toBe("refs/heads/trunk");
    expect(imported.status).toBe(" M a.json\n?? new.txt\n");
  });

  it("leaves what a .gitignore in the tree ignores out of the commit", () => {
    const dir = makeRepo({ commits: [{ ".gitignore": "/cache\n", "cache/x": "1", "m.json": "{}" }] });
    expect(git(dir, "ls-files").split("\n").filter(Boolean)).toEqual([".gitignore", "m.json"]);
  });
});

describe("makeChange and forgeChange", () => {
  const spec = { base: { "metrics.json": '{"acc": 0.5}', "params.yaml": "lr: 1\n" }, head: { "metrics.json": '{"acc": 0.6}', "params.yaml": "lr: 1\n", "new.json": "{}" } };
  /** The same change the way the tests built it before: makeRepo, checkout -b, add, commit, bare clone. */
  function byHand() {
    const dir = makeRepo({ commits: [spec.base], byAdding: true });
    git(dir, "checkout", "-q", "-b", "feature");
    writeFiles(dir, spec.head);
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "commit");
    return { dir, bare: bareRemote(dir) };
  }
  const shape = (dir: string) => ({
    commits: git(dir, "rev-list", "--count", "main", "feature"),
    featureOnMain: git(dir, "rev-parse", "feature^") === git(dir, "rev-parse", "main"),
    head: git(dir, "symbolic-ref", "HEAD").trim(),
    trees: git(dir, "rev-parse", "main^{tree}", "feature^{tree}", "feature^^{tree}"),
  });

  it("record the trees, branches and HEAD that checkout, add, commit and clone --bare did", () => {
    const old = byHand();
    const made = makeChange(spec);
    const forged = forgeChange(spec);
    expect(shape(made.dir)).toEqual(shape(old.dir));
    expect(shape(forged.bare)).toEqual(shape(old.bare));
    expect(git(made.dir, "rev-parse", "main", "feature")).toBe(`${made.base}\n${made.head}\n`);
    expect(git(forged.bare, "rev-parse", "main", "feature")).toBe(`${forged.base}\n${forged.head}\n`);
    expect(git(made.dir, "status", "--porcelain", "--untracked-files=all")).toBe("");
    for (const key of ["uploadpack.allowFilter", "uploadpack.allowAnySHA1InWant"]) expect(git(forged.bare, "config", key)).toBe(git(old.bare, "config", key));
    expect(git(forged.bare, "config", "core.bare")).toBe("true\n");
  });
});
