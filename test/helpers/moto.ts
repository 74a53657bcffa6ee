import { startEmulator } from "./emulator.js";
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
  const endpoint = `http://127.0.0.1:${port}`;
  // moto's own API: not an AWS action, so it does not count against INITIAL_NO_AUTH_ACTION_COUNT.
  const server = await startEmulator("moto_server", venvBin("moto_server"), ["-H", "127.0.0.1", "-p", String(port)], { env, ready: async () => (await fetch(`${endpoint}/moto-api/data.json`)).ok });
  return { endpoint, stop: server.stop };
}
