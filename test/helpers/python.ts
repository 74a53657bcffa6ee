import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The real peers the tests compare against, pinned. Changing this list makes a new virtualenv;
 * an unchanged list reuses the one already built (pip is slow: minutes, not seconds).
 */
export const PYTHON_PINS = ["dvc==3.67.1", "dvc-s3==3.3.0", "moto[server]==5.2.5"] as const;

const pinsHash = createHash("sha256").update(PYTHON_PINS.join("\n")).digest("hex").slice(0, 12);
/** Outside the repository so a clean clone reuses it on the same machine; MLREVIEW_TEST_VENV moves it. */
export const VENV_DIR = process.env.MLREVIEW_TEST_VENV ?? join(tmpdir(), `mlreview-venv-${pinsHash}`);
const READY = join(VENV_DIR, ".mlreview-pins");

function python(): string {
  for (const candidate of ["python3", "python"]) {
    try {
      execFileSync(candidate, ["--version"], { stdio: "ignore" });
      return candidate;
    } catch {
      /* next */
    }
  }
  throw new Error("python3 is not installed: the differential tests need it to install dvc and moto from PyPI");
}

/** Creates the virtualenv with the pinned peers once; later calls (and later runs) reuse it. */
export function ensureVenv(): string {
  if (existsSync(READY) && readFileSync(READY, "utf8") === PYTHON_PINS.join("\n")) return VENV_DIR;
  rmSync(VENV_DIR, { recursive: true, force: true });
  mkdirSync(VENV_DIR, { recursive: true });
  execFileSync(python(), ["-m", "venv", VENV_DIR], { stdio: "inherit" });
  execFileSync(join(VENV_DIR, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", ...PYTHON_PINS], {
    stdio: "inherit",
    timeout: 20 * 60_000,
  });
  writeFileSync(READY, PYTHON_PINS.join("\n"));
  return VENV_DIR;
}

/** Path of an executable installed in the virtualenv (dvc, moto_server). */
export function venvBin(name: string): string {
  return join(ensureVenv(), "bin", name);
}
