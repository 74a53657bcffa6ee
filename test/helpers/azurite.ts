import { join } from "node:path";
import { startEmulator } from "./emulator.js";
import { freePort } from "./server.js";

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
  const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  // Any answer means it listens (the list call itself is refused without a signature).
  const server = await startEmulator("azurite-blob", bin, ["--silent", "--inMemoryPersistence", "--blobHost", "127.0.0.1", "--blobPort", String(port), "--loose", "--skipApiVersionCheck"], {
    ready: async () => (await fetch(`${endpoint}?comp=list`), true),
  });
  return {
    endpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`,
    stop: server.stop,
  };
}
