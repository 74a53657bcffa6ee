/**
 * Where DVC objects are read from: the local cache, a remote. Keys are paths relative to the store's
 * root in DVC's own layout ("files/md5/80/a081570c800c60b9b98ca4b3c91dd7.dir", legacy "c8/d307aa…").
 */
export interface ObjectStore {
  /** How report lines name it: "DVC remote 'storage' (s3://bucket/dvc)". Never holds a credential. */
  readonly describe: string;
  /**
   * The object's bytes, or undefined when the store does not have it. One request per call (callers
   * dedupe and cache). Throws ObjectTooLarge past maxBytes (without reading the rest), StoreError for
   * anything else (auth refused, a 500, a redirect outside what is allowed, a timeout).
   */
  get(key: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer | undefined>;
}

export class StoreError extends Error {
  override readonly name: string = "StoreError";
}

/** The store cannot be reached at all (DNS, refused, timed out): asking it for the next object would only wait again. */
export class StoreUnreachable extends StoreError {
  override readonly name = "StoreUnreachable";
}

export class ObjectTooLarge extends StoreError {
  override readonly name = "ObjectTooLarge";
  constructor(readonly limit: number) {
    super(`object is over the ${limit}-byte limit`);
  }
}

/** One `[remote "name"]` section of .dvc/config (+ config.local), keys lower-cased as DVC does. */
export interface RemoteConfig {
  name: string;
  url: string;
  options: Readonly<Record<string, string>>;
}
