import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dvcMd5 } from "../../../src/revisions/dvc/objects.js";
import { tempDir } from "../../helpers/git-repo.js";
import { runPython } from "../../helpers/dvc-session.js";

const MiB = 1024 * 1024;

/** Files that take each branch of DVC 2's md5-dos2unix: text and binary chunks, CRLF across a chunk boundary, non-ASCII. */
function samples(): Record<string, Buffer> {
  const crlf = Buffer.from("a,b\r\n1,2\r\n".repeat(10));
  const boundary = Buffer.concat([Buffer.alloc(MiB - 1, "x"), Buffer.from("\r\n"), Buffer.from("tail\r\n")]);
  const textThenBinary = Buffer.concat([Buffer.from("line\r\n".repeat(MiB / 6 + 1)).subarray(0, MiB), randomBytes(4096), Buffer.from("\r\n")]);
  const binaryThenText = Buffer.concat([Buffer.from([0]), Buffer.alloc(MiB - 1, "y"), Buffer.from("z\r\nz\r\n")]);
  const utf8 = Buffer.from("précision\r\nµ\r\n日本語テキスト\r\n".repeat(20));
  const mostlyHigh = Buffer.concat([Buffer.from("ab\r\n"), Buffer.alloc(20, 0xe9)]);
  return {
    empty: Buffer.alloc(0),
    crlf,
    lf: Buffer.from("a,b\n1,2\n"),
    lone_cr: Buffer.from("a\rb\r\r\n"),
    binary: randomBytes(3 * MiB + 17),
    boundary,
    text_then_binary: textThenBinary,
    binary_then_text: binaryThenText,
    utf8,
    mostly_high: mostlyHigh,
  };
}

describe("object hashes equal DVC's own (dvc-data's file_md5)", () => {
  it("md5 (DVC 3) and md5-dos2unix (DVC 2), file by file", async () => {
    const dir = tempDir();
    const files = samples();
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    const script = [
      "import json, sys, os",
      "from dvc_data.hashfile.hash import file_md5",
      "d = sys.argv[1]",
      "print(json.dumps({n: [file_md5(os.path.join(d, n), name='md5'), file_md5(os.path.join(d, n), name='md5-dos2unix')] for n in sorted(os.listdir(d))}))",
    ].join("\n");
    const theirs = JSON.parse(await runPython(dir, script, [dir], { PATH: process.env.PATH ?? "" })) as Record<string, [string, string]>;
    const ours = Object.fromEntries(Object.entries(files).map(([n, data]) => [n, [dvcMd5(data, false), dvcMd5(data, true)]]));
    expect(ours).toEqual(theirs);
    // The two functions differ exactly where a text chunk holds a CRLF: the samples do exercise both.
    expect(theirs.crlf![0]).not.toBe(theirs.crlf![1]);
    expect(theirs.binary![0]).toBe(theirs.binary![1]);
  });
});
