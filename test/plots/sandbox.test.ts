// Hostile specs: no request leaves, no file is read, runaway renders die alone.
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderPlots } from "../../src/plots/index.js";
import { RenderPool } from "../../src/plots/pool.js";
import { checkTemplate } from "../../src/plots/templates.js";
import type { PlotDefinition } from "../../src/project/types.js";
import { memTree } from "./helpers.js";
import { tempDir } from "../helpers/git-repo.js";

const SECRET = "canary-7f3a9c";
let server: Server;
let base: string;
const requests: string[] = [];
let canary: string;
const pool = new RenderPool({ size: 1 });

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    res.end(JSON.stringify([{ a: SECRET, b: 1 }]));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  canary = join(tempDir("mlreview-canary-"), "secret.json");
  writeFileSync(canary, JSON.stringify([{ a: SECRET, b: 1 }]));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await pool.close();
});

const textOf = (data: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  data,
  mark: "text",
  encoding: { text: { field: "a" }, y: { field: "b", type: "quantitative" } },
  ...extra,
});

describe("render sandbox", () => {
  it("never fetches a URL, whatever form it takes", async () => {
    const specs = [
      textOf({ url: `${base}/data.json` }),
      textOf({ url: `//127.0.0.1:${new URL(base).port}/proto-relative.json` }),
      textOf({ values: [{ a: "x", b: 1 }] }, { mark: "image", encoding: { url: { value: `${base}/img.png` }, x: { value: 1 }, y: { value: 1 } } }),
    ];
    for (const spec of specs) {
      await expect(pool.render(spec, { format: "svg" })).rejects.toThrow(/external data is not allowed/);
    }
    expect(requests).toEqual([]);
  });

  it("never reads a file, by file:// or by relative path, and never shows its content", async () => {
    for (const url of [`file://${canary}`, relative(process.cwd(), canary), canary]) {
      const err = await pool.render(textOf({ url }), { format: "svg" }).then(
        (r) => `rendered: ${r.data.toString()}`,
        (e: Error) => e.message,
      );
      expect(err).toMatch(/external data is not allowed/);
      expect(err).not.toContain(SECRET);
    }
  });

  it("rejects a repository template that names a URL, and no request arrives", async () => {
    const tpl = JSON.stringify({
      data: { values: "<DVC_METRIC_DATA>" },
      layer: [
        { mark: "line", encoding: { x: { field: "<DVC_METRIC_X>" }, y: { field: "<DVC_METRIC_Y>" } } },
        { data: { url: `${base}/exfil?x=1` }, mark: "point" },
      ],
    });
    const def: PlotDefinition = { id: "p", origin: "dvc.yaml", files: ["d.csv"], y: [], x: undefined, template: "evil.json", header: true };
    const files = { "d.csv": "step,v\n0,1\n1,2\n", "evil.json": tpl };
    const [plot] = await renderPlots(
      [def],
      [
        { label: "main", tree: memTree("main", files) },
        { label: "workspace", tree: memTree("workspace", files) },
      ],
    );
    expect(plot!.error).toBe("Template 'evil.json' refers to a URL at layer[1].data.url: external data is not allowed");
    expect(requests).toEqual([]);
  });

  it("bounds sequence generators in repository templates", () => {
    const tpl = (stop: number) => JSON.stringify({ data: { values: "<DVC_METRIC_DATA>" }, layer: [{ data: { sequence: { start: 0, stop } }, mark: "point" }] });
    expect(() => checkTemplate("t", tpl(1000))).not.toThrow();
    expect(() => checkTemplate("t", tpl(5e7))).toThrow("generates a sequence at layer[0].data.sequence over the 1000000 row limit");
    expect(() => checkTemplate("t", "{}")).toThrow("Template 't' is not using '<DVC_METRIC_DATA>' anchor");
  });

  it("evaluates expressions without code generation", async () => {
    // The render process runs with --disallow-code-generation-from-strings, so Vega's codegen
    // (new Function) would throw: expressions that work prove the interpreter is in use.
    const spec = {
      data: { values: [{ a: 1 }, { a: 2 }, { a: 3 }] },
      transform: [{ calculate: "datum.a * 2 + sqrt(4)", as: "b" }, { filter: "datum.b > 4" }],
      mark: "text",
      encoding: { text: { field: "b" }, y: { field: "b", type: "ordinal" }, color: { condition: { test: "datum.b > 6", value: "red" }, value: "blue" } },
    };
    const svg = (await pool.render(spec, { format: "svg" })).data.toString();
    expect(svg).toContain(">6</text>");
    expect(svg).toContain(">8</text>");
    expect(svg).not.toContain(">4</text>");
    const escape = { data: { values: [{ a: 1 }] }, transform: [{ calculate: "constructor.constructor('return process')()", as: "p" }], mark: "point" };
    // Refused by Vega's expression parser (a call's callee must be a whitelisted function name), before any evaluation.
    await expect(pool.render(escape)).rejects.toThrow("Illegal callee type: CallExpression");
  });

  it("kills a render that runs out of memory, and the next render succeeds", async () => {
    const small = new RenderPool({ size: 1, maxOldSpaceMb: 96 });
    try {
      const runaway = { data: { sequence: { start: 0, stop: 5e7 } }, mark: "point", encoding: { x: { field: "data", type: "quantitative" } } };
      await expect(small.render(runaway)).rejects.toThrow("render ran out of memory (96 MB limit) and was stopped");
      const ok = await small.render(textOf({ values: [{ a: "fine", b: 1 }] }));
      expect(ok.data.subarray(1, 4).toString()).toBe("PNG");
    } finally {
      await small.close();
    }
  });

  it("kills a render that runs out of time, and the next render succeeds", async () => {
    const slow = { data: { sequence: { start: 0, stop: 3e5 } }, transform: [{ calculate: "sqrt(datum.data)", as: "s" }], mark: "point", encoding: { x: { field: "s", type: "quantitative" } } };
    await expect(pool.render(slow, { timeoutMs: 100 })).rejects.toThrow("render took longer than 0.1 s and was stopped");
    const ok = await pool.render(textOf({ values: [{ a: "fine", b: 1 }] }));
    expect(ok.data.subarray(1, 4).toString()).toBe("PNG");
  });

  it("stops a render when the caller aborts", async () => {
    const ctl = new AbortController();
    const slow = { data: { sequence: { start: 0, stop: 3e5 } }, mark: "point", encoding: { x: { field: "data", type: "quantitative" } } };
    const p = pool.render(slow, { signal: ctl.signal });
    ctl.abort(); // after the render was handed to the pool, not before
    await expect(p).rejects.toThrow("render cancelled");
    const ok = await pool.render(textOf({ values: [{ a: "fine", b: 1 }] }));
    expect(ok.data.subarray(1, 4).toString()).toBe("PNG");
  });
});
