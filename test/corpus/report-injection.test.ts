// Markdown/HTML injection from a repository into the report, through `mlreview report --out` on a real
// repository whose head branch name is hostile too: one run, one assertion per case.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MARKER } from "../../src/report/index.js";
import { mlreview } from "../helpers/cli.js";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/git-repo.js";
import { title } from "./cases.js";

const BRANCH = "feat<script>alert(1)</script>";
const HTML_PATH = "m<b>x</b>.json";
const keys = {
  I01: "<script>alert(1)</script>",
  I03: "@acme/admins",
  I04: "[x](javascript:alert(1))",
  I05: "a|b|c",
  I06: "end --> <img src=x>",
  I07: MARKER,
  I11: "nul\u0000esc\u001b[2Jrtl\u202egnp.exe",
};
const metrics = (n: number) => JSON.stringify({ ...Object.fromEntries(Object.values(keys).map((k) => [k, n])), I02: n === 1 ? "ok" : "<img src=x onerror=alert(1)>" });
const PLOT_TITLE = 'Loss](javascript:alert(1)) <img src=x onerror="alert(1)">';
const IMAGE_PATH = "img/[evil](https:/x.example) <b>.png";
const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000" + "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4f00000000049454e44ae426082", "hex");

describe("injection from keys, values, paths, branch names and titles is inert", () => {
  let md: string;
  beforeAll(async () => {
    const cfg = `metrics: [metrics.json, ${JSON.stringify(HTML_PATH)}]\nimages: [${JSON.stringify(IMAGE_PATH)}]\nplots:\n  - id: loss\n    file: loss.csv\n    title: ${JSON.stringify(PLOT_TITLE)}\n`;
    const base = { ".mlreview.yml": cfg, "metrics.json": metrics(1), [HTML_PATH]: '{"acc": 1}', "params.yaml": "note: plain\n", "loss.csv": "step,loss\n0,1\n1,0.5\n", [IMAGE_PATH]: PNG };
    const dir = makeRepo({ commits: [base] });
    git(dir, "checkout", "-q", "-b", BRANCH);
    writeFiles(dir, { "metrics.json": metrics(2), [HTML_PATH]: '{"acc": 2}', "params.yaml": 'note: "line one\\n# heading </details><script>x</script>"\n', "loss.csv": "step,loss\n0,0.9\n1,0.4\n" });
    git(dir, "commit", "-qam", "head");
    const out = join(tempDir(), "out");
    const r = await mlreview(["report", "--base", "main", "--head", BRANCH, "--out", out], { cwd: dir });
    expect(r.stderr).toBe("");
    md = readFileSync(join(out, "report.md"), "utf8");
  });

  it("no raw HTML, no links but our own images, no mentions; every table row keeps its cells", () => {
    expect(md).not.toMatch(/<(?!!-- mlreview:report -->|details>|summary>|\/details>|\/summary>|sub>|\/sub>)[a-z/!]/i);
    expect(md.match(/(?<!\\)\]\(/g)?.length).toBe(md.match(/!\[[^\]]*\]\(\.\/[^)\s]+\.png\)/g)?.length);
    expect(md).not.toMatch(/@acme/);
    for (const line of md.split("\n").filter((l) => l.startsWith("| metrics.json") || l.startsWith("| m&lt;"))) expect(line.split(" | ")).toHaveLength(6);
    expect(md).toContain("| metrics.json | acc |".replace("metrics.json", "m&lt;b&gt;x&lt;/b&gt;.json"));
  });

  it(title("I01"), () => expect(md).toContain("&lt;script&gt;alert(1)&lt;/script&gt;"));
  it(title("I02"), () => expect(md).toContain("&lt;img src=x onerror=alert(1)&gt;"));
  // Was `&#64;`, which GitHub decodes before it finds mentions: a zero-width joiner after `@` stops it.
  it(title("I03"), () => expect(md).toContain("@\u200Dacme/admins"));
  it(title("I04"), () => expect(md).toContain("\\[x\\](javascript:alert(1))"));
  it(title("I05"), () => expect(md).toContain("| a&#124;b&#124;c |"));
  it(title("I06"), () => expect(md).toContain("end --&gt; &lt;img src=x&gt;"));
  it(title("I07"), () => {
    expect(md.split(MARKER)).toHaveLength(2);
    expect(md.startsWith(`${MARKER}\n`)).toBe(true);
    expect(md).toContain("| &lt;\\!-- mlreview:report --&gt; |");
  });
  it(title("I08"), () => expect(md).toMatch(/^\| m&lt;b&gt;x&lt;\/b&gt;\.json \| acc \| 1 \| 2 \|/m));
  it(title("I09"), () => {
    expect(md).toContain("### ML results: feat&lt;script&gt;alert(1)&lt;/script&gt; vs main");
    expect(md).toMatch(/^\| File \| Metric \| main \| feat&lt;script&gt;alert\(1\)&lt;\/script&gt; \|/m);
  });
  it(title("I10"), () => expect(md).toMatch(/^!\[Loss\(javascript:alert\(1\)\) img src=x onerror=alert\(1\)\]\(\.\/loss\.png\)$/m));
  it(title("I11"), () => {
    expect(md).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202a-\u202e]/);
    expect(md).toContain("nul\uFFFDesc\uFFFD\\[2Jrtl\uFFFDgnp.exe");
  });
  it(title("I12"), () => expect(md).toMatch(/^\| params\.yaml \| note \| plain \| line one \\# heading &lt;\/details&gt;&lt;script&gt;x&lt;\/script&gt; \|$/m));
  it(title("I13"), () => expect(md).toMatch(/^\| img\/\\\[evil\\\]\(https:\/x\.example\) &lt;b&gt;\.png \| !\[main\]\(\.\/[^)]+\.png\) \| /m));
});
