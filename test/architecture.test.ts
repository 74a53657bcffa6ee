// Issue 12: src/forges/<id>/ is the only place that knows a forge. The server wiring (src/app), the
// CLI (src/cli) and the runner service (src/runners) reach a forge through the registry and the
// forge-neutral files of src/forges/ (types.ts, registry.ts, image-store.ts, ...), never a forge folder.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const FORGES = join(ROOT, "src", "forges");
const GUARDED = ["src/app", "src/cli", "src/runners"];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : name.endsWith(".ts") ? [path] : [];
  });
}

/** Every module specifier of a file: static and dynamic imports, `import type`, `export … from`, require. */
function specifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** The forge folder a specifier of `file` lands in ("github" for ../forges/github/index.js), if any. */
function forgeFolderOf(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const target = relative(FORGES, resolve(dirname(file), specifier));
  if (target.startsWith("..") || !target.includes(sep)) return undefined;
  return target.split(sep)[0];
}

function violations(file: string, source: string): string[] {
  return specifiers(source)
    .filter((s) => forgeFolderOf(file, s) !== undefined)
    .map((s) => `${relative(ROOT, file)} imports ${s}`);
}

describe("architecture: no forge folder outside src/forges/", () => {
  it("no file of src/app, src/cli or src/runners imports src/forges/<id>/", () => {
    const files = GUARDED.flatMap((d) => tsFiles(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(20);
    expect(files.flatMap((f) => violations(f, readFileSync(f, "utf8")))).toEqual([]);
  });

  it("the rule sees every kind of import, and allows the registry and the forge-neutral files", () => {
    const file = join(ROOT, "src", "app", "example.ts");
    const source = [
      'import { github } from "../forges/github/index.js";',
      'import type { GitLabClient } from "../forges/gitlab/client.js";',
      'export { x } from "../forges/bitbucket/x.js";',
      'const later = await import("../forges/gitea/index.js");',
      'import { FORGES } from "../forges/registry.js";',
      'import type { ForgeModule } from "../forges/types.js";',
      'import { ImageStore } from "../forges/image-store.js";',
      'import { z } from "zod";',
    ].join("\n");
    expect(violations(file, source)).toEqual([
      "src/app/example.ts imports ../forges/github/index.js",
      "src/app/example.ts imports ../forges/gitlab/client.js",
      "src/app/example.ts imports ../forges/bitbucket/x.js",
      "src/app/example.ts imports ../forges/gitea/index.js",
    ]);
  });

  it("every forge folder with a module (index.ts) has its line in src/forges/registry.ts", () => {
    const registry = readFileSync(join(FORGES, "registry.ts"), "utf8");
    const modules = readdirSync(FORGES).filter((d) => statSync(join(FORGES, d)).isDirectory() && readdirSync(join(FORGES, d)).includes("index.ts"));
    expect(modules).toContain("github");
    for (const id of modules) expect(specifiers(registry)).toContain(`./${id}/index.js`);
  });
});
