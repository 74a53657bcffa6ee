import { describe, expect, it } from "vitest";
import { github } from "../../../src/forges/github/index.js";
import { forgeById, FORGES } from "../../../src/forges/registry.js";
import { CONFIG_FILES } from "../../../src/project/index.js";

const project = (remoteUrl: string | undefined, files: string[] = []) => ({ remoteUrl, hasFile: async (p: string) => files.includes(p) });

describe("the GitHub forge module", () => {
  it("is registered by its id, with today's config-file locations", () => {
    expect(forgeById("github")).toBe(github);
    expect(FORGES.filter((f) => f.id === "github")).toHaveLength(1);
    expect(github.configFiles).toEqual(CONFIG_FILES);
  });

  it("claims github.com remotes (https, ssh, scp-like), github.* hosts, and checkouts with GitHub workflows", async () => {
    for (const url of ["https://github.com/acme/model.git", "git@github.com:acme/model.git", "ssh://git@github.com/acme/model", "https://github.acme.corp/ml/model.git"]) {
      expect(await github.claims(project(url)), url).toBe(true);
    }
    expect(await github.claims(project(undefined, [".github/workflows"]))).toBe(true);
    for (const url of ["https://gitlab.com/acme/model.git", "git@bitbucket.org:acme/model.git", "/srv/git/model.git", "C:\\repos\\model"]) {
      expect(await github.claims(project(url)), url).toBe(false);
    }
    expect(await github.claims(project(undefined))).toBe(false);
  });

  it("is enabled by APP_ID", () => {
    const base = { publicUrl: undefined, dataDir: "/tmp", imageKey: "k" };
    expect(github.enabled({ ...base, appId: 123 })).toBe(true);
    expect(github.enabled({ ...base, appId: undefined })).toBe(false);
  });

  it("accepts today's pull_request and workflow_run task data, 64-hex (SHA-256) shas included", () => {
    const data = {
      installation: 7,
      repository: { full_name: "acme/model", clone_url: "https://github.com/acme/model.git", html_url: "https://github.com/acme/model", owner: { login: "acme" }, name: "model" },
      pr: { number: 3, head: { sha: "c".repeat(64), ref: "feature/x" }, base: { sha: "d".repeat(40), ref: "main" } },
    };
    expect(github.schemas.review.safeParse(data).success).toBe(true);
    expect(github.schemas.review.safeParse({ ...data, run: { id: 900, workflow_id: 77, path: ".github/workflows/train.yml" }, repositoryId: 5 }).success).toBe(true);
    expect(github.schemas.review.safeParse({ ...data, repository: { ...data.repository, full_name: "acme/model/../x" } }).success).toBe(false);
    expect(github.schemas.review.safeParse({ ...data, pr: { ...data.pr, number: -1 } }).success).toBe(false);
  });
});
