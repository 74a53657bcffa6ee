import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort } from "./moto.js";

/** Azurite's fixed development account (published in Azure's docs; not a secret). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteServer {
  /** The account's blob endpoint, http://127.0.0.1:<port>/devstoreaccount1. */
  endpoint: string;
  connectionString: string;
  stop(): Promise<void>;
}

/** Azurite's blob service on loopback, in memory, stopped by the caller. */
export async function startAzurite(): Promise<AzuriteServer> {
  const port = await freePort();
  const bin = join(process.cwd(), "node_modules", ".bin", "azurite-blob");
  const proc: ChildProcess = spawn(bin, ["--silent", "--inMemoryPersistence", "--blobHost", "127.0.0.1", "--blobPort", String(port), "--loose", "--skipApiVersionCheck"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
  proc.stdout!.on("data", collect);
  proc.stderr!.on("data", collect);
  const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const exited = new Promise<never>((_, reject) => proc.on("exit", (code) => reject(new Error(`azurite-blob exited (${code}): ${output}`))));
  const ready = (async () => {
    for (let i = 0; i < 300; i++) {
      try {
        await fetch(`${endpoint}?comp=list`);
        return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`azurite-blob did not start: ${output}`);
  })();
  await Promise.race([ready, exited]);
  proc.removeAllListeners("exit");
  return {
    endpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.on("exit", () => resolve());
        proc.kill("SIGTERM");
      }),
  };
}
