import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The production entry point as `npm start` and the Docker image run it: node dist/server.js (built by `npm run build`). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const SERVER = join(ROOT, "dist", "server.js");

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Started {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** `node dist/server.js` in `cwd` with only PATH, HOME and `env`; stdout and stderr captured. */
export function startServer(env: NodeJS.ProcessEnv, cwd: string): Started {
  const child = spawn(process.execPath, [SERVER], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, at: Date.now() })));
  return { child, out: () => out, err: () => err, exited };
}

/** Polls `url` until it answers `status` (the server is up), or throws with what the server said. */
export async function waitFor(url: string, status: number, ms: number, s: Started): Promise<Response> {
  const until = Date.now() + ms;
  for (;;) {
    if (s.child.exitCode !== null) throw new Error(`server exited ${s.child.exitCode}: ${s.err()} ${s.out()}`);
    const r = await fetch(url).catch(() => undefined);
    if (r?.status === status) return r;
    if (Date.now() > until) throw new Error(`${url} never answered ${status}: ${s.err()} ${s.out()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM, then SIGKILL if it has not exited within `ms`. */
export async function stopServer(s: Started, ms = 10_000): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill("SIGTERM");
  const timer = setTimeout(() => s.child.kill("SIGKILL"), ms);
  await s.exited;
  clearTimeout(timer);
}
