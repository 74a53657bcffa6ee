/**
 * Survival on real DVC projects: every project of the real-dvc corpus (shared/corpus/real-dvc, 129 public
 * repositories, 309 revisions; README there) rebuilt as a git repository, one commit per stored revision,
 * and run through the product. What must hold, derived from the corpus's own files:
 * - nothing is an internal error (in-process: no exception but a UsageError; the CLI: no "internal error",
 *   exit 0, or 1 with one line);
 * - every metrics file a revision's dvc.yaml files declare without templating and that the revision holds
 *   (read here with a plain YAML parse, independent of discovery) is in that revision's `metrics show`,
 *   unless DVC 3 itself refuses the revision (a broken dvc.yaml, a stage `live:` key).
 * Remotes named by the projects' .dvc/config are pointed at an empty local folder by a `.dvc/config.local`
 * (read from disk, as DVC does), so a DVC-cached result is an "unavailable" line and nothing leaves the machine.
 * The corpus is 60 MB of third-party files kept outside the repository: MLREVIEW_REAL_DVC_CORPUS names it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { collect, diffRevisions } from "../../src/compare/index.js";
import { UsageError } from "../../src/errors.js";
import { preparePlots } from "../../src/plots/index.js";
import { discoverProject } from "../../src/project/index.js";
import { openRevisionList } from "../../src/revisions/index.js";
import { mlreview } from "../helpers/cli.js";
import { importSnapshots, tempDir } from "../helpers/git-repo.js";

const CORPUS = process.env.MLREVIEW_REAL_DVC_CORPUS ?? "/work/shared/corpus/real-dvc";
/** In-process projects at once: the work is git cat-file and parsing; 2 cores. */
const PROJECT_CONCURRENCY = 4;
/** CLI runs at once (in process, they take turns: mlreview() runs one at a time), and how many projects get the CLI sample. */
const CLI_CONCURRENCY = 2;
const CLI_SAMPLE = 14;
/** Repositories built at once: each is one git fast-import and one read-tree. */
const BUILD_CONCURRENCY = 4;

interface Source {
  repo: string;
  metrics_storage: string;
  features: string[];
  revisions: { sha: string; files: string[] }[];
}

interface Project {
  name: string;
  src: Source;
  dir: string;
}

interface Outcome {
  project: string;
  /** Per revision (index = rev-N): metrics files read with data, and every path shown (data or error). */
  found: { withData: string[]; shown: Set<string>; failed: boolean }[];
  /** Why a revision's project could not be read at all (one line each, as the CLI prints it). */
  failures: string[];
  internal: string[];
  problems: string[];
  plots: { ok: number; error: number };
}

const available = existsSync(join(CORPUS, "INDEX.md"));
const projects: Project[] = [];
const outcomes = new Map<string, Outcome>();
let objectCacheDir = "";

/**
 * One commit per stored revision, oldest (highest N) first, so rev-0 is HEAD; each rev-N is a full snapshot,
 * every stored file committed (upstream committed them even where a later .gitignore matches), the whole
 * history written by one `git fast-import`. Nothing is checked out: every run below names both its
 * revisions, so no work tree is read (only `.dvc/config.local`, written here).
 */
async function rebuild(name: string, src: Source, dir: string, emptyRemote: string): Promise<void> {
  const snapshots = src.revisions.map((r, i) => ({ dir: join(CORPUS, name, `rev-${i}`), message: `rev-${i} ${r.sha}` })).reverse();
  await importSnapshots(dir, snapshots, "main", false);
  const remotes = new Set<string>();
  for (let i = 0; i < src.revisions.length; i++) {
    const cfg = join(CORPUS, name, `rev-${i}`, ".dvc", "config");
    if (!existsSync(cfg)) continue;
    for (const m of readFileSync(cfg, "utf8").matchAll(/^\s*\[\s*'?\s*remote\s*"([^"]*)"\s*'?\s*\]/gim)) remotes.add(m[1]!.toLowerCase());
  }
  if (remotes.size > 0) {
    mkdirSync(join(dir, ".dvc"), { recursive: true });
    writeFileSync(join(dir, ".dvc", "config.local"), [...remotes].map((r) => `['remote "${r}"']\nurl = ${emptyRemote}\n`).join(""));
  }
}

/** The metrics a revision declares without templating, as plain YAML says; `refused` when DVC 3 rejects a dvc.yaml. */
function declaredMetrics(revDir: string): { paths: string[]; refused: boolean } {
  const paths: string[] = [];
  let refused = false;
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(revDir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else if (e.name === "dvc.yaml") {
        const dir = rel;
        let doc: unknown;
        try {
          doc = parseYaml(readFileSync(join(revDir, p), "utf8"));
        } catch {
          refused = true;
          continue;
        }
        if (typeof doc !== "object" || doc === null) continue;
        const d = doc as { stages?: Record<string, Record<string, unknown>>; metrics?: unknown[] };
        for (const stage of Object.values(d.stages ?? {})) {
          if (typeof stage !== "object" || stage === null) continue;
          if ("live" in stage) refused = true;
          if ("foreach" in stage || "matrix" in stage) continue;
          const wdir = typeof stage.wdir === "string" ? stage.wdir : ".";
          if (wdir.includes("${")) continue;
          for (const m of Array.isArray(stage.metrics) ? stage.metrics : []) {
            const path = typeof m === "string" ? m : typeof m === "object" && m !== null ? Object.keys(m)[0] : undefined;
            if (path && !path.includes("${")) paths.push(posix.normalize(posix.join(dir, wdir, path)));
          }
        }
        for (const m of Array.isArray(d.metrics) ? d.metrics : []) if (typeof m === "string" && !m.includes("${")) paths.push(posix.normalize(posix.join(dir, m)));
      }
    }
  };
  walk("");
  return { paths: [...new Set(paths)].filter((p) => existsSync(join(revDir, p)) && statSync(join(revDir, p)).isFile()), refused };
}

async function pool<T>(items: T[], n: number, f: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await f(items[next++]!);
    }),
  );
}

/** Runs `f`; an exception other than a UsageError is an internal error of the product. */
async function guard(out: Outcome, what: string, f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (e instanceof UsageError) out.problems.push(`${what}: ${e.message}`);
    else out.internal.push(`${what}: ${(e as Error).stack ?? String(e)}`);
  }
}

async function runInProcess(p: Project): Promise<Outcome> {
  const out: Outcome = { project: p.name, found: [], failures: [], internal: [], problems: [], plots: { ok: 0, error: 0 } };
  const n = p.src.revisions.length;
  const labels = Array.from({ length: n }, (_, i) => (i === 0 ? "HEAD" : `HEAD~${i}`));
  // Every revision opened once (one cat-file, one set of DVC layers), as a report opens its two: `metrics show`
  // of each, then the diff of the last two from the same trees.
  let opened: Awaited<ReturnType<typeof openRevisionList>> | undefined;
  try {
    await guard(out, "metrics show", async () => {
      opened = await openRevisionList(p.dir, labels, { objectCacheDir });
      for (const tree of opened.trees) {
        const c = await collect("metrics", tree);
        const withData = [...c.files].filter(([, v]) => typeof v === "object" && v !== null && Object.keys(v).length > 0).map(([f]) => f);
        if (c.failed) out.failures.push(...c.problems.filter((x) => !x.path).map((x) => x.message));
        out.found.push({ withData, shown: new Set([...c.files.keys(), ...c.problems.flatMap((x) => (x.path ? [x.path] : []))]), failed: c.failed });
      }
    });
    const trees = opened?.trees;
    if (trees === undefined) return out;
    const [a, b] = n > 1 ? ["HEAD~1", "HEAD"] : ["HEAD", "HEAD"];
    const [base, head] = n > 1 ? [trees[1]!, trees[0]!] : [trees[0]!, trees[0]!];
    await guard(out, `diff ${a} ${b}`, async () => {
      await diffRevisions("metrics", base, head, { all: true });
      await diffRevisions("params", base, head, {});
      const project = await discoverProject(head);
      if ("error" in project) return;
      const revisions = [
        { label: a, tree: base },
        { label: b, tree: head },
      ];
      for await (const plot of preparePlots(project.plots, revisions)) out.plots[plot.ok ? "ok" : "error"]++;
    });
  } finally {
    await opened?.close();
  }
  return out;
}

/** The CLI's run (src/cli/run.ts, what the binary runs) in this process: its exit code and stderr, as a spawned binary would give them. */
async function runCli(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  const { code, stderr } = await mlreview(args, { cwd, env: { MLREVIEW_DATA_DIR: objectCacheDir } });
  return { code, stderr };
}

describe.skipIf(!available)(`the real DVC corpus (${CORPUS})`, () => {
  beforeAll(async () => {
    const root = tempDir("mlreview-real-dvc-");
    objectCacheDir = join(root, "objects");
    const emptyRemote = join(root, "empty-remote");
    mkdirSync(emptyRemote, { recursive: true });
    for (const name of readdirSync(CORPUS).sort()) {
      if (!existsSync(join(CORPUS, name, "source.json"))) continue;
      const src = JSON.parse(readFileSync(join(CORPUS, name, "source.json"), "utf8")) as Source;
      const dir = join(root, name);
      mkdirSync(dir);
      projects.push({ name, src, dir });
    }
    await pool(projects, BUILD_CONCURRENCY, (p) => rebuild(p.name, p.src, p.dir, emptyRemote));
  }, 180_000);

  it("every project and revision: no internal error, and every declared metrics file in git is found", async () => {
    await pool(projects, PROJECT_CONCURRENCY, async (p) => void outcomes.set(p.name, await runInProcess(p)));
    const internal = [...outcomes.values()].flatMap((o) => o.internal.map((e) => `${o.project}: ${e}`));
    expect(internal).toEqual([]);

    const missing: string[] = [];
    let revisions = 0;
    let declared = 0;
    let withData = 0;
    let refusedRevs = 0;
    const gitNothing: string[] = [];
    for (const p of projects) {
      const o = outcomes.get(p.name)!;
      let projectFound = 0;
      p.src.revisions.forEach((_, i) => {
        revisions++;
        const want = declaredMetrics(join(CORPUS, p.name, `rev-${i}`));
        const got = o.found[i]!;
        projectFound += got.withData.length;
        withData += got.withData.length;
        if (want.refused) {
          refusedRevs++;
          return;
        }
        declared += want.paths.length;
        for (const path of want.paths) if (!got.shown.has(path)) missing.push(`${p.name} rev-${i}: ${path}`);
      });
      if (p.src.metrics_storage === "git" && projectFound === 0) gitNothing.push(p.name);
    }
    // Errors by kind: the revision-level lines with paths and names taken out.
    const kinds = new Map<string, number>();
    for (const o of outcomes.values()) {
      for (const f of o.failures) {
        const kind = f
          .replace(/^.*?dvc\.yaml: /, "")
          .replace(/^stages\.[^:]*: /, "")
          .replace(/'[^']*'/g, "'…'")
          .replace(/line \d+ column \d+/, "line …")
          .slice(0, 70);
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
    }
    const plots = [...outcomes.values()].reduce((s, o) => ({ ok: s.ok + o.plots.ok, error: s.error + o.plots.error }), { ok: 0, error: 0 });
    console.log(
      [
        `real-dvc corpus: ${projects.length} projects, ${revisions} revisions`,
        `metrics files read with data: ${withData} (declared without templating and in git: ${declared}; revisions DVC 3 refuses: ${refusedRevs})`,
        `plots prepared HEAD~1..HEAD: ${plots.ok} ok, ${plots.error} with an error line`,
        `revisions whose project could not be read, by kind: ${
          [...kinds]
            .sort((a, b) => b[1] - a[1])
            .map(([k, n]) => `${n}× ${k}`)
            .join("; ") || "none"
        }`,
        `INDEX says "git" but no metrics read in any revision: ${gitNothing.length ? gitNothing.join(", ") : "none"}`,
      ].join("\n"),
    );
    expect(missing).toEqual([]);
    // The corpus is not empty of findings: most projects that commit metrics have them read.
    expect(withData).toBeGreaterThan(0);
  }, 150_000);

  it("the CLI, on a sample of the templating and DVCLive projects: exit 0 (or 1 with one line), never an internal error", async () => {
    const tricky = projects.filter((p) => p.src.features.some((f) => /templating|foreach|matrix|vars|dvclive/.test(f)));
    const step = Math.max(1, Math.ceil(tricky.length / CLI_SAMPLE));
    const sample = tricky.filter((_, i) => i % step === 0);
    const runs: { project: string; args: string[] }[] = [];
    for (const p of sample) {
      const [a, b] = p.src.revisions.length > 1 ? ["HEAD~1", "HEAD"] : ["HEAD", "HEAD"];
      runs.push({ project: p.name, args: ["metrics", "diff", a, b, "--json"] });
      runs.push({ project: p.name, args: ["params", "diff", a, b, "--json"] });
      runs.push({ project: p.name, args: ["report", "--base", a, "--head", b, "--json"] });
    }
    const bad: string[] = [];
    await pool(runs, CLI_CONCURRENCY, async (r) => {
      const res = await runCli(r.args, projects.find((p) => p.name === r.project)!.dir);
      const lines = res.stderr.split("\n").filter(Boolean);
      const ok = !res.stderr.includes("internal error") && (res.code === 0 || (res.code === 1 && lines.length === 1));
      if (!ok) bad.push(`${r.project}: mlreview ${r.args.join(" ")} → ${res.code}: ${res.stderr.slice(0, 300)}`);
    });
    console.log(`real-dvc corpus CLI sample: ${sample.length} projects, ${runs.length} runs`);
    expect(sample.length).toBeGreaterThan(5);
    expect(bad).toEqual([]);
  }, 120_000);
});
