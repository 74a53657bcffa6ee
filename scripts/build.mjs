// Type-check and emit with tsc (the server and the tests use dist/), then bundle the CLI with esbuild:
// one file loads in ~0.15 s instead of ~0.35 s for hundreds of small modules, and a CLI is started
// once per CI step. Native and heavy rendering modules stay external and load only when plots are drawn.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync } from "node:fs";
import { build } from "esbuild";

execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], { stdio: "inherit" });

const workers = (existsSync("src/plots") ? readdirSync("src/plots") : []).filter((f) => /worker\.ts$/.test(f)).map((f) => `src/plots/${f}`);
await build({
  entryPoints: ["src/cli/main.ts", ...workers],
  outdir: "dist/bin",
  // Flat: a worker referenced as new URL("./x-worker.js", import.meta.url) sits beside the chunk that spawns it.
  entryNames: "[name]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  // The cloud SDKs are runtime dependencies, loaded only when a repository has such a DVC remote.
  external: ["sharp", "vega", "vega-lite", "vega-interpreter", "@napi-rs/canvas", "dejavu-fonts-ttf", "@aws-sdk/client-s3", "@google-cloud/storage", "@azure/storage-blob"],
  banner: { js: "import { createRequire as __mlreviewRequire } from 'node:module'; const require = __mlreviewRequire(import.meta.url);" },
  logLevel: "warning",
});
chmodSync("dist/bin/main.js", 0o755);
