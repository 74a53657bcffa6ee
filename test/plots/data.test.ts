import { describe, expect, it } from "vitest";
import { parseDelimited } from "../../src/plots/csv.js";
import { parsePlotData, readSources } from "../../src/plots/data.js";
import { memTree } from "./helpers.js";

describe("plot data files", () => {
  it("reads CSV and TSV rows as strings, quoted or not", async () => {
    const plain = await parsePlotData("a.csv", Buffer.from("step,loss\r\n0,0.5\r\n\r\n1,0.25\r\n"));
    expect([plain.table.row(0), plain.table.row(1), plain.table.length]).toEqual([{ step: "0", loss: "0.5" }, { step: "1", loss: "0.25" }, 2]);
    const quoted = await parsePlotData("a.csv", Buffer.from('name,v\n"a, b",1\n"say ""hi""",2\n'));
    expect([quoted.table.row(0), quoted.table.row(1)]).toEqual([
      { name: "a, b", v: "1" },
      { name: 'say "hi"', v: "2" },
    ]);
    const tsv = await parsePlotData("a.tsv", Buffer.from("\ufeffstep\tacc\n3\t0.9\n"));
    expect(tsv.table.row(0)).toEqual({ step: "3", acc: "0.9" });
  });

  it("fills short rows with null, like csv.DictReader", async () => {
    const s = await parsePlotData("a.csv", Buffer.from("a,b\n1\n"));
    expect(s.table.row(0)).toEqual({ a: "1", b: null });
  });

  it("names columns 0, 1, ... without a header", async () => {
    const s = await parsePlotData("a.csv", Buffer.from("1,2\n3,4\n"), false);
    expect([s.table.keys, s.table.row(1)]).toEqual([["0", "1"], { "0": "3", "1": "4" }]);
  });

  it("stops at the row limit while streaming", async () => {
    const body = Buffer.from("a\n" + "1\n".repeat(11));
    await expect(parseDelimited(body, { delimiter: ",", header: true, maxRows: 10 })).rejects.toThrow("more than 10 rows");
    const quoted = Buffer.from('a\n"1"\n'.repeat(1) + '"2"\n'.repeat(11));
    await expect(parseDelimited(quoted, { delimiter: ",", header: true, maxRows: 10 })).rejects.toThrow("more than 10 rows");
  });

  it("splits lines across chunk boundaries", async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i},${"x".repeat(i % 7)}`);
    const s = await parsePlotData("a.csv", Buffer.from(`i,s\n${rows.join("\n")}`));
    expect(s.table.length).toBe(20_000);
    expect(s.table.row(19_999)).toEqual({ i: "19999", s: "x".repeat(19_999 % 7) });
  });

  it("reads JSON (a list, or an object holding one) and YAML", async () => {
    expect((await parsePlotData("a.json", Buffer.from('[{"x": 1, "y": 2.5}]'))).table.row(0)).toEqual({ x: 1, y: 2.5 });
    expect((await parsePlotData("a.json", Buffer.from('{"train": [{"x": 1}]}'))).table.row(0)).toEqual({ x: 1 });
    expect((await parsePlotData("a.yaml", Buffer.from("- {x: 1, y: b}\n"))).table.row(0)).toEqual({ x: 1, y: "b" });
  });

  it("reports unsupported types, bad files and skips missing ones per revision", async () => {
    const tree = memTree("main", { "a.txt": "x", "b.json": "{bad", "c.csv": "v\n1\n" });
    const { sources, errors } = await readSources(tree, ["a.txt", "b.json", "c.csv", "gone.csv"], true);
    expect([...sources.keys()]).toEqual(["c.csv"]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBe("a.txt: file type error: only JSON, YAML, CSV and TSV formats are supported");
    expect(errors[1]).toMatch(/^b\.json: /);
  });
});

describe("numbers read straight from CSV text", () => {
  it("give exactly what Number() gives, for plain decimals and everything else", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const cells = ["0", "-0", "+3", "1e5", "1E-7", " 4 ", "0x10", "", "nan", "inf", "1.", ".5", "-.25", "1.2.3", "12345678901234567890", "0.1234567890123456789"];
    for (let i = 0; i < 3000; i++) {
      const digits = 1 + Math.floor(rnd() * 17);
      const s = Array.from({ length: digits }, () => Math.floor(rnd() * 10)).join("");
      const dot = Math.floor(rnd() * (digits + 1));
      cells.push(`${rnd() < 0.3 ? "-" : ""}${s.slice(0, dot)}.${s.slice(dot)}`);
    }
    const text = "v\n" + cells.join("\n") + "\n";
    return parseDelimited(Buffer.from(text), { delimiter: ",", header: true, maxRows: 1e6 }).then((t) => {
      const got = t.numbers("v");
      // Blank lines are skipped as csv.DictReader does, so the empty cell is not a row.
      const rows = cells.filter((c) => c !== "");
      expect(got.length).toBe(rows.length);
      rows.forEach((c, i) => expect(Object.is(got[i], Number(c)) || (Number.isNaN(got[i]!) && Number.isNaN(Number(c)))).toBe(true));
    });
  });

  it("reads the right column of short and wide rows", async () => {
    const t = await parseDelimited(Buffer.from("a\tb\tc\n1\t2\t3\n4\n5\t6\t7\t8\n"), { delimiter: "\t", header: true, maxRows: 10 });
    expect([...t.numbers("c")]).toEqual([3, NaN, 7]);
    expect([...t.numbers("a")]).toEqual([1, 4, 5]);
    expect(t.row(1)).toEqual({ a: "4", b: null, c: null });
  });
});
