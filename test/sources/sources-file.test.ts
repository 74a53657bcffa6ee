import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateEnv, type EnvInput } from "../../src/app/validate.js";
import { allowedBy } from "../../src/sources/config.js";
import { tempDir } from "../helpers/git-repo.js";

/** The operator's sources file as the README documents it (its first YAML block under "Which remotes"). */
function readmeExample(): string {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("### Which remotes the bot may contact"));
  return /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
}

function check(text: string, env: EnvInput = {}): string[] {
  const dir = tempDir();
  writeFileSync(join(dir, "sources.yml"), text);
  // Setup mode: the GitHub App's own variables are not what is being checked here.
  return validateEnv({ MLREVIEW_SOURCES: "sources.yml", ...env }, { cwd: dir, setupMode: true });
}

describe("MLREVIEW_SOURCES is validated at start-up, one line per problem, never a secret", () => {
  it("the README's example is valid once the variables it names are set", () => {
    expect(check(readmeExample(), { DAGSHUB_TOKEN: "x", AZURE_STORAGE_CONNECTION_STRING: "y" })).toEqual([]);
    expect(check(readmeExample(), { AZURE_STORAGE_CONNECTION_STRING: "y" })).toEqual(["MLREVIEW_SOURCES: dvc_remotes[3].password_env names DAGSHUB_TOKEN, which is not set"]);
  });

  it("a URL with credentials, an unknown key, a bad endpoint, a missing file", () => {
    expect(check("dvc_remotes:\n  - url: https://user:pw@host/dvc\n")).toEqual(["MLREVIEW_SOURCES: sources.yml: dvc_remotes[0].url: expected an s3://, gs://, azure:// or http(s):// URL prefix without credentials"]);
    expect(check("dvc_remotes:\n  - url: s3://b/p\n    endpointurl: http://x\n")).toEqual(["MLREVIEW_SOURCES: sources.yml: dvc_remotes[0]: unknown key 'endpointurl'"]);
    expect(check("dvc_remotes:\n  - url: s3://b/p\n    endpoint: ftp://x\n")).toEqual(["MLREVIEW_SOURCES: sources.yml: dvc_remotes[0].endpoint: expected an http(s) URL"]);
    expect(validateEnv({ MLREVIEW_SOURCES: "/nonexistent.yml" }, { setupMode: true })).toEqual(["MLREVIEW_SOURCES: /nonexistent.yml: no such file"]);
  });

  it("a prefix allows itself and what is below it on a path boundary, never a sibling or a dot-segment escape", () => {
    const rules = [{ url: "s3://acme-ml/dvc" }, { url: "https://remote.dvc.org/" }];
    expect(allowedBy(rules, "s3://acme-ml/dvc")).toBe(rules[0]);
    expect(allowedBy(rules, "s3://acme-ml/dvc/project")).toBe(rules[0]);
    expect(allowedBy(rules, "s3://ACME-ML/dvc/x")).toBe(rules[0]);
    expect(allowedBy(rules, "s3://acme-ml/dvc-other")).toBeUndefined();
    expect(allowedBy(rules, "s3://acme-ml/dvc/../secrets")).toBeUndefined();
    expect(allowedBy(rules, "s3://acme-ml/dvc/%2e%2e/secrets")).toBeUndefined();
    expect(allowedBy(rules, "https://remote.dvc.org/get-started")).toBe(rules[1]);
    expect(allowedBy(rules, "https://remote.dvc.org.evil.com/x")).toBeUndefined();
    expect(allowedBy(rules, "https://user@remote.dvc.org/x")).toBeUndefined();
    expect(allowedBy(rules, "http://remote.dvc.org/x")).toBeUndefined();
  });
});
