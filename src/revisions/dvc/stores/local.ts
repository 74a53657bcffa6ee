import { open } from "node:fs/promises";
import { ObjectTooLarge, StoreError, type ObjectStore } from "./types.js";

/** An object key as objectKey() makes them; anything else never becomes a path (it would come from a repository). */
const KEY = /^(files\/md5\/)?[0-9a-f]{2}\/[0-9a-f]{30}(\.dir)?$/;

/** A DVC cache or a local remote: a folder in DVC's layout (the CLI only: the bot never reads a path a repository names). */
export class LocalStore implements ObjectStore {
  constructor(
    private readonly root: string,
    readonly describe: string,
  ) {}

  async get(key: string, maxBytes: number): Promise<Buffer | undefined> {
    if (!KEY.test(key)) throw new StoreError(`'${key.slice(0, 80)}' is not a DVC object key`);
    let file;
    try {
      file = await open(`${this.root}/${key}`, "r");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw new StoreError(`cannot be read (${code ?? "error"})`);
    }
    try {
      const st = await file.stat();
      if (!st.isFile()) return undefined;
      if (st.size > maxBytes) throw new ObjectTooLarge(maxBytes);
      return await file.readFile();
    } finally {
      await file.close();
    }
  }
}
