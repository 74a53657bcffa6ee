import type { DvcRemoteRule } from "../../../sources/config.js";
import { StoreError, type ObjectStore, type RemoteConfig } from "./types.js";

/** Placeholder until the gs store lands (helper branch cloud-stores). */
export function openGs(remote: RemoteConfig, _rule: DvcRemoteRule | undefined): ObjectStore {
  return {
    describe: `DVC remote '${remote.name}'`,
    get: async () => {
      throw new StoreError("gs remotes are not supported yet");
    },
  };
}
