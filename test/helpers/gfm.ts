import { micromark } from "micromark";
import { gfm, gfmHtml } from "micromark-extension-gfm";

/**
 * Markdown as GitHub renders it, by GFM's reference renderer (micromark + GFM). Raw HTML is let
 * through, as GitHub lets most of it through: an HTML tag in the output is one the Markdown held.
 */
export function renderGfm(markdown: string): string {
  return micromark(markdown, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });
}

/** What a reader sees: the rendered HTML without tags, entities decoded (micromark writes only these four). */
export function textOf(html: string): string {
  const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"' };
  return html
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<[^>]*>/g, "")
    .replace(/&(amp|lt|gt|quot);/g, (_, e: string) => entities[e]!);
}

/** Every tag of the rendered HTML, lower-cased, with its attributes: `img src="./a.png" alt="a"`. */
export function tagsOf(html: string): string[] {
  return [...html.replace(/<!--[\s\S]*?-->/g, "").matchAll(/<\/?([a-z][a-z0-9-]*)([^>]*)>/gi)].map((m) => `${m[1]!.toLowerCase()}${m[2]}`.trim());
}
