import type { DvcRemoteRule } from "../../../sources/config.js";
import { StoreError, type ObjectStore, type RemoteConfig } from "./types.js";

/** Placeholder until the azure store lands (helper branch cloud-stores). */
export function openAzure(remote: RemoteConfig, _rule: DvcRemoteRule | undefined): ObjectStore {
  return {
    describe: `DVC remote '${remote.name}'`,
    get: async () => {
      throw new StoreError("azure remotes are not supported yet");
    },
  };
}
