// The report's own attacks (issue 10, area "report"): what GitHub's renderer makes of repository text in
// the comment and the check run, what a huge report does to the comment's budget, and what many or slow
// plots do to the render time of one report and of the others.
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app/index.js";
import type { FileTree } from "../../src/revisions/types.js";
import { buildReview, type BuildReviewOptions } from "../../src/review/build.js";

/** Two trees already open, as the CLI's report builds them. */
const runReport = (base: FileTree, head: FileTree, o: Omit<BuildReviewOptions, "base" | "head">) => buildReview({ base, head, ...o });
import { setTelemetrySink } from "../../src/telemetry.js";
import { forgeChange, recordUnexpectedRequests } from "../helpers/forge.js";
import { gitHttpServer, type GitHttpServer } from "../helpers/git-http.js";
import { renderGfm, tagsOf, textOf } from "../helpers/gfm.js";
import { mlreview, mlreviewBinary } from "../helpers/cli.js";
import { git, makeRepo, tempDir, writeFiles } from "../helpers/git-repo.js";
import { example } from "../forges/github/helpers.js";
import { memTree } from "../plots/helpers.js";
import { title } from "./cases.js";
import { mlreviewBig } from "./helpers.js";
import { testPrivateKey } from "../helpers/keys.js";

const MAX = 65_536;
const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000" + "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4f00000000049454e44ae426082", "hex");

/** What GitHub turns into a notification or a link in text, once the Markdown is rendered. */
const MENTION = /(?<![\w`])@[a-z0-9][a-z0-9-]*/i;
const ISSUE_REF = /(?<!\w)#\d+|\bGH-\d+|[\w.-]+\/[\w.-]+#\d+/i;
/** Invisible and direction-changing characters (U+200D is checked apart: the report adds its own). */
const INVISIBLE = /[\u200b\u200c\u200e\u200f\u2060-\u2064\u202a-\u202e\u2066-\u2069\ufeff\u061c\u180e\u00ad]/;
/** The only zero-width joiners allowed: the report's own, right after a trigger it breaks. */
const OWN_JOINER = /(?<=[@#!$%~:;]|gh-|www)\u200d/gi;
/** Tags our Markdown produces (the template's raw <details>, <summary>, <sub>, and GFM's own). */
const OUR_TAGS = new Set(["h3", "h4", "p", "strong", "em", "table", "thead", "tbody", "tr", "th", "td", "img", "details", "summary", "sub", "ul", "li", "br"]);

describe("mentions, references, autolinks and invisible characters, rendered as GitHub renders them", () => {
  const BRANCH = "fix-#12-@acme-www.evil.example";
  const keys = {
    mentions: ["@acme/admins", "&#64;octocat", "\\@hubot", "&commat;monalisa", "@\u200bghost"],
    refs: ["#123", "GH-123", "gh-7", "owner/repo#1", "&#35;42", "\\#99", "see #\u200b5"],
    links: ["www.evil.example", "WWW.evil.example/x", "http://evil.example", "https://evil.example/p", "ftp://evil.example", "evil@example.com", "mailto:evil@example.com", "<https://evil.example>", "ww\u200bw.evil.example"],
    invisible: ["a\u200bb", "\u200dadmin", "c\u2060d", "\ufeffbom", "e\u061cf", "g\u180eh", "i\u200ej", "k\u2064l", "m\u202en", "o\u2066p\u2069"],
  };
  const all = Object.values(keys).flat();
  const metrics = (n: number) => JSON.stringify(Object.fromEntries(all.map((k) => [k, n])));
  let markdown: string;
  let html: string;
  let text: string;
  beforeAll(async () => {
    const dir = makeRepo({ commits: [{ "metrics.json": metrics(1) }] });
    git(dir, "checkout", "-q", "-b", BRANCH);
    writeFiles(dir, { "metrics.json": metrics(2) });
    git(dir, "commit", "-qam", "head");
    const r = await mlreview(["report", "--base", "main", "--head", BRANCH], { cwd: dir });
    expect(r.stderr).toBe("");
    markdown = r.stdout;
    html = renderGfm(markdown);
    text = textOf(html);
  });

  it(title("B01"), () => {
    expect(text).not.toMatch(MENTION);
    expect(text).not.toMatch(ISSUE_REF);
    // Nothing was dropped to get there: each name reads as it was, but for the joiners.
    const visible = text.replaceAll("\u200d", "");
    for (const k of ["@acme/admins", "&#64;octocat", "@hubot", "&commat;monalisa", "GH-123", "owner/repo#1", "&#35;42", "#99"]) expect(visible).toContain(k);
    expect(visible).toContain(`ML results: ${BRANCH} vs main`);
  });

  it(title("B02"), () => {
    expect(tagsOf(html).filter((t) => /^a\b/.test(t))).toEqual([]);
    expect(html).not.toMatch(/href=/i);
    for (const k of ["www.evil.example", "http://evil.example", "evil@example.com"]) expect(text.replaceAll("\u200d", "")).toContain(k);
  });

  it(title("B03"), () => {
    expect(markdown).not.toMatch(INVISIBLE);
    expect(markdown.replace(OWN_JOINER, "")).not.toContain("\u200d");
    for (const t of tagsOf(html)) expect(OUR_TAGS.has(t.split(/\s/)[0]!), t).toBe(true);
  });
});

describe("the check run on GitHub is as inert as the comment", () => {
  const unexpected = recordUnexpectedRequests();
  // GitHub's API (nock) and its git over HTTP on one loopback origin: the token goes only to the configured host.
  let forge: GitHttpServer;
  beforeAll(async () => void (forge = await gitHttpServer()));
  afterAll(() => forge.close());
  const api = () => `${forge.origin}/api/v3`;
  const SECRET = "webhook-secret";
  const privateKey = testPrivateKey("pkcs8");

  it(
    title("B04"),
    async () => {
      const evil = "![x](https://evil/p.png) <img src=x> [link](https://evil) @acme/admins www.evil.example #7";
      const cfg = ".mlreview.yml";
      const thresholds = "metrics: [metrics.json]\nthresholds:\n  - metric: acc\n    max_drop: 0.01\n";
      const { bare, base, head } = forgeChange({
        base: { [cfg]: thresholds, "metrics.json": JSON.stringify({ [evil]: { acc: 0.9 } }) },
        head: { [cfg]: thresholds, "metrics.json": JSON.stringify({ [evil]: { acc: 0.5 } }) },
        message: "worse",
      });
      const p = example<{
        installation?: { id: number };
        repository: { full_name: string; clone_url: string };
        pull_request: { number: number; head: { sha: string; ref: string }; base: { sha: string; ref: string } };
      }>("pull_request", "opened");
      p.installation ??= { id: 1 };
      p.repository.clone_url = forge.serve("acme/b04.git", bare);
      Object.assign(p.pull_request.head, { sha: head, ref: "feature" });
      Object.assign(p.pull_request.base, { sha: base, ref: "main" });
      const repo = `/repos/${p.repository.full_name}`;
      const checks: { conclusion: string; output: { title: string; summary: string } }[] = [];
      const scope = nock(api())
        .post(`/app/installations/${p.installation.id}/access_tokens`)
        .reply(201, { token: "ghs_installationtoken123", expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {} })
        .get(`${repo}/compare/${base}...${head}`)
        .query({ per_page: 1 })
        .reply(200, { merge_base_commit: { sha: base } })
        .get(`${repo}/issues/${p.pull_request.number}/comments`)
        .query({ per_page: 100 })
        .reply(200, [])
        .post(`${repo}/issues/${p.pull_request.number}/comments`)
        .reply(201, { id: 9 })
        .post(`${repo}/check-runs`, (b: (typeof checks)[number]) => (checks.push(b), true))
        .reply(201, { id: 1 });
      const mlreviewApp = createApp({ appId: 123, publicUrl: undefined, dataDir: tempDir(), imageKey: "k" });
      const probot = new Probot({ baseUrl: api(), appId: 123, privateKey, secret: SECRET, logLevel: "fatal", Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
      await probot.load(mlreviewApp.app, { cwd: process.cwd(), addHandler: () => {} });
      await probot.receive({ id: "b04", name: "pull_request", payload: p as never });
      await mlreviewApp.idle();
      expect(unexpected).toEqual([]);
      expect(scope.pendingMocks()).toEqual([]);
      expect(checks).toHaveLength(1);
      const { conclusion, output } = checks[0]!;
      expect(conclusion).toBe("failure");
      for (const field of [output.title, output.summary]) {
        const html = renderGfm(field);
        const tags = tagsOf(html).map((t) => t.split(/\s/)[0]!);
        expect(
          tags.filter((t) => !["p", "strong", "em", "ul", "li"].includes(t)),
          field,
        ).toEqual([]);
        expect(textOf(html)).not.toMatch(MENTION);
        expect(textOf(html)).not.toMatch(ISSUE_REF);
      }
      // The reason is there, readable.
      expect(textOf(renderGfm(output.summary)).replaceAll("\u200d", "")).toContain(`${evil}.acc (metrics.json) dropped by 0.4 (max_drop 0.01)`);
    },
    60_000,
  );
});

describe("a report of thousands of plots, images and crossed thresholds", () => {
  it(
    title("B05"),
    async () => {
      const N = 2_000;
      const groups = (acc: number) => JSON.stringify(Object.fromEntries(Array.from({ length: N }, (_, i) => [`g${i}`, { acc }])));
      const images = Array.from({ length: N }, (_, i) => `img/i${i}.png`);
      const cfg = ["metrics: [metrics.json]", `images: ${JSON.stringify(images)}`, "plots:", ...Array.from({ length: N }, (_, i) => `  - {id: p${i}, file: loss.csv, y: loss}`), "thresholds:", "  - {metric: acc, max_drop: 0.01}", ""].join(
        "\n",
      );
      const files = (acc: number, loss: string) => ({ ".mlreview.yml": cfg, "metrics.json": groups(acc), "loss.csv": `step,loss\n0,1\n1,${loss}\n`, ...Object.fromEntries(images.map((p) => [p, PNG])) });
      const dir = makeRepo({ commits: [files(0.9, "0.5")] });
      git(dir, "checkout", "-q", "-b", "feature");
      writeFiles(dir, files(0.5, "0.4"));
      git(dir, "commit", "-qam", "head");
      const out = join(tempDir(), "out");
      const r = await mlreviewBig(["report", "--base", "main", "--head", "feature", "--out", out], { cwd: dir });
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const md = readFileSync(join(out, "report.md"), "utf8");
      expect(md.length).toBeLessThanOrEqual(MAX);
      for (const what of ["images", "plots", "crossed thresholds", "changed metrics"]) expect(md).toMatch(new RegExp(`_\\d+ more ${what} not shown: a comment is limited to 65,536 characters`));
      expect(md).toContain("**Thresholds crossed**");
      expect(md).toMatch(/^- ❌ g\d+\.acc \(metrics\.json\) dropped by 0\.4 \(max\\_drop 0\.01\)$/m);
      expect(md.trimEnd().endsWith("</sub>")).toBe(true);
      // Only what is shown was published: every file written beside report.md is linked from it.
      const written = readdirSync(out).filter((f) => f !== "report.md");
      expect(written.length).toBeGreaterThan(0);
      expect(written.filter((f) => !md.includes(`](./${f})`))).toEqual([]);
    },
    120_000,
  );
});

/** A template that draws `points` extra points: slow to render on purpose (3,000 points: most of a second). */
const slowTemplate = (points: number) =>
  JSON.stringify({
    data: { values: "<DVC_METRIC_DATA>" },
    layer: [
      { mark: "line", encoding: { x: { field: "<DVC_METRIC_X>", type: "quantitative" }, y: { field: "<DVC_METRIC_Y>", type: "quantitative" } } },
      { data: { sequence: { start: 0, stop: points, as: "v" } }, transform: [{ calculate: "sin(datum.v)", as: "s" }], mark: "point", encoding: { x: { field: "v", type: "quantitative" }, y: { field: "s", type: "quantitative" } } },
    ],
  });

/** Both revisions of a project with `n` plots of loss.csv (`template` for each, if given). */
function plotTrees(n: number, opts: { template?: string; prefix?: string } = {}) {
  const pre = opts.prefix ?? "p";
  const cfg = `plots:\n${Array.from({ length: n }, (_, i) => `  - {id: ${pre}${i}, file: loss.csv, y: loss${opts.template ? ", template: t/slow.json" : ""}}`).join("\n")}\n`;
  const files = (loss: number) => ({ ".mlreview.yml": cfg, "loss.csv": `step,loss\n0,1\n1,${loss}\n`, ...(opts.template ? { "t/slow.json": opts.template } : {}) });
  return [memTree("main", files(0.5)), memTree("workspace", files(0.4))] as const;
}
const publish = async (name: string) => `./${name}`;

describe("many and slow plots: a cap per report, a render budget per report, turns between reports", () => {
  afterAll(async () => {
    setTelemetrySink({});
  });

  it(
    title("B06"),
    async () => {
      const report = await runReport(...plotTrees(25), { publish });
      expect(report.markdown.match(/^!\[p\d+\]\(\.\/p\d+\.png\)$/gm)).toHaveLength(20);
      const listed = report.markdown.match(/^⚠️ p\d+: not drawn: over the cap of 20 plots per report$/gm);
      expect(listed).toEqual(["p20", "p21", "p22", "p23", "p24"].map((p) => `⚠️ ${p}: not drawn: over the cap of 20 plots per report`));
    },
    120_000,
  );

  it(
    title("B07"),
    async () => {
      const started = performance.now();
      const report = await runReport(...plotTrees(8, { template: slowTemplate(3_000) }), { publish, renderBudgetMs: 1_500 });
      // A guard against a hang, not a measurement: eight slow plots in a row would take far longer.
      expect(performance.now() - started).toBeLessThan(20_000);
      const listed = report.markdown.match(/^⚠️ p\d+: not drawn: the report's render budget of 1\.5 s was used up$/gm) ?? [];
      const drawn = report.markdown.match(/^!\[p\d+\]\(\.\/p\d+\.png\)$/gm) ?? [];
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.length + drawn.length).toBe(8);
    },
    120_000,
  );

  it(
    title("B08"),
    async () => {
      const events: string[] = [];
      let firstRender!: () => void;
      const rendering = new Promise<void>((ok) => (firstRender = ok));
      setTelemetrySink({ renderSeconds: () => (events.push("render"), firstRender()) });
      const big = runReport(...plotTrees(8, { template: slowTemplate(3_000) }), { publish });
      // The other repository's report arrives while the big one is rendering, all of its plots queued.
      await rendering;
      const startedAt = events.length;
      const small = await runReport(...plotTrees(1, { prefix: "s" }), { publish });
      const doneAt = events.length;
      const bigReport = await big;
      expect(small.markdown).toMatch(/^!\[s0\]\(\.\/s0\.png\)$/m);
      expect(bigReport.markdown.match(/^!\[p\d+\]\(\.\/p\d+\.png\)$/gm)).toHaveLength(8);
      // Renders that ended while the small report waited: its own, and at most two of the big one's
      // (those already running when it came); first come first served made it wait for all seven.
      expect(doneAt - startedAt).toBeLessThanOrEqual(3);
      expect(events).toHaveLength(9);
    },
    120_000,
  );
});

describe("the fontconfig file", () => {
  it(
    title("B09"),
    async () => {
      // A private TMPDIR stands for /tmp: the old path is predictable there in the same way.
      const tmp = tempDir();
      const planted = tempDir();
      writeFileSync(join(planted, "canary"), "mine");
      symlinkSync(planted, join(tmp, `mlreview-fontconfig-${userInfo().uid}`));
      const dir = makeRepo({ commits: [{ "dvc.yaml": "plots:\n  - loss.csv:\n      y: loss\n", "loss.csv": "step,loss\n0,1\n1,0.5\n" }] });
      writeFiles(dir, { "loss.csv": "step,loss\n0,0.9\n1,0.4\n" });
      const out = join(tempDir(), "out");
      mkdirSync(out);
      // End to end: the private directory lives as long as the process, so this needs a process of its own.
      const r = mlreviewBinary(["report", "--out", out], { cwd: dir, env: { TMPDIR: tmp } });
      expect(r.stderr).toBe("");
      expect(readFileSync(join(out, "report.md"), "utf8")).toMatch(/^!\[loss\.csv\]\(\.\/loss\.csv\.png\)$/m);
      expect(readdirSync(planted)).toEqual(["canary"]);
      expect(readFileSync(join(planted, "canary"), "utf8")).toBe("mine");
      // The private directory went with the process; only the planted link is left.
      expect(readdirSync(tmp)).toEqual([`mlreview-fontconfig-${userInfo().uid}`]);
      expect(lstatSync(join(tmp, `mlreview-fontconfig-${userInfo().uid}`)).isSymbolicLink()).toBe(true);
    },
    60_000,
  );
});
