// Parser bombs, huge/deep files and bad encodings, each declared next to a good metrics file, all in
// one repository and one `mlreview metrics diff` run (the CLI as a user runs it, on a real git repo).
import { beforeAll, describe, expect, it } from "vitest";
import type { CliResult } from "../helpers/cli.js";
import { makeRepo } from "../helpers/git-repo.js";
import { title } from "./cases.js";
import { corpusFile, linesFor, mlreviewBig, timed } from "./helpers.js";

interface FileCase {
  id: string;
  file: string;
  content: () => string | Buffer;
  /** The one stderr line (after "mlreview: workspace: <file>: "), or null when the file must read fine. */
  line: RegExp | null;
  /** A row of the --md table that must be there. */
  row?: RegExp;
}

const deepYamlFlow = () => `a: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`;
const CASES: FileCase[] = [
  { id: "P01", file: "p01.yaml", content: () => corpusFile("parsers/yaml-billion-laughs.yaml"), line: /^invalid YAML: more than 100 alias expansions \(alias bomb\?\)$/ },
  { id: "P02", file: "p02.yaml", content: () => corpusFile("parsers/yaml-merge-bomb.yaml"), line: /^invalid YAML: more than 100 alias expansions/ },
  { id: "P03", file: "p03.yaml", content: () => corpusFile("parsers/yaml-map-bomb.yaml"), line: /^invalid YAML: more than 100 alias expansions/ },
  { id: "P04", file: "p04.yaml", content: () => corpusFile("parsers/yaml-key-bomb.yaml"), line: /^invalid YAML: more than 100 alias expansions/ },
  { id: "P05", file: "p05.yaml", content: () => `a: &a 1\n${Array.from({ length: 20_000 }, (_, i) => `k${i}: *a`).join("\n")}\n`, line: /^invalid YAML: more than 100 alias expansions/ },
  { id: "P06", file: "p06.yaml", content: () => Array.from({ length: 100_000 }, (_, i) => `k${i}: ${i}`).join("\n"), line: null, row: /^\| p06\.yaml +\| k99999 +\| - +\| 99999 +\| - +\|$/m },
  { id: "P07", file: "p07.json", content: () => `{${Array.from({ length: 100_000 }, (_, i) => `"j${i}": ${i}`).join(",")}}`, line: null, row: /^\| p07\.json +\| j99999 +\| - +\| 99999 +\| - +\|$/m },
  { id: "P08", file: "p08.json", content: () => `{"acc": ${"9".repeat(100_000)}}`, line: null, row: /^\| p08\.json +\| acc +\| 1 +\| 9{100000} +\| 9{99999}8 +\|$/m },
  { id: "P09", file: "p09.json", content: () => corpusFile("parsers/json-1e999.json"), line: null, row: /^\| p09\.json +\| acc +\| 1 +\| inf +\| inf +\|$/m },
  { id: "P10", file: "p10.yaml", content: () => `acc: 1${"0".repeat(1000)}\n`, line: null, row: /^\| p10\.yaml +\| acc +\| 1 +\| 10{1000} +\| 9{1000} +\|$/m },
  { id: "P11", file: "p11.json", content: () => `{"acc": 2, "blob": "${"x".repeat(1024 * 1024)}"}`, line: null, row: /^\| p11\.json +\| acc +\| 1 +\| 2 +\| 1 +\|$/m },
  { id: "P12", file: "p12.yaml", content: () => corpusFile("parsers/yaml-duplicate-keys.yaml"), line: /^invalid YAML at line 2 column 1: Map keys must be unique$/ },
  { id: "P13", file: "p13.yaml", content: () => corpusFile("parsers/yaml-two-documents.yaml"), line: /^invalid YAML at line 2 column 1: .*multiple documents/ },
  { id: "P14", file: "p14.yaml", content: () => corpusFile("parsers/yaml-python-tag.yaml"), line: null, row: /^\| p14\.yaml +\| loss +\| - +\| 0\.25 +\| - +\|$/m },
  { id: "P15", file: "p15.json", content: () => corpusFile("parsers/json-proto-keys.json"), line: null, row: /^\| p15\.json +\| __proto__\.polluted +\| - +\| 1 +\| - +\|$/m },
  { id: "H01", file: "h01.json", content: () => `{"acc": 2, "pad": "${" ".repeat(9 * 1024 * 1024)}"}`, line: /^file is 9 MB, over the 8 MB limit$/ },
  { id: "H02", file: "h02.json", content: () => "[".repeat(100_000) + "]".repeat(100_000), line: /^invalid JSON at line 1 column 513: nesting deeper than 512 levels$/ },
  { id: "H03", file: "h03.toml", content: () => `a = ${"[".repeat(5000)}${"]".repeat(5000)}\n`, line: /^invalid TOML at line 1 column \d+: document contains excessively nested structures/ },
  { id: "H04", file: "h04.toml", content: () => `a = ${"{b = ".repeat(5000)}1${"}".repeat(5000)}\n`, line: /^invalid TOML at line 1 column \d+: document contains excessively nested structures/ },
  { id: "H05", file: "h05.toml", content: () => `a${".a".repeat(10_000)} = 1\n`, line: /^nesting too deep$/ },
  { id: "H06", file: "h06.yaml", content: deepYamlFlow, line: /^invalid YAML at line 1 column \d+: nesting too deep$/ },
  { id: "E01", file: "e01.json", content: () => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]), line: /^binary data, not a text file$/ },
  { id: "E02", file: "e02.yaml", content: () => Buffer.from("acc: 2\nname: caf\xe9\n", "latin1"), line: /^not valid UTF-8 \(first bad byte at offset 16\)$/ },
  { id: "E03", file: "e03.json", content: () => Buffer.from('\ufeff{"acc": 2}', "utf16le"), line: /^binary data, not a text file$/ },
  { id: "E04", file: "e04.json", content: () => corpusFile("parsers/json-utf8-bom.json"), line: null, row: /^\| e04\.json +\| acc +\| 1 +\| 3 +\| 2 +\|$/m },
  { id: "E05", file: "e05.json", content: () => corpusFile("parsers/json-control-in-string.json"), line: /^invalid JSON at line 1 column 21: control character in a string$/ },
  { id: "E06", file: "e06.yaml", content: () => Buffer.concat([Buffer.from(`acc: 2\npad: "${"x".repeat(9000)}"\n`), Buffer.from([0]), Buffer.from("b: 1\n")]), line: null, row: /^\| e06\.yaml +\| acc +\| 1 +\| 2 +\| 1 +\|$/m },
];

const committed = (file: string) => (file.endsWith(".toml") ? "acc = 1\n" : '{"acc": 1}');
const dvcYaml = `metrics:\n${["good.json", ...CASES.map((c) => c.file)].map((f) => `  - ${f}\n`).join("")}`;

describe("hostile files next to a good one: one line each, the rest of the diff, exit 0", () => {
  let r: CliResult;
  let ms: number;
  beforeAll(async () => {
    const dir = makeRepo({
      commits: [{ "dvc.yaml": dvcYaml, "good.json": '{"acc": 0.5}', ...Object.fromEntries(CASES.map((c) => [c.file, committed(c.file)])) }],
      workspace: { "dvc.yaml": dvcYaml, "good.json": '{"acc": 0.75}', ...Object.fromEntries(CASES.map((c) => [c.file, c.content()])) },
    });
    ({ value: r, ms } = await timed(() => mlreviewBig(["metrics", "diff", "--md"], { cwd: dir, env: { MLREVIEW_MAX_FILE_SIZE: "8MB" } })));
  }, 60_000);

  it("one run, bounded time, exit 0, and the good file still diffs", () => {
    expect(r.code).toBe(0);
    expect(ms).toBeLessThan(30_000);
    expect(r.stdout).toMatch(/^\| good\.json +\| acc +\| 0\.5 +\| 0\.75 +\| 0\.25 +\|$/m);
    // Nothing but the expected lines on stderr: one per bad file, none for the HEAD side.
    expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(CASES.filter((c) => c.line).length);
  });

  for (const c of CASES) {
    it(title(c.id), () => {
      const lines = linesFor(r.stderr, "workspace", c.file);
      if (c.line === null) expect(lines).toEqual([]);
      else {
        expect(lines).toHaveLength(1);
        expect(lines[0]!.slice(`mlreview: workspace: ${c.file}: `.length)).toMatch(c.line);
        // Unreadable on one side only: its committed value is still listed.
        expect(r.stdout).toMatch(new RegExp(`^\\| ${c.file.replace(".", "\\.")} +\\| acc +\\| 1 +\\| - +\\| - +\\|$`, "m"));
      }
      if (c.row) expect(r.stdout).toMatch(c.row);
    });
  }

  it("P15: no prototype was polluted, in the CLI process or here", () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
