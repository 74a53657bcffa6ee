import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./moto.js";

/** fsouza/fake-gcs-server, pinned; a Go program, built once per machine with `go install` (about 5 minutes on 2 cores). */
export const FAKE_GCS_VERSION = "v1.56.1";
const GOBIN = process.env.MLREVIEW_TEST_GOBIN ?? join(tmpdir(), `mlreview-fake-gcs-server-${FAKE_GCS_VERSION}`);

export function fakeGcsBin(): string {
  const bin = join(GOBIN, "fake-gcs-server");
  if (existsSync(bin)) return bin;
  mkdirSync(GOBIN, { recursive: true });
  execFileSync("go", ["install", `github.com/fsouza/fake-gcs-server@${FAKE_GCS_VERSION}`], {
    env: { ...process.env, GOBIN },
    stdio: "inherit",
    timeout: 20 * 60_000,
  });
  return bin;
}

export interface FakeGcs {
  /** The API root, http://127.0.0.1:<port>, for `endpointurl` / `endpoint`. */
  endpoint: string;
  stop(): Promise<void>;
}

/** The emulator on loopback, in memory, preloaded from `dataDir` (`<dataDir>/<bucket>/<object name>`). */
export async function startFakeGcs(dataDir: string): Promise<FakeGcs> {
  const port = await freePort();
  const args = ["-scheme", "http", "-host", "127.0.0.1", "-port", String(port), "-backend", "memory", "-data", dataDir, "-log-level", "error"];
  const proc: ChildProcess = spawn(fakeGcsBin(), args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => proc.on("exit", (code) => reject(new Error(`fake-gcs-server exited (${code}): ${stderr}`))));
  const ready = (async () => {
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`${endpoint}/storage/v1/b`)).ok) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`fake-gcs-server did not start: ${stderr}`);
  })();
  await Promise.race([ready, exited]);
  proc.removeAllListeners("exit");
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.on("exit", () => resolve());
        proc.kill("SIGTERM");
      }),
  };
}
