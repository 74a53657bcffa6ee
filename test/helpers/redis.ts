import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { freePort } from "./moto.js";

/**
 * Debian's redis-server; installed when missing (tests run as root on the CI machine). Called once by
 * test/global-setup.ts before any worker starts: two workers running apt-get at once fight over dpkg's
 * lock, and the loser fails its file.
 */
export function ensureRedisServer(): void {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
  } catch {
    if (process.getuid?.() !== 0) throw new Error("redis-server is not installed: apt-get install redis-server");
    execFileSync("apt-get", ["update", "-qq"], { stdio: "ignore" });
    execFileSync("apt-get", ["install", "-y", "-qq", "redis-server"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  }
}

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
  /** Kill and start again on the same port (clients must reconnect). */
  restart(): Promise<void>;
}

/** A real redis-server on loopback, in memory only, stopped by the caller. */
export async function startRedis(): Promise<RedisServer> {
  ensureRedisServer();
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      proc!.stdout!.on("data", (d: Buffer) => d.toString().includes("Ready to accept connections") && resolve());
      proc!.on("exit", (code) => reject(new Error(`redis-server exited (${code})`)));
    });
  };
  const stop = async () => {
    if (!proc || proc.exitCode !== null) return;
    const p = proc;
    await new Promise<void>((resolve) => {
      p.on("exit", () => resolve());
      p.kill("SIGKILL");
    });
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, stop, restart: async () => (await stop(), await start()) };
}
