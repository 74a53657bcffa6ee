import { describe, expect, it } from "vitest";
import { lfsUrlFromClone } from "../../../src/revisions/lfs/endpoint.js";
import { parsePointer, POINTER_MAX_BYTES } from "../../../src/revisions/lfs/pointer.js";

const OID = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";
const ptr = (s: string) => parsePointer(Buffer.from(s));

describe("LFS pointers, as git-lfs's decoder reads them (lfs/pointer.go)", () => {
  it("the spec's example, and the older version URLs", () => {
    expect(ptr(`version https://git-lfs.github.com/spec/v1\noid sha256:${OID}\nsize 12345\n`)).toEqual({ oid: OID, size: 12345 });
    expect(ptr(`version https://hawser.github.com/spec/v1\noid sha256:${OID}\nsize 0\n`)).toEqual({ oid: OID, size: 0 });
    expect(ptr(`version https://git-lfs.github.com/spec/v1\next-0-foo sha256:${"0".repeat(64)}\noid sha256:${OID}\nsize 1\n`)).toEqual({ oid: OID, size: 1 });
  });

  it("ordinary files that look close are not pointers", () => {
    expect(ptr(`version https://git-lfs.github.com/spec/v2\noid sha256:${OID}\nsize 1\n`)).toBeUndefined();
    expect(ptr(`version https://git-lfs.github.com/spec/v1\noid sha256:${OID.toUpperCase()}\nsize 1\n`)).toBeUndefined();
    expect(ptr(`version https://git-lfs.github.com/spec/v1\noid md5:${OID}\nsize 1\n`)).toBeUndefined();
    expect(ptr(`version https://git-lfs.github.com/spec/v1\noid sha256:${OID}\nsize -1\n`)).toBeUndefined();
    expect(ptr(`version https://git-lfs.github.com/spec/v1\noid sha256:${OID}\n`)).toBeUndefined();
    expect(ptr(`oid sha256:${OID}\nversion https://git-lfs.github.com/spec/v1\nsize 1\n`)).toBeUndefined();
    expect(ptr(`version https://git-lfs.github.com/spec/v1\noid sha256:${OID}\nsize 1\n${"x y\n".repeat(POINTER_MAX_BYTES / 4)}`)).toBeUndefined();
    expect(ptr("")).toBeUndefined();
    expect(ptr('{"acc": 1}')).toBeUndefined();
  });
});

describe("the LFS URL from a clone URL (lfsapi/endpoint_finder.go)", () => {
  it.each([
    ["https://github.com/o/r.git", "https://github.com/o/r.git/info/lfs"],
    ["https://github.com/o/r", "https://github.com/o/r.git/info/lfs"],
    ["https://github.com/o/r/", "https://github.com/o/r.git/info/lfs"],
    ["https://user:pw@gitlab.example.com/g/p.git", "https://gitlab.example.com/g/p.git/info/lfs"],
    ["git@github.com:o/r.git", "https://github.com/o/r.git/info/lfs"],
    ["ssh://git@host:2222/foo/bar.git", "https://host/foo/bar.git/info/lfs"],
    ["/srv/repos/r.git", undefined],
    ["file:///srv/repos/r.git", undefined],
    ["../r", undefined],
  ])("%s → %s", (clone, lfs) => {
    expect(lfsUrlFromClone(clone)).toBe(lfs);
  });
});
