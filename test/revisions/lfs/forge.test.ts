import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { REVISION_BUDGET } from "../../../src/revisions/budget.js";
import { forgeLfs } from "../../../src/revisions/lfs/forge.js";
import type { FileTree, ReadResult } from "../../../src/revisions/types.js";
import { lfsServer, sha256, type LfsServer } from "../../helpers/git-lfs.js";

/** A commit's files as the blob-less git tree gives them: here, pointers. */
function treeOf(files: Record<string, string>): FileTree {
  return {
    label: "main",
    commit: "a".repeat(40),
    read: async (paths) => new Map(paths.map((p): [string, ReadResult] => [p, p in files ? { ok: true, data: Buffer.from(files[p]!) } : { ok: false, error: { code: "missing", message: "no such file" } }])),
    list: async () => Object.keys(files).sort(),
  };
}
const pointer = (content: string) => `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(content)}\nsize ${Buffer.byteLength(content)}\n`;
const M = '{"acc": 0.9}\n';

let gitlab: LfsServer;
beforeAll(async () => {
  gitlab = await lfsServer();
});
afterAll(() => gitlab.close());
beforeEach(() => {
  gitlab.requests.length = 0;
  gitlab.behaviour.objects = new Map([[sha256(M), Buffer.from(M)]]);
  // GitLab's batch answer carries the header its download needs (same host).
  gitlab.behaviour.downloadHeader = { authorization: "Basic from-the-batch-answer" };
});

describe("the bot's LFS client for a forge", () => {
  it("GitLab: oauth2:<token> as basic auth on <clone URL>/info/lfs/objects/batch; the download gets the answer's header, not the token", async () => {
    const wrap = forgeLfs({ cloneUrl: `${gitlab.origin}/group/project.git`, forgeOrigin: gitlab.origin, token: "glpat-x", username: "oauth2", maxFileBytes: 1024 });
    const tree = wrap(treeOf({ "m.json": pointer(M), "plain.json": '{"a": 1}' }));
    const r = await tree.read(["m.json", "plain.json", "gone.json"]);
    // The revision's budget pays the object's real size (the tree below paid nothing here).
    expect(tree.budget!.remaining("bytesRead")).toBe(REVISION_BUDGET.bytesRead - Buffer.byteLength(M));
    expect(r.get("m.json")).toEqual({ ok: true, data: Buffer.from(M) });
    expect(r.get("plain.json")).toEqual({ ok: true, data: Buffer.from('{"a": 1}') });
    expect(r.get("gone.json")).toMatchObject({ ok: false, error: { code: "missing" } });
    expect(gitlab.requests.map((q) => [q.method, q.path, q.authorization])).toEqual([
      ["POST", "/group/project.git/info/lfs/objects/batch", `Basic ${Buffer.from("oauth2:glpat-x").toString("base64")}`],
      ["GET", `/lfs-objects/${sha256(M)}`, "Basic from-the-batch-answer"],
    ]);
  });

  it("a clone URL off the forge's origin: no request at all, one line for the file", async () => {
    const wrap = forgeLfs({ cloneUrl: `${gitlab.origin}/group/project.git`, forgeOrigin: "https://gitlab.example.com", token: "glpat-x", username: "oauth2", maxFileBytes: 1024 });
    const r = await wrap(treeOf({ "m.json": pointer(M) })).read(["m.json"]);
    expect(r.get("m.json")).toEqual({ ok: false, error: { code: "unavailable", message: `Git-LFS object ${sha256(M).slice(0, 12)}…: the LFS endpoint ${gitlab.origin} is not on the forge's origin: the token is not sent there` } });
    expect(gitlab.requests).toEqual([]);
  });

  it("a pointer whose size is over the limit: too-large, no request", async () => {
    const wrap = forgeLfs({ cloneUrl: `${gitlab.origin}/group/project.git`, forgeOrigin: gitlab.origin, token: "t", username: "oauth2", maxFileBytes: 5 });
    const tree = wrap(treeOf({ "m.json": pointer(M) }));
    const r = await tree.read(["m.json"]);
    expect(r.get("m.json")).toMatchObject({ ok: false, error: { code: "too-large" } });
    expect(gitlab.requests).toEqual([]);
  });

  it("a clone URL without .git: <url>.git/info/lfs; an object the forge lacks is its per-object 404 line", async () => {
    const wrap = forgeLfs({ cloneUrl: `${gitlab.origin}/nope`, forgeOrigin: gitlab.origin, token: "t", username: "oauth2", maxFileBytes: 1024 });
    gitlab.behaviour.objects = new Map();
    const r = await wrap(treeOf({ "m.json": pointer(M) })).read(["m.json"]);
    expect(r.get("m.json")).toEqual({ ok: false, error: { code: "unavailable", message: `Git-LFS object ${sha256(M).slice(0, 12)}…: not on the server (404)` } });
    expect(gitlab.requests.map((q) => q.path)).toEqual(["/nope.git/info/lfs/objects/batch"]);
  });
});
