import yazl from "yazl";

export type ZipEntry = { name: string; data: Buffer | string; mode?: number };

/** A zip built in memory: a list of entries (modes for symlink cases), or a name → content map. */
export function zip(entries: ZipEntry[] | Record<string, string>): Promise<Buffer> {
  const list = Array.isArray(entries) ? entries : Object.entries(entries).map(([name, data]) => ({ name, data }) as ZipEntry);
  const z = new yazl.ZipFile();
  for (const e of list) z.addBuffer(Buffer.from(e.data), e.name, e.mode === undefined ? {} : { mode: e.mode });
  z.end();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    z.outputStream.on("data", (c: Buffer) => chunks.push(c)).on("end", () => resolve(Buffer.concat(chunks)));
  });
}
