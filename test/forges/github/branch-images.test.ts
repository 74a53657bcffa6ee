import { createHash } from "node:crypto";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ASSETS_BRANCH, BranchImages } from "../../../src/forges/github/branch-images.js";
import { testOctokit } from "./helpers.js";

const API = "https://api.github.com";
const R = "/repos/acme/model";
const HTML = "https://github.com/acme/model";
const png = (n: number) => Buffer.from([0x89, 0x50, 0x4e, 0x47, n]);
const pathOf = (b: Buffer) => `images/${createHash("sha256").update(b).digest("hex")}.png`;

describe("report images on an orphan branch (private repositories)", () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("links by content address and creates the orphan branch with one commit on the first report", async () => {
    const images = new BranchImages(testOctokit(), "acme", "model", HTML);
    const url = await images.publish("loss.png", png(1), "image/png");
    expect(url).toBe(`${HTML}/blob/${ASSETS_BRANCH}/${pathOf(png(1))}?raw=true`);
    const scope = nock(API)
      .get(`${R}/git/ref/heads%2F${ASSETS_BRANCH}`)
      .reply(404, { message: "Not Found" })
      .post(`${R}/git/blobs`, { content: png(1).toString("base64"), encoding: "base64" })
      .reply(201, { sha: "blob1" })
      .post(`${R}/git/trees`, { tree: [{ path: pathOf(png(1)), mode: "100644", type: "blob", sha: "blob1" }] })
      .reply(201, { sha: "tree1" })
      .post(`${R}/git/commits`, { message: "mlreview: 1 report image(s)", tree: "tree1", parents: [] })
      .reply(201, { sha: "commit1" })
      .post(`${R}/git/refs`, { ref: `refs/heads/${ASSETS_BRANCH}`, sha: "commit1" })
      .reply(201, {});
    await images.flush();
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("adds only new images on top of the branch, fast-forward; a lost race is retried", async () => {
    const images = new BranchImages(testOctokit(), "acme", "model", HTML);
    await images.publish("a.png", png(1), "image/png");
    await images.publish("b.png", png(2), "image/png");
    const existing = (head: string) =>
      nock(API)
        .get(`${R}/git/ref/heads%2F${ASSETS_BRANCH}`)
        .reply(200, { object: { sha: head } })
        .get(`${R}/git/commits/${head}`)
        .reply(200, { tree: { sha: `tree-of-${head}` } })
        .get(`${R}/git/trees/tree-of-${head}`)
        .query({ recursive: "true" })
        .reply(200, {
          tree: [
            { path: "images", type: "tree" },
            { path: pathOf(png(1)), type: "blob" },
          ],
        });
    const write = (head: string) =>
      nock(API)
        .post(`${R}/git/blobs`, { content: png(2).toString("base64"), encoding: "base64" })
        .reply(201, { sha: "blob2" })
        .post(`${R}/git/trees`, { tree: [{ path: pathOf(png(2)), mode: "100644", type: "blob", sha: "blob2" }], base_tree: `tree-of-${head}` })
        .reply(201, { sha: "tree2" })
        .post(`${R}/git/commits`, { message: "mlreview: 1 report image(s)", tree: "tree2", parents: [head] })
        .reply(201, { sha: `new-on-${head}` });
    const scopes = [
      existing("h1"),
      write("h1"),
      nock(API).patch(`${R}/git/refs/heads%2F${ASSETS_BRANCH}`, { sha: "new-on-h1", force: false }).reply(422, { message: "Update is not a fast forward" }),
      existing("h2"),
      write("h2"),
      nock(API).patch(`${R}/git/refs/heads%2F${ASSETS_BRANCH}`, { sha: "new-on-h2", force: false }).reply(200, {}),
    ];
    await images.flush();
    for (const s of scopes) expect(s.pendingMocks()).toEqual([]);
  });

  it("writes nothing when every image is already on the branch", async () => {
    const images = new BranchImages(testOctokit(), "acme", "model", HTML);
    await images.publish("a.png", png(1), "image/png");
    const scope = nock(API)
      .get(`${R}/git/ref/heads%2F${ASSETS_BRANCH}`)
      .reply(200, { object: { sha: "h" } })
      .get(`${R}/git/commits/h`)
      .reply(200, { tree: { sha: "t" } })
      .get(`${R}/git/trees/t`)
      .query({ recursive: "true" })
      .reply(200, { tree: [{ path: pathOf(png(1)), type: "blob" }] });
    await images.flush();
    expect(scope.pendingMocks()).toEqual([]);
  });
});
