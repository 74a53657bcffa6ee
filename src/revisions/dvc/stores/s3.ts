import type { DvcRemoteRule } from "../../../sources/config.js";
import { StoreError, type ObjectStore, type RemoteConfig } from "./types.js";

/** Placeholder until the s3 store lands (helper branch cloud-stores). */
export function openS3(remote: RemoteConfig, _rule: DvcRemoteRule | undefined): ObjectStore {
  return {
    describe: `DVC remote '${remote.name}'`,
    get: async () => {
      throw new StoreError("s3 remotes are not supported yet");
    },
  };
}
