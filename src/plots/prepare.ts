/** Plot definitions + revisions → filled Vega-Lite specs (or one error line each), without rendering. */
import type { PlotDefinition } from "../project/types.js";
import type { FileTree } from "../revisions/types.js";
import { isImagePath, readSources, type RevisionSources } from "./data.js";
import { convert } from "./datapoints.js";
import { plotFileOf, propertiesOf } from "./definition.js";
import { PlotError } from "./errors.js";
import { dvcOrder, preparePlot, type PreparedPlot, type RevisionData } from "./spec.js";
import { loadTemplate } from "./templates.js";

export interface Revision {
  label: string;
  tree: FileTree;
}

export type PreparedDefinition = { id: string; title: string; ok: true; plot: PreparedPlot; note: string | undefined } | { id: string; title: string; ok: false; error: string };

/**
 * One result per data plot of `defs`, in order (image plots are skipped). Revisions are base
 * first, head second; templates named by path are read from the head. Errors in the data or the
 * template become the result's `error`; a revision that cannot be used becomes part of the note.
 */
export async function* preparePlots(defs: readonly PlotDefinition[], revisions: readonly Revision[]): AsyncGenerator<PreparedDefinition> {
  const head = revisions.at(-1)?.tree;
  const ordered = dvcOrder(revisions.map((r) => ({ rev: r.label, tree: r.tree })));
  const cache = new Map<string, Promise<RevisionSources>>();
  const read = (rev: string, tree: FileTree, def: PlotDefinition): Promise<RevisionSources> => {
    // An x joined from another file is not among `files` (those hold y), but is read all the same.
    const files = [...new Set([...def.files, ...(def.x ?? []).map((x) => x.file)])];
    const key = JSON.stringify([rev, def.header, files]);
    let r = cache.get(key);
    if (r === undefined) cache.set(key, (r = readSources(tree, files, def.header)));
    return r;
  };

  for (const def of defs) {
    if (def.files.length > 0 && def.files.every(isImagePath)) continue;
    const title = def.title ?? def.id;
    const problems: string[] = [];
    try {
      const template = await loadTemplate(def.template, head);
      const data: RevisionData[] = [];
      for (const { rev, tree } of ordered) {
        const { sources, errors } = await read(rev, tree, def);
        problems.push(...errors.map((e) => `${rev}: ${e}`));
        try {
          data.push({ rev, conv: convert(plotFileOf(def), sources, propertiesOf(def, sources)) });
        } catch (e) {
          if (!(e instanceof PlotError)) throw e;
          problems.push(`${rev}: ${e.message}`);
        }
      }
      const plot = preparePlot(title, template, data);
      const note = [plot.note, ...problems].filter((n) => n !== undefined).join("; ");
      yield { id: def.id, title, ok: true, plot, note: note === "" ? undefined : note };
    } catch (e) {
      if (!(e instanceof PlotError)) throw e;
      // "No data" says less than the reasons the revisions had none.
      const error = e.message === "no data points in any revision" && problems.length > 0 ? problems.join("; ") : e.message;
      yield { id: def.id, title, ok: false, error };
    }
  }
}
