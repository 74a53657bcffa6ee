import { spawn, type SpawnOptions } from "node:child_process";

export interface Emulator {
  stop(): Promise<void>;
  /**
   * From now on it keeps nothing of this process alive (its pipes, its exit), and is killed when this
   * process exits. (A kill by a signal runs no exit handler: an emulator started with `stdin: "pipe"` that
   * exits at its stdin's end of file goes then too.)
   */
  detach(): void;
}

/**
 * A peer's emulator (moto, Azurite, fake-gcs-server) as a child process, resolved once `ready` answers
 * (no emulator announces that it listens, so it is polled, bounded) and rejected with its last output
 * if it exits first or never answers.
 */
export async function startEmulator(name: string, bin: string, args: readonly string[], o: { env?: SpawnOptions["env"]; stdin?: "pipe"; ready: () => Promise<boolean> }): Promise<Emulator> {
  const env = o.env ? { env: o.env } : {};
  const proc = o.stdin ? spawn(bin, args, { stdio: ["pipe", "pipe", "pipe"], ...env }) : spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], ...env });
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
    detach: () => {
      proc.unref();
      for (const stream of [proc.stdin, proc.stdout, proc.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
      process.once("exit", () => proc.kill("SIGKILL"));
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.on("exit", () => resolve());
        proc.kill("SIGTERM");
      }),
  };
}
