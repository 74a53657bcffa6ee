import { describe, expect, it } from "vitest";
import { zip } from "../helpers/zip.js";
import { ARTIFACT_LIMITS, readArtifact } from "../../src/revisions/artifact.js";

/** Rewrite a name everywhere it is stored (local header and central directory), keeping its length. */
function rename(buf: Buffer, from: string, to: string): Buffer {
  return Buffer.from(buf.toString("latin1").split(from).join(to), "latin1");
}

describe("artifact zips are untrusted", () => {
  it("reads the files of a well-formed artifact into memory", async () => {
    const files = await readArtifact(
      await zip([
        { name: "metrics.json", data: '{"acc": 1}' },
        { name: "eval/plots/loss.csv", data: "step,loss\n0,1\n" },
      ]),
    );
    expect([...files.keys()]).toEqual(["metrics.json", "eval/plots/loss.csv"]);
    expect(files.get("metrics.json")!.toString()).toBe('{"acc": 1}');
  });

  it("refuses a path that climbs out or is absolute", async () => {
    const climbing = rename(await zip([{ name: "aa/evil.json", data: "{}" }]), "aa/evil.json", "../evil.json");
    await expect(readArtifact(climbing)).rejects.toThrow(/\.\.\/evil\.json/);
    const absolute = rename(await zip([{ name: "etc/passwd.json", data: "{}" }]), "etc/passwd.json", "/tc/passwd.json");
    await expect(readArtifact(absolute)).rejects.toThrow(/absolute|\/tc\/passwd\.json/);
  });

  it("refuses symlink entries", async () => {
    await expect(readArtifact(await zip([{ name: "metrics.json", data: "/etc/passwd", mode: 0o120777 }]))).rejects.toThrow("artifact entry 'metrics.json': symlinks are not accepted");
  });

  it("stops a zip bomb by what actually inflates, and by what entries declare", async () => {
    const bomb = await zip([{ name: "zeros.json", data: Buffer.alloc(20 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(100_000);
    await expect(readArtifact(bomb, { ...ARTIFACT_LIMITS, maxTotalBytes: 5 * 1024 * 1024, maxFileBytes: 100 * 1024 * 1024 })).rejects.toThrow("artifact inflates to more than 5242880 bytes");
    await expect(readArtifact(bomb, { ...ARTIFACT_LIMITS, maxFileBytes: 1024 * 1024 })).rejects.toThrow("artifact entry 'zeros.json' is 20971520 bytes, over the per-file limit");
  });

  it("catches an entry whose declared size lies", async () => {
    const honest = await zip([{ name: "m.json", data: "x".repeat(5000) }]);
    // Patch the central directory's uncompressed size (offset 24 in the entry) to 10 bytes.
    const cd = honest.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const lying = Buffer.from(honest);
    lying.writeUInt32LE(10, cd + 24);
    await expect(readArtifact(lying)).rejects.toThrow(/too many bytes|size|invalid/i);
  });

  it("refuses too many entries, an oversized zip, and something that is not a zip", async () => {
    const many = await zip(Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.json`, data: "{}" })));
    await expect(readArtifact(many, { ...ARTIFACT_LIMITS, maxEntries: 5 })).rejects.toThrow("artifact has 6 entries, over the limit of 5");
    await expect(readArtifact(many, { ...ARTIFACT_LIMITS, maxZipBytes: 100 })).rejects.toThrow(/over the 100-byte limit/);
    await expect(readArtifact(Buffer.from("PK not really"))).rejects.toThrow(/^not a valid zip/);
  });
});
