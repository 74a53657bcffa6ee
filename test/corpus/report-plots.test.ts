// Hostile Vega-Lite templates and CSV bombs through the report pipeline (runReport), all plots of one
// report at once: each bad plot is one line in place of its image, the others and the metrics still render.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../src/report/index.js";
import type { FileTree } from "../../src/revisions/types.js";
import { buildReview, type BuildReviewOptions } from "../../src/review/build.js";

/** Two trees already open, as the CLI's report builds them. */
const runReport = (base: FileTree, head: FileTree, o: Omit<BuildReviewOptions, "base" | "head">) => buildReview({ base, head, ...o });
import { memTree } from "../plots/helpers.js";
import { title } from "./cases.js";
import { corpusFile, timed } from "./helpers.js";

const requests: string[] = [];
let server: Server;
let canary: string;

const GOOD_CSV = "step,loss\n0,1\n1,0.5\n2,0.25\n";
type Expect = { error: RegExp } | { png: true; note?: RegExp } | { either: RegExp };

/** id → [template or data file, its content, what the report must show]. */
const PLOTS: { id: string; template?: string; data?: string; content: () => string | Buffer; expect: Expect }[] = [
  { id: "V01", template: "url-data.json", content: () => tpl("url-data.json"), expect: { error: /^Template 't\/V01\.json' refers to a URL at layer\\\[1\\\]\.data\.url: external data is not allowed$/ } },
  { id: "V02", template: "file-url.json", content: () => tpl("file-url.json"), expect: { error: /refers to a URL at layer\\\[1\\\]\.data\.url: external data is not allowed$/ } },
  { id: "V03", template: "huge-sequence.json", content: () => tpl("huge-sequence.json"), expect: { error: /generates a sequence at layer\\\[1\\\]\.data\.sequence over the 1000000 row limit$/ } },
  { id: "V04", template: "signal-expression.json", content: () => tpl("signal-expression.json"), expect: { either: /./ } },
  { id: "V05", template: "image-href.json", content: () => tpl("image-href.json"), expect: { error: /external data is not allowed/ } },
  { id: "V06", template: "schema-elsewhere.json", content: () => tpl("schema-elsewhere.json"), expect: { png: true } },
  {
    id: "V07",
    template: "ten-mb.json",
    content: () => JSON.stringify({ description: "x".repeat(10 * 1024 * 1024), ...(JSON.parse(corpusFile("templates/schema-elsewhere.json").toString()) as object), $schema: undefined }),
    expect: { either: /./ },
  },
  { id: "V08", template: "not-json.json", content: () => tpl("not-json.json"), expect: { error: /^Template 't\/V08\.json' is not valid JSON: / } },
  { id: "V09", template: "no-anchor.json", content: () => tpl("no-anchor.json"), expect: { error: /^Template 't\/V09\.json' is not using '&lt;DVC\\_METRIC\\_DATA&gt;' anchor$/ } },
  { id: "V10", template: "../../../../etc/passwd", content: () => "", expect: { error: /^Template '\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd' not found\.$/ } },
  { id: "V11", template: "proto-keys.json", content: () => tpl("proto-keys.json"), expect: { png: true } },
  { id: "S01", data: "wide.csv", content: () => `${Array.from({ length: 200_000 }, (_, i) => `c${i}`).join(",")}\n${"1,".repeat(199_999)}1\n${"2,".repeat(199_999)}2\n`, expect: { png: true } },
  { id: "S02", data: "long.csv", content: () => `step,loss\n${"1,2\n".repeat(5_000_001)}`, expect: { either: /more than 5,000,000 rows, over the limit/ } },
  { id: "S03", data: "quote.csv", content: () => `step,loss\n0,"${"x".repeat(8 * 1024 * 1024)}\n`, expect: { either: /invalid CSV: Quote Not Closed/ } },
  { id: "S04", data: "quotes.csv", content: () => `step,loss\n${'"""","""""""\n'.repeat(200_000)}`, expect: { either: /./ } },
  { id: "S05", data: "ragged.csv", content: () => `step,loss\n${Array.from({ length: 1000 }, (_, i) => `${i},${"1,".repeat(i % 50)}1`).join("\n")}\n`, expect: { png: true } },
  { id: "S06", data: "binary.csv", content: () => Buffer.concat([Buffer.from("step,loss\n"), Buffer.from([0, 0xff, 0xfe, 0x2c, 0x0a, 0x89, 0x50, 0x4e, 0x47])]), expect: { either: /./ } },
];

function tpl(name: string): string {
  return corpusFile(`templates/${name}`).toString().replaceAll("CANARY", canary);
}

const config = () =>
  `metrics: [metrics.json]\nplots:\n${PLOTS.map((p) => `  - id: ${p.id}\n    file: ${p.data ? `data/${p.data}` : "d.csv"}\n${p.template ? `    template: ${JSON.stringify(p.template.startsWith("..") ? p.template : `t/${p.id}.json`)}\n` : ""}`).join("")}`;

describe("hostile templates and CSV: one line per bad plot, the rest of the report renders", () => {
  let report: Report;
  let ms: number;
  beforeAll(async () => {
    server = createServer((req, res) => (requests.push(req.url ?? ""), res.end("[]")));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    canary = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const files = (acc: number, extra: Record<string, string | Buffer>) => ({ "metrics.json": `{"acc": ${acc}}`, ".mlreview.yml": config(), "d.csv": GOOD_CSV, ...extra });
    const head: Record<string, string | Buffer> = {};
    for (const p of PLOTS) {
      if (p.template && !p.template.startsWith("..")) head[`t/${p.id}.json`] = p.content();
      if (p.data) head[`data/${p.data}`] = p.content();
    }
    ({ value: report, ms } = await timed(() => runReport(memTree("main", files(0.5, {})), memTree("workspace", files(0.75, head)), { publish: async (name) => `./${name}` })));
  }, 120_000);

  afterAll(async () => {
    await new Promise((ok) => server.close(ok));
  });

  it("bounded time; the metrics are reported; no request reached the canary server", () => {
    expect(ms).toBeLessThan(60_000);
    expect(report.markdown).toContain("| metrics.json | acc | 0.5 | 0.75 | ▲ +0.25 | +50.0% |");
    expect(requests).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  for (const p of PLOTS) {
    it(title(p.id), () => {
      const image = new RegExp(`^!\\[${p.id}\\]\\(\\./${p.id}\\.png\\)(\\n<sub>(.*)</sub>)?`, "m").exec(report.markdown);
      const warning = new RegExp(`^⚠️ ${p.id}: (.*)$`, "m").exec(report.markdown);
      expect(Boolean(image) !== Boolean(warning), `exactly one of image or warning for ${p.id}`).toBe(true);
      const line = warning?.[1] ?? image?.[3] ?? "";
      if ("error" in p.expect) expect(line).toMatch(p.expect.error);
      else if ("png" in p.expect) expect(image, line).not.toBeNull();
      else expect(line === "" ? "rendered" : line).toMatch(p.expect.either);
      expect(line.length).toBeLessThan(1000);
    });
  }
});
