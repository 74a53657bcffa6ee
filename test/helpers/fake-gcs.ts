import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "./emulator.js";
import { freePort } from "./server.js";

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
  const endpoint = `http://127.0.0.1:${port}`;
  const server = await startEmulator("fake-gcs-server", fakeGcsBin(), args, { ready: async () => (await fetch(`${endpoint}/storage/v1/b`)).ok });
  return { endpoint, stop: server.stop };
}
