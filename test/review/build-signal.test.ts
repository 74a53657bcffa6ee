// The renderer stops for an aborted task: renders waiting or running for it are cancelled, the review
// ends with the deadline's reason, and the pool serves the next report (the render budget still holds).
import { describe, expect, it } from "vitest";
import { DeadlineError } from "../../src/queue/task.js";
import { buildReview } from "../../src/review/build.js";
import type { FileTree } from "../../src/revisions/types.js";
import { memTree } from "../plots/helpers.js";

/** A template slow to render on purpose (thousands of extra points). */
const slow = JSON.stringify({
  data: { values: "<DVC_METRIC_DATA>" },
  layer: [
    { mark: "line", encoding: { x: { field: "<DVC_METRIC_X>", type: "quantitative" }, y: { field: "<DVC_METRIC_Y>", type: "quantitative" } } },
    { data: { sequence: { start: 0, stop: 3_000, as: "v" } }, transform: [{ calculate: "sin(datum.v)", as: "s" }], mark: "point", encoding: { x: { field: "v", type: "quantitative" }, y: { field: "s", type: "quantitative" } } },
  ],
});

function trees(n: number, template: boolean) {
  const cfg = `plots:\n${Array.from({ length: n }, (_, i) => `  - {id: p${i}, file: loss.csv, y: loss${template ? ", template: t/slow.json" : ""}}`).join("\n")}\n`;
  const files = (loss: number) => ({ ".mlreview.yml": cfg, "loss.csv": `step,loss\n0,1\n1,${loss}\n`, ...(template ? { "t/slow.json": slow } : {}) });
  return { base: memTree("main", files(0.5)), head: memTree("feature", files(0.4)) };
}

/** `tree`, calling `onRead` when `path` is first read (the plots are being prepared: renders are about to be queued). */
function onFirstRead(tree: FileTree, path: string, onRead: () => void): FileTree {
  let seen = false;
  return {
    label: tree.label,
    commit: tree.commit,
    list: (d) => tree.list(d),
    read: async (paths) => {
      const out = await tree.read(paths);
      if (!seen && paths.includes(path)) {
        seen = true;
        setImmediate(onRead);
      }
      return out;
    },
  } as FileTree;
}

describe("buildReview and the task's signal", () => {
  it("aborted while its plots render: the renders stop, the review rejects with the reason, the next report draws", async () => {
    const task = new AbortController();
    const { base, head } = trees(8, true);
    const reason = new DeadlineError(1_000);
    const publish = async (name: string) => `./${name}`;
    await expect(buildReview({ base, head: onFirstRead(head, "t/slow.json", () => task.abort(reason)), publish, signal: task.signal })).rejects.toBe(reason);
    const next = await buildReview({ ...trees(1, false), publish, signal: new AbortController().signal });
    expect(next.markdown).toContain("](./p0.png)");
  }, 60_000);

  it("already aborted: nothing is drawn", async () => {
    const task = new AbortController();
    task.abort(new DeadlineError(1_000));
    await expect(buildReview({ ...trees(2, false), publish: async (n) => `./${n}`, signal: task.signal })).rejects.toBeInstanceOf(DeadlineError);
  });
});
