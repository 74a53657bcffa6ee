/**
 * `npm test`: the build first (the tests run dist/), then vitest beside the type-check, ESLint and
 * Prettier. The checks take ~10 CPU-s and vitest leaves a core idle ~10% of its run (tests waiting on
 * timeouts), so side by side they cost little wall time where one after the other they cost ~7 s.
 * The checks' output is held and printed after vitest's, so neither is interleaved with the other;
 * any of the four failing fails the run.
 */
import { spawn, spawnSync } from "node:child_process";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const build = spawnSync(npm, ["run", "-s", "build"], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);

/** `npm run -s name`, its output held; resolves to its exit code and output. */
function held(name) {
  return new Promise((resolve) => {
    const child = spawn(npm, ["run", "-s", name], { stdio: ["ignore", "pipe", "pipe"] });
    const out = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => out.push(d));
    child.on("error", (e) => resolve({ name, code: 1, output: `${e.message}\n` }));
    child.on("close", (code, signal) => resolve({ name, code: code ?? (signal ? 1 : 0), output: Buffer.concat(out).toString("utf8") }));
  });
}

const checks = Promise.all(["typecheck", "lint:code", "lint:format"].map(held));
const vitest = new Promise((resolve) => {
  const child = spawn(process.execPath, ["node_modules/vitest/vitest.mjs", "run", ...process.argv.slice(2)], { stdio: "inherit" });
  child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
});

const [tests, results] = await Promise.all([vitest, checks]);
let failed = tests !== 0;
for (const r of results) {
  if (r.code === 0) continue;
  failed = true;
  process.stderr.write(`\nnpm run ${r.name} failed (exit ${r.code}):\n${r.output}`);
}
process.exit(failed ? 1 : 0);
