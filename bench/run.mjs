// `npm run bench`: every benchmark, one after the other (they share two cores). Figures go to the README.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runDiffBench } from "./diff.mjs";

runDiffBench();

for (const name of ["plots.mjs", "fetch.mjs", "webhook.mjs", "runners.mjs", "scheduler.mjs", "ingest.mjs", "dvc-remote.mjs"]) {
  const file = fileURLToPath(new URL(`./${name}`, import.meta.url));
  if (!existsSync(file)) continue;
  const r = spawnSync(process.execPath, ["--expose-gc", file], { stdio: "inherit" });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}
