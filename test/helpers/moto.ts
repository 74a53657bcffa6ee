import { startEmulator } from "./emulator.js";
import { freePort } from "./server.js";
import { venvBin } from "./python.js";

export { freePort } from "./server.js";

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * The worker's moto server, started by the first file that asks (a Python start-up and moto's imports,
 * about two seconds, once per worker), killed when the worker exits. Lives on globalThis, past the
 * modules each file gets afresh (test/setup/fresh-modules.ts).
 */
const KEY = Symbol.for("mlreview.test.moto");
/** moto_server's main, and an end when stdin ends: the worker gone, however it went (vitest may kill it by a signal). */
const MOTO = `
import os, sys, threading
from moto.server import main
threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()
main(sys.argv[1:])
`;
const holder = globalThis as { [KEY]?: Promise<string> };

function launch(): Promise<string> {
  const started = (async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, MOTO_PORT: String(port) };
    const server = await startEmulator("moto_server", venvBin("python"), ["-c", MOTO, "-H", "127.0.0.1", "-p", String(port)], { env, stdin: "pipe", ready: async () => (await fetch(`${endpoint}/moto-api/data.json`)).ok });
    server.detach();
    return endpoint;
  })();
  // A failed start is not kept: the next file tries again.
  started.catch(() => {
    if (holder[KEY] === started) holder[KEY] = undefined;
  });
  return started;
}

async function motoApi(endpoint: string, path: string, body?: string): Promise<void> {
  const r = await fetch(`${endpoint}/moto-api/${path}`, { method: "POST", ...(body === undefined ? {} : { body }) });
  if (!r.ok) throw new Error(`moto: POST /moto-api/${path} answered ${r.status}: ${await r.text()}`);
}

/**
 * moto's real S3 server on loopback, as a freshly started one: nothing in it (moto's reset: every
 * backend's buckets, users, keys), and `authAfter` turning on moto's IAM checks after that many requests
 * (reset-auth sets INITIAL_NO_AUTH_ACTION_COUNT and counts from zero; none by default): the setup goes
 * unchecked, every request after it needs a real key. moto's own API is not an AWS action, so it does not
 * count. One file at a time uses it (a worker runs its files one after the other); stop() leaves it to
 * the next.
 */
export async function startMoto(opts: { authAfter?: number } = {}): Promise<MotoServer> {
  const endpoint = await (holder[KEY] ??= launch());
  await motoApi(endpoint, "reset");
  await motoApi(endpoint, "reset-auth", String(opts.authAfter ?? "inf"));
  return { endpoint, stop: async () => undefined };
}
