import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "./server.js";
import { venvBin } from "./python.js";

export { freePort } from "./server.js";

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * moto's real S3 server on loopback. `authAfter` turns on moto's IAM checks after that many requests
 * (INITIAL_NO_AUTH_ACTION_COUNT): the setup goes unchecked, every request after it needs a real key.
 */
export async function startMoto(opts: { authAfter?: number } = {}): Promise<MotoServer> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, MOTO_PORT: String(port) };
  if (opts.authAfter !== undefined) env.INITIAL_NO_AUTH_ACTION_COUNT = String(opts.authAfter);
  const proc: ChildProcess = spawn(venvBin("moto_server"), ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"], env });
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => proc.on("exit", (code) => reject(new Error(`moto_server exited (${code}): ${stderr}`))));
  const ready = (async () => {
    for (let i = 0; i < 300; i++) {
      try {
        // moto's own API: not an AWS action, so it does not count against INITIAL_NO_AUTH_ACTION_COUNT.
        const r = await fetch(`${endpoint}/moto-api/data.json`);
        if (r.ok) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`moto_server did not start: ${stderr}`);
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
