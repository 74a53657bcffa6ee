import { spawn, type SpawnOptions } from "node:child_process";

export interface Emulator {
  stop(): Promise<void>;
}

/**
 * A peer's emulator (moto, Azurite, fake-gcs-server) as a child process, resolved once `ready` answers
 * (no emulator announces that it listens, so it is polled, bounded) and rejected with its last output
 * if it exits first or never answers.
 */
export async function startEmulator(name: string, bin: string, args: readonly string[], o: { env?: SpawnOptions["env"]; ready: () => Promise<boolean> }): Promise<Emulator> {
  const proc = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], ...(o.env ? { env: o.env } : {}) });
  let output = "";
  const collect = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
  proc.stdout.on("data", collect);
  proc.stderr.on("data", collect);
  const exited = new Promise<never>((_, reject) => proc.on("exit", (code) => reject(new Error(`${name} exited (${code}): ${output}`))));
  const ready = (async () => {
    for (let i = 0; i < 300; i++) {
      try {
        if (await o.ready()) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${name} did not start: ${output}`);
  })();
  await Promise.race([ready, exited]);
  proc.removeAllListeners("exit");
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.on("exit", () => resolve());
        proc.kill("SIGTERM");
      }),
  };
}
